"""Prometheus metrics: totals read from the database at scrape time, plus a few counters of this process.

Reading the database on each scrape keeps the figures right across restarts and processes (a crawl
worker, `crawl --once`, the daemon). Only what happens inside the daemon itself (rule reloads,
engine restarts) is counted in memory.
"""
from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from storage.db import Database
from storage.operations import snapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REGISTRY = CollectorRegistry(auto_describe=False)
RULE_RELOADS = Counter("newswatch_rule_reloads", "Watch-rule edits taken into use without a restart.", registry=REGISTRY)
ENGINE_RESTARTS = Counter("newswatch_engine_restarts", "Times the crawl engine was restarted after it failed.", registry=REGISTRY)
OUTBOX_STATUSES = ("pending", "held")


class DatabaseCollector(Collector):
    """Polls, articles, deliveries and outlet health, counted in the archive when scraped."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        with self.db.session() as session:
            shot = snapshot(session)
        polls = CounterMetricFamily("newswatch_polls", "Crawls of each outlet (one per outlet per poll).", labels=["outlet"])
        new = CounterMetricFamily("newswatch_articles_new", "Articles archived, by outlet.", labels=["outlet"])
        revised = CounterMetricFamily("newswatch_articles_revised", "Changed versions of archived articles, by outlet.", labels=["outlet"])
        for outlet, count in sorted(shot.polls.items()):
            polls.add_metric([outlet], count)
        for outlet in sorted(shot.articles):
            new.add_metric([outlet], shot.articles[outlet])
            revised.add_metric([outlet], shot.revisions[outlet])
        sent = CounterMetricFamily("newswatch_alerts_sent", "Messages the channel accepted.", labels=["channel"])
        failed = GaugeMetricFamily("newswatch_alerts_failed", "Messages that ran out of attempts and wait for `alerts retry`.",
                                   labels=["channel"])
        depth = GaugeMetricFamily("newswatch_outbox_depth", "Messages waiting: pending (to send) or held (for a digest).",
                                  labels=["channel", "status"])
        channels = sorted({channel for channel, _status in shot.deliveries})
        for channel in channels:
            sent.add_metric([channel], shot.deliveries.get((channel, "sent"), 0))
            failed.add_metric([channel], shot.deliveries.get((channel, "failed"), 0))
            for status in OUTBOX_STATUSES:
                depth.add_metric([channel, status], shot.deliveries.get((channel, status), 0))
        last = GaugeMetricFamily("newswatch_outlet_last_success_timestamp_seconds",
                                 "When the outlet was last crawled without failing (Unix time; 0: never).", labels=["outlet"])
        streak = GaugeMetricFamily("newswatch_outlet_error_streak", "Failed crawls in a row.", labels=["outlet"])
        for outlet in sorted(shot.error_streak):
            when = shot.last_success[outlet]
            last.add_metric([outlet], when.timestamp() if when else 0)
            streak.add_metric([outlet], shot.error_streak[outlet])
        yield from (polls, new, revised, sent, failed, depth, last, streak)


def exposition(db: Database) -> bytes:
    """The whole /metrics page: this process's counters and the database's totals."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(db))
    return generate_latest(REGISTRY) + generate_latest(registry)
