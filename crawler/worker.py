"""The crawl worker process: `python -m crawler.worker < job.json`.

newswatch runs every crawl in a fresh process: Twisted's reactor cannot be restarted inside a
long-lived daemon, a hung crawl can be killed, and memory goes back to the OS after each cycle.
"""
from __future__ import annotations

import json
import sys

from scrapy.crawler import CrawlerProcess

from crawler import settings as crawler_settings
from crawler.job import CrawlJob
from crawler.outlets import Outlet
from crawler.worker_logs import configure_worker_logging
from crawler.spiders.outlet import OutletSpider
from newswatch.secrets import MASKER, install_log_masking


def run(job: CrawlJob) -> None:
    process = CrawlerProcess(crawler_settings.for_job(job))
    for outlet in job.outlets:
        process.crawl(spider_for(outlet, job), outlet=outlet.model_dump(mode="json"))
    process.start()


def spider_for(outlet: Outlet, job: CrawlJob) -> type[OutletSpider]:
    """The spider class for one outlet; its own Scrapy settings carry the outlet's overrides."""
    overrides = crawler_settings.for_outlet(outlet, job)
    if not overrides:
        return OutletSpider
    return type(f"OutletSpider_{outlet.name}", (OutletSpider,), {"custom_settings": overrides})


def main() -> int:
    job = CrawlJob.model_validate(json.loads(sys.stdin.read()))
    MASKER.add_url(job.database)
    install_log_masking()
    configure_worker_logging(job.log_level)
    run(job)
    return 0


if __name__ == "__main__":
    sys.exit(main())
