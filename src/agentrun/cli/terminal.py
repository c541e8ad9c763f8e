"""The terminal under interactive mode: echo and type-ahead (termios), line history (readline).

Everything here does nothing when stdin is not a terminal or the platform lacks the module, so
interactive mode degrades to plain ``input()``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

__all__ = [
    "Terminal",
    "add_history",
    "forget_last_history_line",
    "history",
    "leave_on_signals",
    "save_last_history_line",
]

HISTORY_LINES = 1000


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


def _history_path() -> Any:
    from agentrun.core.home import agentrun_home

    return agentrun_home() / "history"


@contextlib.contextmanager
def history() -> Iterator[None]:
    """Line editing and a persistent history file, when readline is available.

    Bracketed paste is switched on (Python's readline starts with it off), so a pasted block of
    several lines is one prompt, not one prompt per line. Each prompt is appended to the file as
    it is sent (:func:`save_last_history_line`): a killed terminal keeps it, and two sessions
    sharing the file keep each other's.
    """
    try:
        import readline
    except ImportError:  # pragma: no cover - readline is missing on some platforms
        yield
        return
    readline.parse_and_bind("set enable-bracketed-paste on")
    path = _history_path()
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
        if readline.get_current_history_length() > 2 * HISTORY_LINES:
            readline.set_history_length(HISTORY_LINES)
            readline.write_history_file(path)  # trimmed now and then, not on every exit
    readline.set_history_length(-1)
    yield


def save_last_history_line() -> None:
    """Append the line just read to the history file."""
    try:
        import readline
    except ImportError:  # pragma: no cover
        return
    if not hasattr(readline, "append_history_file"):  # pragma: no cover - libedit builds
        return
    path = _history_path()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.touch(mode=0o600)
        readline.append_history_file(1, path)


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


def add_history(line: str) -> None:
    """A prompt given on the command line goes into the history like a typed one."""
    try:
        import readline
    except ImportError:  # pragma: no cover
        return
    readline.add_history(line)
    save_last_history_line()


@contextlib.contextmanager
def leave_on_signals() -> Iterator[None]:
    """SIGTERM or SIGHUP (a closed terminal) leave like /exit, through every ``finally``: the
    echo and the cursor come back, the session's jobs are killed. The exit code is 128 + the
    signal, as a shell reports it."""

    from agentrun.core.signals import handling

    signals = (signal.SIGTERM, signal.SIGHUP)

    def leave(signum: int, _frame: object) -> None:
        for sig in signals:  # a second one must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        raise SystemExit(128 + signum)

    with handling(signals, leave):
        yield
