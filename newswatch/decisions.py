"""Whether a watch's match on an article is sent, and if not, why (pure).

One function decides for every caller: the matching that writes the outbox (and so the daemon,
`crawl --once` and `rules replay --send`), the dry run of `rules replay`, and `rules test`.
Each decision carries one sentence (`detail`) that the log, `alerts list --suppressed`,
`rules replay` and `rules test` all print unchanged.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ALERT, FOLLOWUP, HOLD, SKIP = "alert", "followup", "hold", "skip"

# reason codes of a decision not to send (SKIP), or to send later (HOLD)
FILTERED = "filtered"  # the terms are there, but the watch's outlets/languages/min_mentions say no
TOO_OLD = "too_old"  # published longer than max_age before it was found
COUNTED = "counted"  # a revision of an article this watch already counted
FOLLOWUPS_OFF = "followups_off"  # the story was alerted and the watch wants no follow-ups
ANNOUNCED = "announced"  # the story was alerted and this outlet was already named
WAITING = "waiting"  # a follow-up naming this outlet already waits for its cooldown
COOLDOWN = "cooldown"  # a follow-up waits until the watch's cooldown has passed
REASONS = (FILTERED, TOO_OLD, COUNTED, FOLLOWUPS_OFF, ANNOUNCED, WAITING, COOLDOWN)


@dataclass(frozen=True)
class Facts:
    """What the decision depends on, as plain data."""

    now: dt.datetime
    first_seen: dt.datetime
    published: dt.datetime | None
    outlet: str
    max_age: dt.timedelta | None = None
    followups: str = "digest"  # off | digest | each
    cooldown: dt.timedelta = dt.timedelta(hours=6)
    digest: dict[str, dt.timedelta] = field(default_factory=dict)  # channel → period
    channels: tuple[str, ...] = ()
    filtered: str = ""  # the rules' reason when a filter stopped a match of the watch's terms
    story_alerted: bool = False  # the watch already alerted on (or holds state for) the article's story
    counted: bool = False  # the article is already among the story's articles this watch counted
    announced: tuple[str, ...] = ()  # outlets already named in a message about the story
    waiting: tuple[str, ...] = ()  # outlets waiting for a follow-up about the story
    last_message_at: dt.datetime | None = None


@dataclass(frozen=True)
class Decision:
    action: str  # alert | followup | hold | skip
    reason: str = ""  # a reason code for hold and skip
    detail: str = ""  # one sentence, the same wherever the decision is shown
    held: dict[str, dt.datetime] = field(default_factory=dict)  # channels that get it in a digest, and when
    due_at: dt.datetime | None = None  # hold: when the follow-up is due

    @property
    def sends(self) -> bool:
        return self.action in (ALERT, FOLLOWUP)

    def describe(self) -> str:
        """`alert`, `follow-up`, or `not sent: <why>`; digest-held channels are named."""
        if self.action == SKIP:
            return f"not sent: {self.detail}"
        if self.action == HOLD:
            return f"held: {self.detail}"
        head = "alert" if self.action == ALERT else "follow-up"
        if self.held:
            head += " (" + "; ".join(f"held for the {channel} digest until {when(at)}" for channel, at in sorted(self.held.items())) + ")"
        return head


def decide(facts: Facts) -> Decision:
    """The one decision: alert, follow-up, hold (cooldown) or skip, with its reason."""
    if facts.filtered:
        return Decision(SKIP, FILTERED, facts.filtered)
    if facts.counted:
        return Decision(SKIP, COUNTED, "a revision of an article this watch already counted")
    if too_old(facts.first_seen, facts.published, facts.max_age):
        return Decision(SKIP, TOO_OLD, f"older than max_age {duration(facts.max_age)} "
                                       f"(published {when(facts.published)}, found {when(facts.first_seen)})")
    if not facts.story_alerted:
        return Decision(ALERT, held=held_channels(facts))
    if facts.followups == "off":
        return Decision(SKIP, FOLLOWUPS_OFF, "the watch already alerted on this story and has followups: off")
    if facts.outlet in facts.announced:
        return Decision(SKIP, ANNOUNCED, f"the watch already alerted on this story and already named outlet {facts.outlet}")
    if facts.outlet in facts.waiting:
        return Decision(SKIP, WAITING, f"a follow-up naming outlet {facts.outlet} already waits for its cooldown")
    if facts.followups == "each":
        return Decision(FOLLOWUP, held=held_channels(facts))
    due = max(facts.now, (facts.last_message_at or facts.now) + facts.cooldown)
    if due > facts.now:
        return Decision(HOLD, COOLDOWN, f"follow-up due at {when(due)} (cooldown {duration(facts.cooldown)})", due_at=due)
    return Decision(FOLLOWUP, held=held_channels(facts), due_at=due)


def too_old(first_seen: dt.datetime, published: dt.datetime | None, max_age: dt.timedelta | None) -> bool:
    """Published long before it was found (e.g. old items on a first crawl of a feed)."""
    if max_age is None or published is None:
        return False
    return first_seen - published > max_age


def held_channels(facts: Facts) -> dict[str, dt.datetime]:
    return {c: digest_window_end(facts.now, facts.digest[c]) for c in dict.fromkeys(facts.channels) if c in facts.digest}


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def digest_window_end(at: dt.datetime, period: dt.timedelta) -> dt.datetime:
    """The end of the period-aligned UTC window containing `at` (hourly: next full hour; daily: next midnight)."""
    seconds = period.total_seconds()
    elapsed = (at - EPOCH).total_seconds()
    return EPOCH + dt.timedelta(seconds=(elapsed // seconds + 1) * seconds)


def when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else "unknown"


def duration(value: dt.timedelta | None) -> str:
    from newswatch.durations import format_duration

    return format_duration(value) if value is not None else "none"
