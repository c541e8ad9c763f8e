"""Writes through a descriptor's path: ``echo x 3<f >/proc/self/fd/3`` opens ``f`` again, for
writing, although the line only opened it for reading. A write target naming a descriptor
(``/dev/fd/N``, ``/dev/stdout``, ``/proc/self/fd/N``, ``/proc/<pid>/fd/N``...) is a write of
whatever that descriptor refers to: the files the line's redirections open on it, or, when
the line does not say, a file the text does not name."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from agentrun.permissions.shellwords import is_redirection

__all__ = ["FdMap", "fd_map"]

_NAMED = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_FD_PATH = re.compile(r"/(?:dev/fd|proc/(self|thread-self|\d+)(?:/task/\d+)?/fd)/(\d+)")
_OTHER_PROCESS = -1  # `/proc/PID/fd/N`: another process's descriptor (a background job's)
# `<`, `>`, `>>`, `>|`, `<>`, `&>`, `&>>` with their descriptor; `<<<` and heredocs open no file
_OPEN = re.compile(r"(\d*)(<>|<|>>|>\||>|&>>|&>)")
_DUP = re.compile(r"(\d*)(?:<|>)&(\d+)-?")
_STD_ONLY = frozenset({0, 1, 2})


@dataclass
class FdMap:
    """The files a line's redirections open on each descriptor, over all its commands (an
    ``exec 3<f`` keeps ``3`` open for the commands after it)."""

    files: dict[int, list[str]] = field(default_factory=dict)
    dups: set[int] = field(default_factory=set)

    def resolve(
        self, path: str, seen: frozenset[int] = frozenset()
    ) -> tuple[list[str], bool] | None:
        """For a path naming a descriptor: the files a write to it writes, and whether it may
        also write one the line does not name; None for any other path."""
        fd = descriptor(path)
        if fd is None:
            return None
        if fd in seen or fd in self.dups or fd == _OTHER_PROCESS:
            return [], True
        if fd not in self.files:
            # the runner's own stdin/stdout/stderr are pipes; any other descriptor is unknown
            return [], fd not in _STD_ONLY
        files: list[str] = []
        opaque = False
        for target in self.files[fd]:
            if descriptor(target) == fd:
                continue  # `>/dev/stdout` reopens what fd 1 already was
            inner = self.resolve(target, seen | {fd})
            if inner is None:
                files.append(target)
            else:
                files += inner[0]
                opaque |= inner[1]
        return files, opaque or (not files and fd not in _STD_ONLY)


def descriptor(path: str) -> int | None:
    norm = posixpath.normpath(path) if path.startswith("/") else path
    if norm in _NAMED:
        return _NAMED[norm]
    m = _FD_PATH.fullmatch(norm)
    if m is None:
        return None
    return _OTHER_PROCESS if (m.group(1) or "self").isdigit() else int(m.group(2))


def fd_map(commands: tuple[tuple[str, ...], ...]) -> FdMap:
    out = FdMap()
    for words in commands:
        for i, word in enumerate(words):
            if not is_redirection(word):
                continue
            if m := _DUP.fullmatch(word):
                out.dups.add(int(m.group(1) or (0 if "<" in word else 1)))
                continue
            m = _OPEN.fullmatch(word)
            if m is None or i + 1 >= len(words):
                continue
            fds = [int(m.group(1))] if m.group(1) else []
            if not fds:
                fds = [0] if m.group(2) in ("<", "<>") else [1]
                if m.group(2).startswith("&"):
                    fds = [1, 2]
            for fd in fds:
                out.files.setdefault(fd, []).append(words[i + 1])
    return out
