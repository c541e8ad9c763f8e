"""Agent colours (an agent file's ``color:``) as terminal styles."""

from __future__ import annotations

_COLOR_NAMES = {"orange": "dark_orange", "pink": "hot_pink"}
"""Claude Code's agent colours that the terminal library spells otherwise."""


def terminal_color(name: str | None) -> str:
    """A style for an agent's ``color:`` (empty when the terminal library does not know it)."""
    from rich.color import Color, ColorParseError

    wanted = _COLOR_NAMES.get(name or "", name or "")
    try:
        Color.parse(wanted)
    except ColorParseError:
        return ""
    return wanted
