"""Alerts and their deliveries, written in the transaction of the match that causes them.

One alert per (watch, story): the first matching article of a story alerts; later copies from
other outlets join the story and, as the watch asks (`followups`), cause an immediate follow-up
(`each`), at most one follow-up per `cooldown` listing the new outlets (`digest`), or nothing
(`off`). Deliveries to a channel the watch digests wait (`held`) until the digest is built.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from newswatch.decisions import ALERT, COOLDOWN, COUNTED, FOLLOWUP, HOLD, SKIP, TOO_OLD, Decision, Facts, decide, digest_window_end
from storage.models import Alert, AlertDecision, Article, Delivery, StoryArticle, WatchStory
from storage.types import utcnow
from storage.upsert import insert_ignore

@dataclass(frozen=True)
class NewAlert:
    """A watch that matched an article, as the rules layer hands it over, with the watch's alert options."""

    watch_id: str
    watch_name: str
    terms: list[str]
    snippet: str
    channels: list[str]
    followups: str = "digest"  # off | digest | each
    cooldown: dt.timedelta = dt.timedelta(hours=6)
    max_age: dt.timedelta | None = None
    digest: dict[str, dt.timedelta] = field(default_factory=dict)  # channel → period
    filtered: str = ""  # a near miss: the rules' reason a filter stopped the watch's terms


@dataclass(frozen=True)
class Suppressed:
    """A match that sent nothing now, and why (newswatch.decisions)."""

    watch_id: str
    article_id: int
    decision: Decision


@dataclass
class MatchOutcome:
    alerts: int = 0  # first alerts of a story
    followups: int = 0
    joined: int = 0  # matches that joined a story already alerted
    too_old: int = 0
    suppressed: list[Suppressed] = field(default_factory=list)  # every decision not to send (or not yet)


def new_key() -> str:
    return uuid.uuid4().hex


def story_facts(
    article: Article, alert: NewAlert, state: WatchStory | None, waiting_outlets: list[str], now: dt.datetime,
    default_max_age: dt.timedelta | None,
) -> Facts:
    """What `decide` needs about one match, read from the article and the watch's story state."""
    return Facts(
        now=now, first_seen=article.first_seen, published=article.published, outlet=article.outlet,
        max_age=alert.max_age if alert.max_age is not None else default_max_age, followups=alert.followups,
        cooldown=alert.cooldown, digest=dict(alert.digest), channels=tuple(alert.channels), filtered=alert.filtered,
        story_alerted=state is not None, counted=state is not None and article.id in state.articles,
        announced=tuple(state.announced) if state else (), waiting=tuple(waiting_outlets),
        last_message_at=state.last_message_at if state else None,
    )


def record_story_matches(
    session: Session,
    article_id: int,
    alerts: list[NewAlert],
    story_id: int | None,
    now: dt.datetime | None = None,
    default_max_age: dt.timedelta | None = None,
) -> MatchOutcome:
    """Store what one article's matches cause and clear its pending flag, in the caller's transaction.

    newswatch.decisions.decide says what each match does; a decision not to send is recorded in
    `alert_decisions` with its reason. Follow-ups in `digest` mode only wait here; flush_followups
    (after the batch) makes the due ones, so copies found in one pass are announced together.
    """
    now = now or utcnow()
    outcome = MatchOutcome()
    article = session.get(Article, article_id)
    for alert in alerts:
        state = session.get(WatchStory, (alert.watch_id, story_id)) if story_id is not None and not alert.filtered else None
        waiting = _outlets_of(session, state.waiting) if state is not None else []
        decision = decide(story_facts(article, alert, state, waiting, now, default_max_age))
        if state is not None and decision.reason != COUNTED:
            state.articles = [*state.articles, article_id]
            outcome.joined += 1
        outcome.too_old += decision.reason == TOO_OLD
        if decision.action == SKIP:
            _suppress(session, outcome, alert.watch_id, article_id, story_id, decision, now)
            continue
        if state is None:
            if story_id is not None and not _claim_story(session, alert, story_id, article, now):
                continue
            alert_id = _add_alert(session, alert, "story", article_id, story_id, now, snippet=alert.snippet, terms=alert.terms)
            if alert_id is None:
                continue
            if story_id is not None:
                session.get(WatchStory, (alert.watch_id, story_id)).alert_id = alert_id
            outcome.alerts += 1
            continue
        if alert.followups == "each":
            if _add_alert(session, alert, "followup", article_id, story_id, now, outlets=[article.outlet]) is not None:
                state.announced = [*state.announced, article.outlet]
                state.last_message_at = now
                outcome.followups += 1
            continue
        state.waiting = [*state.waiting, article_id]
        state.followup_due_at = decision.due_at
        if decision.action == HOLD:
            _suppress(session, outcome, alert.watch_id, article_id, story_id, decision, now)
    article.match_pending = False
    session.flush()
    return outcome


def _suppress(session: Session, outcome: MatchOutcome, watch_id: str, article_id: int, story_id: int | None,
              decision: Decision, now: dt.datetime) -> None:
    outcome.suppressed.append(Suppressed(watch_id, article_id, decision))
    if decision.reason == COUNTED:  # every revision of a matched article: not worth a row
        return
    insert_ignore(session, AlertDecision, {
        "watch_id": watch_id, "article_id": article_id, "story_id": story_id, "reason": decision.reason,
        "detail": decision.detail, "created_at": now,
    }, keys=["watch_id", "article_id", "reason"])


def flush_followups(session: Session, now: dt.datetime | None = None) -> int:
    """Make the follow-ups whose cooldown has passed: one per (watch, story), listing the new outlets."""
    now = now or utcnow()
    made = 0
    due = session.scalars(select(WatchStory).where(WatchStory.followup_due_at <= now).order_by(WatchStory.followup_due_at)).all()
    for state in due:
        outlets = [o for o in _outlets_of(session, state.waiting) if o not in state.announced]
        last = state.waiting[-1] if state.waiting else None
        state.waiting, state.followup_due_at = [], None
        if not outlets or last is None:
            continue
        first = session.get(Alert, state.alert_id) if state.alert_id else None
        options = state.options or {}
        alert = NewAlert(
            watch_id=state.watch_id, watch_name=first.watch_name if first else state.watch_id,
            terms=list(first.terms) if first else [], snippet=first.snippet if first else "",
            channels=list(options.get("channels", [])),
            digest={c: dt.timedelta(seconds=s) for c, s in options.get("digest", {}).items()},
        )
        if _add_alert(session, alert, "followup", last, state.story_id, now, outlets=outlets) is not None:
            state.announced = [*state.announced, *outlets]
            state.last_message_at = now
            made += 1
    return made


def anything_due(session: Session, now: dt.datetime | None = None) -> bool:
    """Whether a follow-up or a digest is due: read first, so an idle pass never takes the write lock."""
    now = now or utcnow()
    followup = session.scalar(select(WatchStory.watch_id).where(WatchStory.followup_due_at <= now).limit(1))
    held = session.scalar(select(Delivery.id).where(Delivery.status == "held", Delivery.next_attempt_at <= now).limit(1))
    return followup is not None or held is not None


def build_digests(session: Session, now: dt.datetime | None = None) -> int:
    """Gather held deliveries whose window has ended into one digest alert per (watch, channel)."""
    now = now or utcnow()
    rows = session.execute(
        select(Delivery, Alert).join(Alert, Delivery.alert_id == Alert.id)
        .where(Delivery.status == "held", Delivery.next_attempt_at <= now).order_by(Delivery.id)
    ).all()
    groups: dict[tuple[str, str], list[tuple[Delivery, Alert]]] = {}
    for delivery, alert in rows:
        groups.setdefault((alert.watch_id, delivery.channel), []).append((delivery, alert))
    for (watch_id, channel), members in groups.items():
        digest = Alert(
            watch_id=watch_id, watch_name=members[-1][1].watch_name, article_id=None, story_id=None, kind="digest",
            key=new_key(), terms=[], snippet="", outlets=[], items=[a.id for _d, a in members], created_at=now,
        )
        session.add(digest)
        session.flush()
        session.add(Delivery(alert_id=digest.id, channel=channel, status="pending", attempts=0))
        for delivery, _alert in members:
            delivery.status = "digested"
    return len(groups)


def _claim_story(session: Session, alert: NewAlert, story_id: int, article: Article, now: dt.datetime) -> bool:
    options = {"channels": list(dict.fromkeys(alert.channels)), "digest": {c: p.total_seconds() for c, p in alert.digest.items()}}
    return bool(insert_ignore(session, WatchStory, {
        "watch_id": alert.watch_id, "story_id": story_id, "alert_id": None, "created_at": now, "last_message_at": now,
        "articles": [article.id], "announced": [article.outlet], "waiting": [], "followup_due_at": None, "options": options,
    }, keys=["watch_id", "story_id"]))


def _add_alert(
    session: Session, alert: NewAlert, kind: str, article_id: int, story_id: int | None, now: dt.datetime,
    snippet: str | None = None, terms: list[str] | None = None, outlets: list[str] | None = None,
) -> int | None:
    key = new_key()
    inserted = insert_ignore(session, Alert, {
        "watch_id": alert.watch_id, "watch_name": alert.watch_name, "article_id": article_id, "story_id": story_id,
        "kind": kind, "key": key, "terms": terms if terms is not None else alert.terms,
        "snippet": snippet if snippet is not None else alert.snippet, "outlets": outlets or [], "items": [], "created_at": now,
    }, keys=["watch_id", "article_id"])
    if not inserted:
        return None
    alert_id = session.scalar(select(Alert.id).where(Alert.key == key))
    rows = []
    for channel in dict.fromkeys(alert.channels):
        period = alert.digest.get(channel)
        held = period is not None
        rows.append({
            "alert_id": alert_id, "channel": channel, "status": "held" if held else "pending", "attempts": 0,
            "next_attempt_at": digest_window_end(now, period) if held else None,
        })
    insert_ignore(session, Delivery, rows, keys=["alert_id", "channel"])
    return alert_id


def _outlets_of(session: Session, article_ids: list[int]) -> list[str]:
    if not article_ids:
        return []
    by_id = dict(session.execute(select(Article.id, Article.outlet).where(Article.id.in_(article_ids))).all())
    return list(dict.fromkeys(by_id[i] for i in article_ids if i in by_id))



def archived_decision(session: Session, article: Article, alert: NewAlert, now: dt.datetime,
                      default_max_age: dt.timedelta | None) -> Decision:
    """What matching decided for this watch and archived article (a recorded alert or decision), else what it would decide now."""
    kind = session.scalar(select(Alert.kind).where(Alert.watch_id == alert.watch_id, Alert.article_id == article.id))
    if kind is not None:
        return Decision(ALERT if kind == "story" else FOLLOWUP)
    story_id = session.scalar(select(StoryArticle.story_id).where(StoryArticle.article_id == article.id))
    state = session.get(WatchStory, (alert.watch_id, story_id)) if story_id is not None and not alert.filtered else None
    if state is not None and article.id in state.articles:
        row = session.scalars(select(AlertDecision).where(AlertDecision.watch_id == alert.watch_id, AlertDecision.article_id == article.id)
                              .order_by(AlertDecision.id.desc())).first()
        if row is not None:
            return Decision(HOLD if row.reason == COOLDOWN else SKIP, row.reason, row.detail)
    waiting = _outlets_of(session, state.waiting) if state is not None else []
    return decide(story_facts(article, alert, state, waiting, now, default_max_age))
