"""A bounded buffer for command output: keeps the head and the tail, counts what it drops.

A command may print gigabytes; the model gets at most ``limit`` characters. The beginning (what
ran) and the end (the error at the bottom of a build log) matter most, so both are kept and the
middle is replaced by a marker saying how much was cut. Memory stays around ``limit`` plus one
chunk whatever the command prints. Also here: reading a pipe into the buffer, and the text of a
command's result (outcome first, then output, then notes).
"""

from __future__ import annotations

import codecs
import os
import select
import signal
import time
from collections import deque
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Literal

from agentrun.core.types import ToolResult
from agentrun.tools.specs import MAX_OUTPUT_CHARS

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

CHUNK = 1 << 16

# C0 control characters and DEL become U+FFFD, like undecodable bytes: a command printing binary
# must not hand the model (or the transcript and terminal after it) NULs and bells. Tab, LF, CR
# and ESC stay: they carry layout, progress lines and colours a model can read.
_CONTROL_TABLE = dict.fromkeys(
    [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F], "\ufffd"
)


class OutputBuffer:
    """Feed it bytes in chunks; ``text()`` gives the decoded, capped output."""

    def __init__(
        self,
        *,
        limit: int = MAX_OUTPUT_CHARS,
        spill: Callable[[], tuple[Path, IO[bytes]] | None] | None = None,
    ) -> None:
        """``spill`` opens a file for the whole output once it passes ``limit`` (None: the
        output is only cut); ``text()`` then gives a preview and the file's path."""
        self._spill_open = spill
        self._spill: tuple[Path, IO[bytes]] | None = None
        if limit < 200:
            raise ValueError(f"output limit {limit} is too small to hold the cut marker")
        self._limit = limit
        self._head_max = limit // 2
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._head: list[str] = []
        self._head_len = 0
        self._tail: deque[str] = deque()
        self._tail_len = 0
        self._total = 0

    @property
    def total_chars(self) -> int:
        """Characters seen so far, kept or not."""
        return self._total

    def feed(self, data: bytes) -> None:
        self._add(self._decoder.decode(data))

    def _add(self, text: str) -> None:
        if not text:
            return
        if self._spill is not None:
            self._spill[1].write(text.encode("utf-8", "replace"))
        elif self._spill_open is not None and self._total + len(text) > self._limit:
            # Nothing was dropped yet: what is kept is the whole output so far.
            self._spill, self._spill_open = self._spill_open(), None
            if self._spill is not None:
                for part in (*self._head, *self._tail, text):
                    self._spill[1].write(part.encode("utf-8", "replace"))
        self._total += len(text)
        room = self._head_max - self._head_len
        if room > 0:
            taken = text[:room]
            self._head.append(taken)
            self._head_len += len(taken)
            text = text[len(taken) :]
            if not text:
                return
        self._tail.append(text)
        self._tail_len += len(text)
        # Drop whole chunks from the left while what remains still covers the kept tail.
        keep = self._limit - self._head_max
        while self._tail and self._tail_len - len(self._tail[0]) >= keep:
            self._tail_len -= len(self._tail.popleft())

    def text(self) -> str:
        """The output, cut in the middle with a marker when longer than the limit.

        Invalid UTF-8 and control characters (see ``_CONTROL_TABLE``) come out as U+FFFD, one
        character each, so lengths and the cut are the same as for the raw text.
        """
        self._add(self._decoder.decode(b"", final=True))
        head = "".join(self._head).translate(_CONTROL_TABLE)
        if self._spill is not None:
            from agentrun.tools.spill import PREVIEW_CHARS, preview

            path, file = self._spill
            file.close()
            return preview(head[:PREVIEW_CHARS], path, self._total)
        tail = "".join(self._tail).translate(_CONTROL_TABLE)
        if self._total <= self._limit:
            return head + tail
        # The marker's own length depends on the count; size it for the worst case.
        probe = _marker(self._total)
        keep_tail = self._limit - len(head) - len(probe)
        kept_tail = tail[len(tail) - keep_tail :] if keep_tail > 0 else ""
        omitted = self._total - len(head) - len(kept_tail)
        return head + _marker(omitted) + kept_tail


def _marker(omitted: int) -> str:
    return f"\n\n[... {omitted:,} characters of output cut here ...]\n\n"


def format_result(
    outcome: Literal["exit", "timeout", "cancel"],
    status: int | None,
    output: str,
    *,
    timeout_ms: int,
    notes: Sequence[str] = (),
) -> ToolResult:
    """What the model reads after a command: the outcome first, then the output, then notes."""
    text = output.rstrip()
    if outcome == "timeout":
        header: str | None = (
            f"Command timed out after {timeout_ms / 1000:g} s and was killed, "
            "with every process it started."
        )
    elif outcome == "cancel":
        header = "Command was interrupted by the user and killed, with every process it started."
    elif status is None or status == 0:
        header = None
    elif status < 0:
        header = f"Command was killed by signal {_signal_name(-status)}."
    elif 128 < status <= 128 + 64 and (name := _signal_name(status - 128, strict=True)):
        # bash reports 128+N both for a child killed by signal N and for `exit 128+N`.
        header = f"Exit code {status} (as when killed by {name})"
    else:
        header = f"Exit code {status}"
    if header is None:
        body = text or "(The command succeeded and printed nothing.)"
    else:
        body = f"{header}\n{text or '(no output)'}"
    if outcome == "timeout" and timeout_ms < 1000:
        # A model that meant seconds (timeout: 30) learns why its command had no chance.
        notes = [
            *notes,
            f"`timeout` is in milliseconds: {timeout_ms} means {timeout_ms / 1000:g} s. "
            "Give e.g. 60000 for a minute.",
        ]
    if notes:
        body += "\n\n" + "\n".join(notes)
    return ToolResult(body, is_error=header is not None)


def _signal_name(number: int, *, strict: bool = False) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "" if strict else f"signal {number}"


def read_available(fd: int, buffer: OutputBuffer, limit: int = 16 * CHUNK) -> bool:
    """Read what a non-blocking ``fd`` has ready (up to ``limit`` bytes, so the caller gets back
    to its deadline checks); True at EOF."""
    got = 0
    while got < limit:
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return False
        if not data:
            return True
        buffer.feed(data)
        got += len(data)
        if len(data) < CHUNK:
            return False
    return False


def drain(fd: int, buffer: OutputBuffer, *, deadline: float) -> None:
    """Read the rest of the pipe once every writer is dead (or the deadline passes)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while (remaining := deadline - time.monotonic()) > 0:
        if poller.poll(remaining * 1000) and read_available(fd, buffer):
            return
