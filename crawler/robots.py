"""robots.txt read once per site per hour by the engine, not once per poll.

The engine runs a new Scrapy crawler for each poll, and Scrapy's RobotsTxtMiddleware keeps its
parsed robots.txt per crawler: without this cache, every poll of an outlet would ask for
robots.txt again, doubling the requests to sites that have nothing new.
"""
from __future__ import annotations

import time

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached

ROBOTS_TTL_SECONDS = 3600.0
_parsed: dict[str, tuple[RobotParser, float]] = {}  # scheme://netloc -> (parser, when read), for this process


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        site = f"{url.scheme}://{url.netloc}"
        cached = _parsed.get(site)
        if cached is not None and time.monotonic() - cached[1] < ROBOTS_TTL_SECONDS:
            self._parsers[url.netloc] = cached[0]
            return cached[0]
        parser = await super().robot_parser(request)
        if parser is not None:  # a robots.txt that could not be read is asked for again next poll
            _parsed[site] = (parser, time.monotonic())
        return parser
