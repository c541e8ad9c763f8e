"""Streaming display helpers: live displays that never take Ctrl-C, Markdown (imported late),
and thinking shown as its latest words while it streams, then folded to one line."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from agentrun.cli.termsafe import safe
from agentrun.cli.toollines import one_line

if TYPE_CHECKING:
    from rich.live import Live
    from rich.markdown import Markdown

    from agentrun.core.types import JSON


def start_live(live: Live, *, refresh: bool = False) -> None:
    """Start a live display whose refresh thread can never receive SIGINT.

    A Ctrl-C delivered to that thread (it may linger a moment after ``stop()``) would not wake
    the main thread out of readline's ``select()``: the approval question would ignore it.
    Threads inherit their creator's signal mask, so SIGINT is blocked just around the start.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        live.start(refresh=refresh)
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        live.start(refresh=refresh)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def blocks_of(message: JSON) -> list[JSON]:
    content = message.get("content", [])
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def markdown(text: str) -> Markdown:
    # rich.markdown (markdown-it, pygments) is ~90 ms of the interactive start: imported at the
    # first answer (interactive mode warms it while the user types).
    from rich.markdown import Markdown

    return Markdown(text)


def latest(thinking: str, width: int = 90) -> str:
    """The end of the thinking so far, on one line: what the model is thinking about now."""
    tail = " ".join(safe(thinking[-4 * width :]).split())
    return tail if len(tail) <= width else "…" + tail[-(width - 1) :]


def folded(thinking: str, width: int = 100) -> str:
    """Thinking folded to its first line, with how much was folded away."""
    lines = [line for line in thinking.strip().splitlines() if line.strip()]
    first = one_line(safe(lines[0]))
    if len(first) > width:
        first = first[: width - 1] + "…"
    words = sum(len(line.split()) for line in lines[1:])
    return f"Thinking: {first}" + (f" (+{words} words folded)" if len(lines) > 1 else "")
