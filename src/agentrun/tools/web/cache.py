"""WebFetch's page cache: a URL's Markdown kept 15 minutes, for the life of the process.

The cache holds the converted page, not the answer: the same page asked a new question is
answered again without a new download. An entry reached through a rule naming a local host
(``local``) is served again only while such a rule names that host, so one session's rule
cannot open a loopback page to another session in the same process.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

TTL_S = 15 * 60
MAX_CHARS = 50_000_000
"""All entries together: past it the oldest are dropped."""


@dataclass(frozen=True)
class CachedPage:
    url: str
    """The URL the page came from (after same-host redirects)."""
    markdown: str
    cut: bool
    host: str
    local: bool
    stored: float
    status: int = 200


class PageCache:
    def __init__(self, *, ttl: float = TTL_S, max_chars: int = MAX_CHARS) -> None:
        self.ttl = ttl
        self.max_chars = max_chars
        self._entries: OrderedDict[str, CachedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str) -> CachedPage | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                return None
            if now - entry.stored > self.ttl:
                del self._entries[url]
                return None
            self._entries.move_to_end(url)
            return entry

    def put(self, url: str, entry: CachedPage) -> None:
        with self._lock:
            self._entries[url] = entry
            self._entries.move_to_end(url)
            total = sum(len(e.markdown) for e in self._entries.values())
            while total > self.max_chars and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                total -= len(dropped.markdown)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


PAGES = PageCache()
"""The process's cache (every session in it shares it)."""
