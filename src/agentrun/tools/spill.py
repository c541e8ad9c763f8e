"""Big tool outputs kept out of the context: the whole output goes to a file the jail can read,
the model gets a preview and the path (like Claude Code, which does this past ~30 KB).

One path for every tool: Bash streams its output into a file as it comes (:meth:`Spill.open`),
and the tool runner passes every other result through :meth:`Spill.kept` (Grep, Read of many
lines, MCP results, a subagent's answer).

The files live in ``tool-outputs/`` of the session's tmp dir. The jail binds that directory
read-only at the same path (see :data:`SPILL_DIR` in the runtime's sandbox): Read, Grep and
commands can read a saved output, no jailed command can change it, and a mount point cannot be
renamed or replaced. The unconfined runtime still opens the directory ``O_NOFOLLOW`` and each
file ``O_EXCL | O_NOFOLLOW`` under that directory's fd (the tmp dir around it is writable by
jailed commands): should anything be planted in its place, the spill fails (the output is then
only cut), never writes elsewhere.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from pathlib import Path
from typing import IO

from agentrun.core.types import ToolResult, block_text

SPILL_DIR = "tool-outputs"
PREVIEW_CHARS = 2_000
"""How much of a spilled output the model sees."""
DEFAULT_THRESHOLD = 30_000
"""Characters past which an output is spilled (Claude Code's ~30 KB)."""
OWN_LIMITS = frozenset({"Bash", "Read"})
"""Tools that spill by their own rule, not the runner's: Bash as its output streams, Read only
past its 25,000-token limit (a 1,000-line source file stays in the context, as in Claude Code)."""
_counter = itertools.count(1)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class Spill:
    """Where one session's big outputs go (``root``: the session's tmp dir)."""

    def __init__(self, root: Path, *, threshold: int = DEFAULT_THRESHOLD) -> None:
        self.dir = Path(root) / SPILL_DIR
        self.threshold = threshold
        with contextlib.suppress(FileExistsError):
            self.dir.mkdir(mode=0o755)

    def open(self, stem: str) -> tuple[Path, IO[bytes]] | None:
        """A new file ``stem-N.txt``, opened for writing; None when that is not safe or fails."""
        stem = _UNSAFE.sub("-", stem.lower()).strip("-")[:40] or "output"
        name = f"{stem}-{os.getpid()}-{next(_counter)}.txt"
        try:
            dir_fd = os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(name, flags, 0o644, dir_fd=dir_fd)
        except OSError:
            return None
        finally:
            os.close(dir_fd)
        return self.dir / name, os.fdopen(fd, "wb")

    def keep(self, text: str, stem: str) -> str:
        """``text`` if it is small, else the preview of it saved whole to a file."""
        if len(text) <= self.threshold:
            return text
        opened = self.open(stem)
        if opened is None:
            return text
        path, file = opened
        try:
            with file:
                file.write(text.encode("utf-8", "replace"))
        except OSError:  # a full disk: the caller's own cut applies
            return text
        return preview(text[:PREVIEW_CHARS], path, len(text))

    def kept(self, result: ToolResult, stem: str) -> ToolResult:
        """``result``, or a copy whose text is the preview when its text passes the threshold.
        Results holding images stay as they are (their text is small; the image is the point)."""
        content = result.content
        if isinstance(content, list):
            if any(block.get("type") != "text" for block in content):
                return result
            # Blocks on separate lines: one block's last line must not run into the next's first.
            text = block_text(content, sep="\n")
        else:
            text = content
        if len(text) <= self.threshold:
            return result
        shown = self.keep(text, stem)
        if shown is text:
            return result
        return ToolResult(shown, result.is_error, result.usage, result.cost_usd)


def preview(head: str, path: Path, total: int) -> str:
    """What the model reads instead of a big output (model-facing text)."""
    return (
        f"{head}\n\n[Output too large for the context: {total:,} characters. The first "
        f"{len(head):,} are shown above; the whole output is saved in {path}. Read it with "
        "Read (offset and limit) or search it with Grep instead of asking for it all again.]"
    )
