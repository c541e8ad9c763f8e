"""A file's text for a diff preview, read by the unconfined runtime without trusting the file.

The file may have been made by jailed code: a FIFO (an open or read would block the session
forever), a FIFO fed from /dev/zero (an endless read), a symlink or a swapped directory
pointing at /etc/shadow (the runtime would show what the jail cannot read). So the path is
opened beneath the working directory with no symlink, ``..`` or magic link on the way
(``openat2`` RESOLVE_BENEATH, or the portable walk), non-blocking, and only a regular file of at
most ``limit`` bytes is read, never past the size checked. Anything else: no preview.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def read_preview(cwd: Path, raw: object, limit: int) -> str | None:
    """The text of the file ``raw`` names (relative to ``cwd``), or None when it is missing,
    outside ``cwd``, reached through a symlink, not a regular file or over ``limit`` bytes."""
    if not isinstance(raw, str) or not raw or "\0" in raw:
        return None
    from agentrun.core.pathutil import is_within
    from agentrun.jail.openat2 import open_beneath

    try:
        root = cwd.resolve()  # the user's own working directory; below it nothing is resolved
        path = Path(os.path.normpath(root / Path(raw).expanduser()))
        if not is_within(path, root) or path == root:
            return None
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | os.O_NOFOLLOW
        root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fd = open_beneath(root_fd, str(path.relative_to(root)), flags)
        finally:
            os.close(root_fd)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
                return None
            data = os.pread(fd, st.st_size, 0)  # the size checked, not what it grew to since
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return None
    return data.decode("utf-8", errors="replace")
