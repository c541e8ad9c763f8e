"""The terminal under interactive mode: echo and type-ahead (termios), line history (readline).

Everything here does nothing when stdin is not a terminal or the platform lacks the module, so
interactive mode degrades to plain ``input()``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["Terminal", "forget_last_history_line", "history"]


class Terminal:
    """The terminal's echo, switched off while a turn runs (keys typed then would smear the
    spinner; they still reach the next prompt), and its type-ahead, discarded before an approval
    question. Does nothing when stdin is not a terminal."""

    def __init__(self) -> None:
        self.fd: int | None = None
        self.saved: list[Any] | None = None
        try:
            import termios

            fd = sys.stdin.fileno()
            if os.isatty(fd):
                self.saved, self.fd = termios.tcgetattr(fd), fd
        except (ImportError, OSError, ValueError):
            pass

    def quiet(self) -> None:
        if self.fd is None:
            return
        import termios

        attrs = termios.tcgetattr(self.fd)
        attrs[3] &= ~termios.ECHO
        with contextlib.suppress(termios.error):
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)

    def restore(self) -> None:
        if self.fd is not None and self.saved is not None:
            import termios

            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)

    def discard_typeahead(self) -> None:
        if self.fd is not None:
            import termios

            with contextlib.suppress(termios.error):
                termios.tcflush(self.fd, termios.TCIFLUSH)


@contextlib.contextmanager
def history() -> Iterator[None]:
    """Line editing and a persistent history file, when readline is available."""
    try:
        import readline
    except ImportError:  # pragma: no cover - readline is missing on some platforms
        yield
        return
    from agentrun.home import agentrun_home

    path = agentrun_home() / "history"
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)


def forget_last_history_line() -> None:
    # approval answers ("y") are not worth recalling with the up arrow
    try:
        import readline
    except ImportError:  # pragma: no cover
        return
    n = readline.get_current_history_length()
    if n:
        with contextlib.suppress(ValueError):
            readline.remove_history_item(n - 1)
