"""The web tools' part of a recording: their lines, and how a replay finds the one for a call.

A recording writes three kinds of ``web`` lines among the turns::

    {"web": "page", "url": "...", "page": {"url", "final_url", "status", "markdown", ...}}
    {"web": "web_fetch", "request": {...}, "response": {...}}   # the small model on a page
    {"web": "web_search", "request": {...}, "response": {...}}  # the server-side search
    {"web": "web_search", "request": {...}, "error": "..."}     # ... that failed

Concurrent WebFetch calls finish in any order, so a replay does not serve these in order: it
finds the first unused line of the kind whose key matches (the URL; the small model's question,
page and prompt; the search's query and domain lists). None matching is drift. A page is a
page's Markdown, a redirect to another host, or an error text (:class:`PageOutcome`).
"""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ScriptFormatError
from agentrun.core.webtape import PageOutcome

if TYPE_CHECKING:
    from agentrun.core.types import JSON, ModelResponse

WEB_KINDS = ("page", "web_fetch", "web_search")
_WHAT = {"page": "WebFetch's page", "web_fetch": "WebFetch's answer", "web_search": "WebSearch"}


@dataclass(frozen=True)
class RecordedWeb:
    kind: str
    key: str
    line: int
    page: PageOutcome | None = None
    response: ModelResponse | None = None
    error: str | None = None
    """The request failed when recorded (a provider without search): with this message."""


def request_key(messages: Sequence[Any], extra: Any) -> str:
    """What identifies a web tool's model request: its question (and the search's tool entry,
    which holds the domain lists)."""
    content = messages[-1].get("content", "") if messages and isinstance(messages[-1], dict) else ""
    if isinstance(content, list):
        content = "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    tools = extra.get("tools") if isinstance(extra, dict) else None
    return str(content) + ("" if not tools else "\n" + json.dumps(tools, sort_keys=True))


def parse_web_line(entry: JSON, path: Path, number: int) -> RecordedWeb:
    """One ``web`` line; :class:`ScriptFormatError` names the line when it is malformed."""
    from agentrun.models.recording import response_from_json

    kind = entry.get("web")
    try:
        if kind == "page":
            page = PageOutcome.from_json(entry.get("page"))
            return RecordedWeb("page", page.url, number, page=page)
        if kind in ("web_fetch", "web_search"):
            request = entry["request"]
            key = request_key(request.get("messages") or [], request.get("extra"))
            if "error" in entry:
                return RecordedWeb(str(kind), key, number, error=str(entry["error"]))
            response = response_from_json(entry["response"])
            return RecordedWeb(str(kind), key, number, response=response)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ScriptFormatError(
            f"a malformed {kind} line ({type(e).__name__}: {e})", path=path, line=number
        ) from e
    raise ScriptFormatError(f"unknown web line kind {kind!r}", path=path, line=number)


class WebReplay:
    """The recorded web lines, each served once, found by key (thread-safe: the web tools of
    one turn run concurrently)."""

    def __init__(self, entries: Sequence[RecordedWeb]) -> None:
        self.entries = list(entries)
        self._used: set[int] = set()
        self._lock = threading.Lock()

    def take(
        self, kind: str, key: str, matches: Callable[[str, str], bool]
    ) -> tuple[RecordedWeb | None, str]:
        """The first unused ``kind`` line whose key ``matches`` this one; else None and a
        description of the drift (with a diff against the most alike unused line of the kind)."""
        with self._lock:
            unused = [
                (i, e) for i, e in enumerate(self.entries) if e.kind == kind and i not in self._used
            ]
            for index, entry in unused:
                if matches(entry.key, key):
                    self._used.add(index)
                    return entry, ""
        what = _WHAT[kind]
        if not unused:
            return None, f"{what} was asked for more often than the recording holds:\n{key}\n"
        nearest = max(
            (e for _, e in unused),
            key=lambda e: difflib.SequenceMatcher(None, e.key, key).quick_ratio(),
        )
        diff = "".join(
            difflib.unified_diff(
                [line + "\n" for line in nearest.key.splitlines()],
                [line + "\n" for line in key.splitlines()],
                fromfile=f"recorded (line {nearest.line})",
                tofile="this run",
            )
        )
        return None, f"{what} differs from the recording:\n{diff}"
