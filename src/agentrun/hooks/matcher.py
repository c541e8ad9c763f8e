"""What a hook's ``matcher`` matches: ``*`` or empty for everything, an exact name, ``A|B``
alternatives, or else a regular expression matched against the whole name (``Edit|Write``,
``mcp__github__.*``, ``Notebook.*``)."""

from __future__ import annotations

import functools
import re

__all__ = ["check_matcher", "matches"]

_PLAIN = re.compile(r"[A-Za-z0-9_|]*")


def matches(matcher: str, value: str | None) -> bool:
    """Whether ``matcher`` selects ``value`` (None: an event without a match field)."""
    if matcher in ("", "*") or value is None:
        return True
    if _PLAIN.fullmatch(matcher):
        return value in matcher.split("|")
    return _compiled(matcher).fullmatch(value) is not None


def check_matcher(matcher: str) -> str | None:
    """None when ``matcher`` is usable, else why not (for the configuration error)."""
    if matcher in ("", "*") or _PLAIN.fullmatch(matcher):
        return None
    try:
        _compiled(matcher)
    except re.error as e:
        return f"not a valid regular expression: {e}"
    return None


@functools.lru_cache(maxsize=256)
def _compiled(matcher: str) -> re.Pattern[str]:
    # Matchers are the user's own configuration (a tool name is short): Python's re is fine here.
    return re.compile(matcher)
