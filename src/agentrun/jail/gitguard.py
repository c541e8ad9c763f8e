"""Empty ``.git`` placeholders for the writable roots that have no repository.

Bash may write anywhere in the workspace, and a ``.git`` it created there (hooks, or a config
with ``core.fsmonitor``) would run code on the host at the user's next ``git status``. The
jail binds every root's existing ``.git`` read-only; where there is none, its start creates an
empty directory to bind instead. Git skips an empty ``.git`` and keeps searching upwards, so
the host's git sees what it saw before (no repository, or the enclosing one of a monorepo),
while inside the jail ``git init`` fails on a read-only ``.git`` that cannot be removed or
renamed (it is a mount point there).

Several sessions may share a workspace, and removing a directory detaches the mounts made on
it in other namespaces: so every jail holds a shared ``flock`` on the placeholder while it
runs, and one is removed only by whoever then gets it exclusively, and only if it is still the
same empty directory (inode checked, reached from the root's own descriptor: a root the jail
renamed or replaced by a symlink cannot redirect the removal). A runtime killed before its
clean-up leaves the list in its state directory, and the next jail's sweep removes them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LIST_NAME = "git-placeholders.json"
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class Placeholder:
    """One guarded root's empty ``.git``, held (shared lock) while the jail runs."""

    path: Path
    root_fd: int
    lock_fd: int
    inode: tuple[int, int]


def plant(roots: Iterable[Path], state: Path) -> list[Placeholder]:
    """A held placeholder for each root with no ``.git`` (or an empty one another session
    planted); roots whose ``.git`` is a repository, a file or a symlink are left alone. What is
    made is listed in ``state`` first, so a kill in between leaves nothing unlisted."""
    held: list[Placeholder] = []
    listed: list[dict[str, object]] = []
    for root in roots:
        placeholder = _hold(root)
        if placeholder is not None:
            held.append(placeholder)
            dev, ino = placeholder.inode
            listed.append({"path": str(placeholder.path), "dev": dev, "ino": ino})
    (state / LIST_NAME).write_text(json.dumps(listed))
    return held


def _hold(root: Path) -> Placeholder | None:
    try:
        root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    for _ in range(3):  # another session may remove it between our open and our lock
        with contextlib.suppress(FileExistsError, OSError):
            os.mkdir(".git", 0o755, dir_fd=root_fd)
        try:
            fd = os.open(".git", _DIR, dir_fd=root_fd)
        except OSError:
            break  # a file, a symlink, or gone for good: not ours to guard
        if os.listdir(fd):
            os.close(fd)
            break  # a repository (someone's `git init`): the protected paths cover it
        fcntl.flock(fd, fcntl.LOCK_SH)
        st = os.fstat(fd)
        with contextlib.suppress(OSError):
            now = os.stat(".git", dir_fd=root_fd, follow_symlinks=False)
            if (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
                return Placeholder(root / ".git", root_fd, fd, (st.st_dev, st.st_ino))
        os.close(fd)  # removed meanwhile: make it again
    os.close(root_fd)
    return None


def release(placeholders: Iterable[Placeholder]) -> None:
    """Let go of each placeholder, removing it unless another session still holds it or it is
    no longer the empty directory we hold (the user's own repository now, say)."""
    for p in placeholders:
        os.close(p.lock_fd)
        with contextlib.suppress(OSError):
            _remove_if_free(p.root_fd, p.inode)
        os.close(p.root_fd)


def _remove_if_free(root_fd: int, inode: tuple[int, int]) -> None:
    fd = os.open(".git", _DIR, dir_fd=root_fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: still in use
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) == inode and not os.listdir(fd):
            os.rmdir(".git", dir_fd=root_fd)
    finally:
        os.close(fd)


def sweep(state: Path) -> None:
    """Remove what a killed runtime's jail planted, from the list in its state directory."""
    try:
        listed = json.loads((state / LIST_NAME).read_text())
    except (OSError, ValueError):
        return
    for entry in listed if isinstance(listed, list) else ():
        with contextlib.suppress(OSError, TypeError, KeyError, ValueError):
            path = Path(entry["path"])
            if path.name != ".git":
                continue
            root_fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                _remove_if_free(root_fd, (int(entry["dev"]), int(entry["ino"])))
            finally:
                os.close(root_fd)
