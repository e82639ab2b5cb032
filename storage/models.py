"""Tables of the archive. Alembic migrations in storage/migrations must match these."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    language: Mapped[str | None] = mapped_column(String(16))
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

    article: Mapped[Article] = relationship(back_populates="revisions")


class ArticleUrl(Base):
    """Every normalised URL an article was found or fetched under."""

    __tablename__ = "article_urls"

    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)


class Alert(Base):
    """A watch matched an article: at most one row per (watch, article), ever."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[str] = mapped_column(String(200))
    watch_name: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    snippet: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="alert", order_by="Delivery.id")

    __table_args__ = (UniqueConstraint("watch_id", "article_id", name="uq_alerts_watch_article"),)


class Delivery(Base):
    """The outbox: one row per (alert, channel); pending until the channel accepted it."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    alert: Mapped[Alert] = relationship(back_populates="deliveries")

    __table_args__ = (
        UniqueConstraint("alert_id", "channel", name="uq_deliveries_alert_channel"),
        Index("ix_deliveries_status", "status"),
    )


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
