"""Reading a session transcript that may be damaged, and the one definition of a turn.

A transcript is never lost to one bad line. Reading keeps every entry that is whole and well
formed, and says what it skipped:

- a last line without its newline that does not parse was torn by a crash mid-write: dropped
  quietly (the next run appending to the file cuts it first);
- a damaged line anywhere else (not UTF-8, not JSON, not an entry of the known shape) is skipped
  with a problem naming ``file:line``. An entry that was appended after a torn line is glued to
  its end; it is recovered from there.

A **turn** is one model response: one assistant ``message`` entry. ``agentrun sessions``, the
interactive footer and a result's ``num_turns`` (the turns of that run) all count this way.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentrun.core.types import block_text

__all__ = ["Transcript", "content_text", "count_turns", "is_turn", "read_transcript"]

MAX_BYTES = 1 << 30
"""A transcript larger than this is not read (listing must not load a runaway file whole)."""

_ENTRY_START = b'{"type":'


@dataclass
class Transcript:
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One line per damaged line skipped: ``path:line: what``."""


def is_turn(entry: dict[str, Any]) -> bool:
    """Whether a transcript entry is one turn (a model response)."""
    return entry.get("type") == "message" and entry["message"].get("role") == "assistant"


def count_turns(entries: list[dict[str, Any]]) -> int:
    """The turns in a transcript's entries (see the module docstring)."""
    return sum(1 for entry in entries if is_turn(entry))


def content_text(content: Any) -> str:
    """The text of a message's content: a string as is, else its text blocks joined."""
    # Joined with spaces, not run together: this is a listing's one-line title of the session.
    return block_text(content, sep=" ")


def read_bytes(path: Path) -> bytes:
    """A transcript file's bytes. Only a regular file is read (a FIFO named ``x.jsonl`` must not
    hang a listing), without following a symlink at the last component. Raises OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, "not a regular file")
        if info.st_size > MAX_BYTES:
            raise OSError(0, f"too large ({info.st_size:,} bytes)")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_transcript(path: Path) -> Transcript:
    """Every intact entry of the transcript at ``path``. Raises OSError if it cannot be read."""
    return parse_transcript(read_bytes(path), path)


def parse_transcript(data: bytes, path: Path | str) -> Transcript:
    out = Transcript()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        entry, why = _parse(raw)
        if entry is None:
            out.problems.append(f"{path}:{number}: skipped a damaged line ({why})")
            continue
        if why:
            out.problems.append(f"{path}:{number}: {why}")
        out.entries.append(entry)
    if tail.strip():
        entry, why = _parse(tail)
        if entry is not None and not why:
            out.entries.append(entry)  # whole, only its newline missing
    return out


def _parse(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """(entry, "") for a good line; (entry, note) for one recovered from the end of a damaged
    line; (None, why) for a line that holds no entry."""
    entry, why = _entry(raw)
    if entry is not None:
        return entry, ""
    start = raw.rfind(_ENTRY_START)
    if start > 0:  # a torn line with the next entry glued on (appended after a crash)
        glued, _ = _entry(raw[start:])
        if glued is not None:
            return glued, "skipped a torn entry and kept the whole one after it"
    return None, why


def _entry(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except ValueError:
        return None, "not JSON"
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return None, "not a transcript entry"
    if value["type"] == "message" and not _valid_message(value.get("message")):
        return None, "a message entry of the wrong shape"
    return value, ""


def _valid_message(message: Any) -> bool:
    if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
        return False
    content = message.get("content")
    if isinstance(content, str):
        return True
    return isinstance(content, list) and all(_valid_block(b) for b in content)


def _valid_block(block: Any) -> bool:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return False
    kind = block["type"]
    if kind == "text":
        return isinstance(block.get("text"), str)
    if kind == "tool_use":
        return (
            isinstance(block.get("id"), str)
            and isinstance(block.get("name"), str)
            and isinstance(block.get("input"), dict)
        )
    if kind == "tool_result":
        return isinstance(block.get("tool_use_id"), str)
    return True
