"""Where git keeps what a workspace's repository needs, found before the jail starts.

The jail shows little of the host (:mod:`agentrun.jail.rootfs`): so that `git status` and
`git diff` still work in a workspace that is a package of a monorepo or a linked worktree, the
repository around it and the git dir a gitfile points to are shown read-only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from agentrun.core.pathutil import is_within
from agentrun.jail.openat2 import O_PATH, open_beneath, walk_beneath

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def gitdir_target(dir_fd: int, name: str, where: Path) -> Path | None:
    """Where a ``.git`` gitfile (``gitdir: X``) or symlink points, resolved; None otherwise."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(name, dir_fd=dir_fd)
        elif stat.S_ISREG(st.st_mode) and st.st_size < 4096:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
            with os.fdopen(fd, "rb") as f:
                line = f.readline().decode(errors="replace").strip()
            if not line.startswith("gitdir:"):
                return None
            target = line.removeprefix("gitdir:").strip()
        else:
            return None
    except OSError:
        return None
    return Path(os.path.realpath(where / target))


def sockets_in(directory: Path) -> list[Path]:
    """The pathname sockets directly in ``directory`` (git's fsmonitor daemon keeps one in
    ``.git``): the jail covers them, as it cannot show the host's sockets."""
    out: list[Path] = []
    with contextlib.suppress(OSError), os.scandir(directory) as it:
        for e in it:
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK(e.stat(follow_symlinks=False).st_mode):
                    out.append(directory / e.name)
    return out


def _linked_gitdirs(worktree: Path) -> list[Path]:
    """Where the repository of ``worktree`` lives when its ``.git`` is a gitfile or a symlink
    (a linked worktree, a submodule): the git dir and its common dir."""
    git = worktree / ".git"
    try:
        fd = os.open(worktree, _DIR)
    except OSError:
        return []
    try:
        target = gitdir_target(fd, ".git", worktree)
    finally:
        os.close(fd)
    if target is None or not target.is_dir():
        return [git] if git.is_dir() else []
    out = [target]
    with contextlib.suppress(OSError, UnicodeDecodeError):
        common = (target / "commondir").read_text().strip()
        if common:
            out.append(Path(os.path.realpath(target / common)))
    return out


def git_context(roots: Sequence[Path], *, readable: Callable[[Path], bool]) -> list[Path]:
    """Trees outside the roots that git needs, read-only, to work in them: the repository a
    root lies in (a package of a monorepo: its top level, so `git status` sees the files
    around it as they are) and the git dir a gitfile points to (a linked worktree, whose
    objects live in the main repository). Only what ``readable`` allows (the deny list)."""
    out: list[Path] = []
    for root in roots:
        git = root / ".git"
        own = git.is_file() or git.is_symlink() or (git.is_dir() and any(git.iterdir()))
        top: Path | None = root if own else None
        if top is None:
            top = next((a for a in root.parents if _is_repository(a)), None)
            if top is not None and readable(top) and top != Path("/"):
                out.append(top)
        if top is not None:
            out += [d for d in _linked_gitdirs(top) if readable(d)]
    return [
        p
        for p in dict.fromkeys(out)
        if not any(is_within(p, r) for r in roots)
        and not any(is_within(p, Path(n)) for n in _NEVER_SHOWN)
    ]


# Where host sockets and kernel state live: a gitfile naming them is not followed into the view.
_NEVER_SHOWN = ("/run", "/var/run", "/proc", "/sys", "/dev")


def _is_repository(directory: Path) -> bool:
    git = directory / ".git"
    try:
        return git.is_file() or (git.is_dir() and any(git.iterdir()))
    except OSError:
        return False


def open_dir(root_fd: int, rel: str, flags: int = _DIR) -> int:
    """Directory ``rel`` beneath the root, no symlink or ``..`` on the way; past PATH_MAX (a
    command can nest directories deeper than one path can name) one component at a time.

    A directory its owner made unreadable (mode 0311: git can still enter it, the watch could
    not list or watch it) is given back its owner's read right first: an unprivileged runtime
    runs as that owner, and root's runtime reads it anyway."""
    if not rel:
        return os.dup(root_fd)
    try:
        return _open_beneath(root_fd, rel, flags)
    except PermissionError:
        if flags & O_PATH:
            raise
    where = _open_beneath(root_fd, rel, O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        st = os.fstat(where)
        if st.st_uid == os.geteuid():
            Path(f"/proc/self/fd/{where}").chmod(stat.S_IMODE(st.st_mode) | stat.S_IRWXU)
    finally:
        os.close(where)
    return _open_beneath(root_fd, rel, flags)


def _open_beneath(root_fd: int, rel: str, flags: int) -> int:
    try:
        return open_beneath(root_fd, rel, flags)
    except OSError as e:
        if e.errno != errno.ENAMETOOLONG:
            raise
        return walk_beneath(root_fd, rel, flags)


BARE_MARKS = ("HEAD", "objects", "refs", "commondir")
BARE_RUNS = ("HEAD", "config", "commondir")
"""What a bare-shaped directory made during the session loses: the entries git needs to take it
for a repository (HEAD, commondir) and the one that says what to run (config)."""


def bare_shaped(dir_fd: int) -> bool:
    """Whether git could take this directory for a repository of its own (a bare one: git's
    ``is_git_directory`` wants a HEAD plus ``objects`` and ``refs`` it can enter, or a
    ``commondir`` file naming where they are).

    Wider than git on purpose: git follows symlinks and only asks ``access(X_OK)``, so
    ``objects`` may be a symlink (even one dangling now, whose target a later command makes) or
    an executable regular file; any entry under those names counts. Only a directory named
    HEAD does not (git reads HEAD as a file or a symlink)."""

    def mode(name: str) -> int | None:
        try:
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
        except OSError:
            return None

    head = mode("HEAD")
    if head is None or stat.S_ISDIR(head):
        return False
    both = mode("objects") is not None and mode("refs") is not None
    return both or mode("commondir") is not None
