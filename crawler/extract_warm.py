"""Imported by the extraction workers' fork server (crawler/extract_pool.py): trafilatura set up once, before any worker is forked."""
from crawler.extract import warm_up

warm_up()
