"""What the git watcher's scan found (:class:`Found`), what the model is told of the entries it
renamed, and the small helpers that name entries beneath a directory fd without following links.
(Its names are also importable from :mod:`agentrun.jail.gitwatch`.)"""

from __future__ import annotations

import errno
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

QUARANTINE = ".agentrun-quarantined-"


@dataclass
class Found:
    """What a scan found: entries to bind read-only, sockets to cover, and for the watcher the
    identity (dev, inode) of every protected entry that was already there."""

    protected: list[Path] = field(default_factory=list)
    sockets: list[Path] = field(default_factory=list)
    known: set[tuple[int, int]] = field(default_factory=set)
    repos: list[Path] = field(default_factory=list)
    """Work trees below the roots (a ``.git`` at depth), whose hooks and includes are guarded."""
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    """Protected symlinks there from the start, with their targets: a symlink cannot be bound
    read-only, so one removed and made again (maybe on the same inode) is judged by its target."""


def _readlink(dir_fd: int, name: str) -> str:
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return ""


def _ident(dir_fd: int, name: str) -> tuple[int, int] | None:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _rel(path: Path, top: Path) -> str:
    """``path`` relative to ``top`` as the walk names it ("" for ``top`` itself)."""
    rel = path.relative_to(top).as_posix()
    return "" if rel == "." else rel


def quarantine(dir_fd: int, name: str, path: Path) -> tuple[Path | None, str]:
    """Rename the entry ``name`` of the directory ``dir_fd`` (shown as ``path``) to a name git
    ignores; where it went, or None and why not (nothing to say when it is already gone)."""
    new = f"{name}{QUARANTINE}{secrets.token_hex(3)}"
    try:
        os.rename(name, new, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return None, ""
        log.warning("could not quarantine %s: %s", path, e)
        return None, f"{path} could not be neutralised ({e.strerror})."
    return path.parent / new, ""


def quarantine_notice(moved: Sequence[tuple[Path, Path]]) -> str:
    """What the model is told about entries it created under protected names, now renamed."""
    listed = "; ".join(f"{path} -> {new.name}" for path, new in moved)
    return (
        f"Renamed by the sandbox: {listed}. Git metadata (.git, .gitmodules, a bare "
        "repository's HEAD at any depth), .claude/, .agentrun/ and .mcp.json at any depth, "
        "git's hooks directory (core.hooksPath, also a nested repository's) and what a home "
        "directory's links lead to are read-only in this session, because the host's git "
        "and tools would execute what they configure. "
        "Creating a repository (a nested `git init`, a submodule) or changing git's, a "
        "shell's or an agent's configuration is not the agent's job: ask the user to do it."
    )
