"""What WebFetch got for a URL, and the tape a recording or a replay puts around the fetch.

WebFetch asks its model for the page (``web_page``) when the model has the method: a
recording fetches live and writes the outcome down; a replay answers from the recording and
never fetches (a URL it has no outcome for gets an error outcome). Any other model: WebFetch
fetches itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class PageOutcome:
    """One URL's outcome: a page (``markdown``), a redirect to another host (``redirect``, not
    followed) or an error result text (``error``: refused, failed, HTTP >= 400, not text)."""

    url: str
    """The URL the model asked for."""
    final_url: str = ""
    status: int = 0
    markdown: str = ""
    cut: bool = False
    """Only the first part of the body was read."""
    redirect: str = ""
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v or k == "url"}

    @classmethod
    def from_json(cls, data: object) -> PageOutcome:
        """The outcome a recording holds; ValueError when a field has the wrong type."""
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            raise ValueError("a page outcome is an object with a 'url' string")
        fields: dict[str, Any] = {"url": data["url"]}
        for name, kind in (
            ("final_url", str),
            ("status", int),
            ("markdown", str),
            ("cut", bool),
            ("redirect", str),
            ("error", str),
        ):
            if name in data:
                value = data[name]
                if type(value) is not kind:
                    raise ValueError(f"the page outcome's {name!r} must be {kind.__name__}")
                fields[name] = value
        return cls(**fields)


@runtime_checkable
class WebTape(Protocol):
    """A model that records or replays WebFetch's page fetches."""

    def web_page(self, url: str, live: Callable[[], PageOutcome]) -> PageOutcome:
        """The outcome for ``url``: ``live()`` (the real fetch) recorded, or a recorded one."""
        ...
