"""Human-readable summaries of a cycle for the terminal (pure)."""
from __future__ import annotations

from collections import Counter

from monitor.cycle import CycleReport


def cycle_summary(report: CycleReport) -> str:
    lines = []
    if report.crawl is not None:
        for outlet in report.crawl.outlets:
            kinds = Counter(error["kind"] for error in outlet.errors)
            errors = ", ".join(f"{kind}×{n}" for kind, n in sorted(kinds.items())) or "no errors"
            lines.append(
                f"  {outlet.outlet:<16} new {outlet.count('newswatch/articles_new'):>3}  "
                f"revised {outlet.count('newswatch/articles_revised'):>3}  "
                f"unchanged {outlet.count('newswatch/articles_unchanged'):>3}  "
                f"removed {outlet.count('newswatch/articles_removed'):>3}  "
                f"known {outlet.count('newswatch/links_known'):>3}  "
                f"requests {outlet.count('downloader/request_count'):>3}  "
                f"not modified {outlet.count('newswatch/not_modified'):>3}  [{outlet.finish_reason}; {errors}]"
            )
        if report.crawl.worker_error:
            lines.append(f"  crawl engine: {report.crawl.worker_error}")
        for lease in report.crawl.busy:
            lines.append(f"  {lease.outlet:<16} skipped: being crawled by another process (pid {lease.pid} on {lease.host})")
    for outlet, until, streak in report.skipped:
        lines.append(
            f"  {outlet.name:<16} skipped: backing off until {until:%Y-%m-%d %H:%M:%S} UTC after {streak} failed crawl(s)"
            " (--force crawls it anyway)"
        )
    matched = f"  matched {report.matched.articles} article(s): {report.matched.alerts} new alert(s)"
    if report.matched.joined:
        matched += f", {report.matched.joined} match(es) joined a story already alerted"
    if report.matched.too_old:
        matched += f", {report.matched.too_old} too old to alert (max_age)"
    if report.matched.suppressed:
        matched += f", {report.matched.suppressed} not sent (`newswatch alerts list --suppressed` says why)"
    lines.append(matched)
    for failed in report.matched.failed[:10]:
        retry = f"retried after {failed.retry_at:%H:%M:%S} UTC" if failed.retry_at else "given up until the article changes"
        lines.append(f"    matching failed for article {failed.article_id} [{failed.outlet}] (attempt {failed.attempts}):"
                     f" {failed.kind}: {failed.message[:200]}; {retry}")
    delivered = f"  delivered {report.delivered.sent} message(s)"
    if report.delivered.failed:
        retried = report.delivered.failed - report.delivered.given_up
        delivered += f", {report.delivered.failed} failed ({retried} will be retried"
        delivered += f", {report.delivered.given_up} marked failed: see `newswatch alerts list --failed`)" if report.delivered.given_up else ")"
    lines.append(delivered)
    lines.extend(f"    {error}" for error in report.delivered.errors[:10])
    return "\n".join(lines)
