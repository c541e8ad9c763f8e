"""Big tool outputs kept out of the context: the whole output goes to a file the jail can read,
the model gets a preview and the path (like Claude Code, which does this past ~30 KB).

The files live in ``tool-outputs/`` of the session's tmp dir, which the jail binds at the same
path (readable by Read and Grep, and by commands). Jailed commands can write that tmp dir, so
the unconfined runtime opens the directory ``O_NOFOLLOW`` and each file ``O_EXCL | O_NOFOLLOW``
under that directory's fd: a planted symlink makes the spill fail (the output is then only cut,
as before), never write elsewhere.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path
from typing import IO

SPILL_DIR = "tool-outputs"
PREVIEW_CHARS = 2_000
"""How much of a spilled output the model sees."""
_counter = itertools.count(1)


class Spill:
    """Where one session's big outputs go (``root``: the session's tmp dir)."""

    def __init__(self, root: Path, *, threshold: int = 30_000) -> None:
        self.dir = Path(root) / SPILL_DIR
        self.threshold = threshold
        with contextlib.suppress(FileExistsError):
            self.dir.mkdir(mode=0o755)

    def open(self, stem: str) -> tuple[Path, IO[bytes]] | None:
        """A new file ``stem-N.txt``, opened for writing; None when that is not safe or fails."""
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
        with file:
            file.write(text.encode("utf-8", "replace"))
        return preview(text[:PREVIEW_CHARS], path, len(text))


def preview(head: str, path: Path, total: int) -> str:
    """What the model reads instead of a big output (model-facing text)."""
    return (
        f"{head}\n\n[Output too large for the context: {total:,} characters. The first "
        f"{len(head):,} are shown above; the whole output is saved in {path}. Read it with "
        "Read (offset and limit) or search it with Grep instead of running the command again.]"
    )
