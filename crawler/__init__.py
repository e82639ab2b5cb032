"""The Scrapy side of newswatch: discovery, fetching and extraction of outlet articles."""
