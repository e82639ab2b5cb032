"""The item a spider yields for each fetched article page."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class FetchedPage:
    outlet: str
    request_url: str  # normalised URL that was requested
    discovered_url: str  # the link as found in the feed, sitemap or page
    url: str  # final URL after redirects
    status: int
    content_type: str | None
    body: bytes
    fetched_at: dt.datetime
    via: str  # feed, sitemap or page
    index_url: str | None = None  # the feed, sitemap or section page that listed it (None for a revisit)

    def __repr__(self) -> str:
        """Short enough for a log line: never the body."""
        return f"<FetchedPage {self.outlet} {self.status} {self.url} ({len(self.body)} bytes)>"
