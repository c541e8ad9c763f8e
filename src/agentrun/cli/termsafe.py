"""Text from a model, a tool or a workspace file, made safe to print on a terminal.

Such text may carry escape sequences meant for the user's terminal: OSC 52 sets the clipboard,
others retitle the window, move the cursor or rewrite lines already shown. Everything agentrun
prints for people goes through :func:`safe`, and every JSON line it prints through
:func:`json_line` (JSON escapes C0 controls itself, but with ``ensure_ascii=False`` it leaves
DEL and the C1 controls, such as U+009B, an 8-bit CSI, raw). Standard library only: the
one-shot path imports it without ``rich``.
"""

from __future__ import annotations

from typing import Any

# Newlines and tabs stay; C0 controls become their Unicode "control picture" (ESC -> U+241B),
# DEL and C1 controls U+FFFD.
_CONTROLS = {
    **{c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)},
    0x7F: 0xFFFD,
    **{c: 0xFFFD for c in range(0x80, 0xA0)},
}
# Inside a JSON string the same characters as escapes: the value read back is unchanged.
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}


def safe(text: str) -> str:
    """``text`` with terminal control characters made visible (see ``_CONTROLS``)."""
    return text.translate(_CONTROLS)


def json_line(value: Any) -> str:
    """``value`` as one line of JSON (UTF-8 text kept readable) with no raw control character."""
    import json

    return json.dumps(value, ensure_ascii=False).translate(_JSON_ESCAPES)
