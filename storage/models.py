"""Tables of the archive. Alembic migrations in storage/migrations must match these."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import Compressed, UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class Article(Base):
    """One article, identified by its canonical URL; its latest text and metadata."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url_key: Mapped[str] = mapped_column(String(64), unique=True)
    canonical_url: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    published: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(35))  # storage.archive.LANGUAGE_CHARS
    site_name: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision_count: Mapped[int] = mapped_column(Integer, default=1)
    match_pending: Mapped[bool] = mapped_column(Boolean, default=True)
    next_revisit_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    revisions: Mapped[list[Revision]] = relationship(back_populates="article", order_by="Revision.id")

    __table_args__ = (Index("ix_articles_match_pending", "match_pending"),)


class Revision(Base):
    """A distinct version of an article's text, with the raw page it came from."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    fetched_url: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(Text)
    raw_html: Mapped[bytes] = mapped_column(Compressed)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    raw_pruned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # raw_html emptied by retention (archive.keep_raw)

    article: Mapped[Article] = relationship(back_populates="revisions")


class ArticleUrl(Base):
    """Every normalised URL an article was found or fetched under."""

    __tablename__ = "article_urls"

    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)


class Alert(Base):
    """One message-worthy event: a story's first match of a watch, a follow-up, or a digest.

    At most one row per (watch, article); `key` is the idempotency key every send carries.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[str] = mapped_column(String(200))
    watch_name: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    snippet: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # issue 5: stories, follow-ups, digests, idempotency
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE", name="fk_alerts_story_id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="story")  # story | followup | digest
    key: Mapped[str] = mapped_column(String(64))
    outlets: Mapped[list[str]] = mapped_column(JSON, default=list)  # follow-up: the outlets it announces
    items: Mapped[list[int]] = mapped_column(JSON, default=list)  # digest: the alert ids it summarises

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="alert", order_by="Delivery.id")

    __table_args__ = (
        UniqueConstraint("watch_id", "article_id", name="uq_alerts_watch_article"),
        UniqueConstraint("key", name="uq_alerts_key"),
    )


class Delivery(Base):
    """The outbox: one row per (alert, channel).

    status: pending (due at next_attempt_at) → sent | failed (after max attempts);
    held (waits for its digest, due at next_attempt_at) → digested.
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # issue 15: a claim with no outcome recorded yet, and how many claims a crash cut off (not failures)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    interrupted: Mapped[int] = mapped_column(Integer, default=0)

    alert: Mapped[Alert] = relationship(back_populates="deliveries")

    __table_args__ = (
        UniqueConstraint("alert_id", "channel", name="uq_deliveries_alert_channel"),
        Index("ix_deliveries_status", "status"),
        Index("ix_deliveries_status_next_attempt", "status", "next_attempt_at"),
    )


class Story(Base):
    """Articles that tell one story: syndicated copies, near-duplicates and updated versions."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryArticle(Base):
    """An article's place in its story, with the MinHash signature it was placed by (if it had enough text)."""

    __tablename__ = "story_articles"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    similarity: Mapped[float | None] = mapped_column(Float)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    shingles: Mapped[int] = mapped_column(Integer, default=0)


class StoryBand(Base):
    """LSH band keys of article signatures; the primary key (band, article) is the lookup index."""

    __tablename__ = "story_bands"

    band: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)


class WatchStory(Base):
    """A watch's state for one story: its first alert, which outlets were announced, when a follow-up is due."""

    __tablename__ = "watch_stories"

    watch_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    articles: Mapped[list[int]] = mapped_column(JSON, default=list)  # articles of the story this watch matched
    announced: Mapped[list[str]] = mapped_column(JSON, default=list)  # outlets already in a message
    waiting: Mapped[list[int]] = mapped_column(JSON, default=list)  # articles from new outlets not yet announced
    followup_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    options: Mapped[dict] = mapped_column(JSON, default=dict)  # the watch's channels and digest periods when matched


class CrawlRun(Base):
    """What one outlet's crawl in one cycle did: counters, errors, duration."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[str] = mapped_column(String(36), index=True)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finish_reason: Mapped[str] = mapped_column(String(100), default="")
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    errors: Mapped[list[dict]] = mapped_column(JSON, default=list)


class FetchState(Base):
    """Validators and history of one index URL (feed, sitemap, section page) for conditional requests."""

    __tablename__ = "fetch_state"

    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    parent_url: Mapped[str | None] = mapped_column(Text)  # the sitemap index that listed this sitemap
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_full_fetch_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class OutletState(Base):
    """Health of one outlet across cycles: failure streak and the backoff it causes."""

    __tablename__ = "outlet_state"

    outlet: Mapped[str] = mapped_column(String(100), primary_key=True)
    error_streak: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    backoff_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error_kind: Mapped[str | None] = mapped_column(String(100))


class ChannelState(Base):
    """Health of one alert channel: a failing channel is backed off as a whole, not message by message."""

    __tablename__ = "channel_state"

    channel: Mapped[str] = mapped_column(String(200), primary_key=True)
    error_streak: Mapped[int] = mapped_column(Integer, default=0)
    backoff_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SourceHealth(Base):
    """An outlet's open health episode (failing or silent), so the admin channels hear of it once."""

    __tablename__ = "source_health"

    outlet: Mapped[str] = mapped_column(String(100), primary_key=True)
    problem: Mapped[str | None] = mapped_column(String(16))  # failing | silent | None (healthy)
    since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DaemonHolder(Base):
    """Who runs the daemon on this database (PostgreSQL; the lock itself is a session advisory lock)."""

    __tablename__ = "daemon_holder"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class MatchFailure(Base):
    """An article whose matching raised: the error (masked), how often, and when it is tried again.

    retry_at None means matching gave up until the article changes (a new revision).
    """

    __tablename__ = "match_failures"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text, default="")
    failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retry_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AlertDecision(Base):
    """A match that sent nothing (or not yet), with the reason: what `alerts list --suppressed` shows."""

    __tablename__ = "alert_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[str] = mapped_column(String(200))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    story_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("watch_id", "article_id", "reason", name="uq_alert_decisions_watch_article_reason"),)


class OutletLease(Base):
    """Who is crawling an outlet right now; a lease past `expires_at` belongs to a holder that died."""

    __tablename__ = "outlet_leases"

    outlet: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
