"""The paths a :class:`agentrun.jail.gitwatch.Watcher` guards by name beyond the fixed ones: where
a root's protected path leads through a symlink, what repositories below the roots make git
run (``core.hooksPath``, includes), and every directory on the way to each (:class:`WatchGuards`,
a part of the watcher)."""

from __future__ import annotations

import os
from pathlib import Path

from agentrun.core.hookspath import nested_run_paths
from agentrun.core.pathutil import is_within
from agentrun.jail.gitfound import Found, _rel
from agentrun.jail.gittrees import open_dir


class WatchGuards:
    """The watcher's guard lists: per root, the paths guarded by name (``_at_tops``) and the
    directories that must stay real directories on the way to them (``_at_parents``)."""

    _roots: list[Path]
    _root_fds: list[int]
    _at_tops: list[set[str]]
    _at_parents: list[set[str]]
    found: Found

    def _check_entry(self, i: int, dir_fd: int, rel: str, name: str, *, initial: bool) -> None:
        raise NotImplementedError  # the watcher's own

    def _follow_root_links(self) -> None:
        """Where a root's protected path leads through a symlink inside the roots (a home
        directory whose ``.gitconfig`` or ``.config`` links into a dotfiles folder): that path
        is protected too, existing or made later."""
        for i, paths in enumerate([set(p) for p in self._at_tops]):
            for rel in paths:
                real = Path(os.path.realpath(self._roots[i] / rel))
                for j, other in enumerate(self._roots):
                    if real != other and is_within(real, other):
                        self._at_tops[j].add(_rel(real, other))

    def _guard_nested(self) -> None:
        """What the repositories found below the roots make the user's git run from the roots
        (``sub/.githooks`` for ``core.hooksPath = .githooks`` in ``sub``): guarded like
        :data:`AT_ROOT` from now on, and bound read-only when there already."""
        for path in nested_run_paths(self.found.repos, self._roots):
            for i, top in enumerate(self._roots):
                if path == top or not is_within(path, top) or self._root_fds[i] < 0:
                    continue
                rel = _rel(path, top)
                parent, _, name = rel.rpartition("/")
                self._add_guard(i, rel)
                try:
                    fd = open_dir(self._root_fds[i], parent)
                except OSError:
                    continue
                try:
                    self._check_entry(i, fd, parent, name, initial=True)
                finally:
                    os.close(fd)

    def _add_guard(self, i: int, rel: str) -> None:
        """Guard ``rel`` below root ``i`` by name, and every component on the way to it as a
        parent: it must stay a real directory. A path that does not exist yet
        (``tools/git/hooks``) could otherwise be led elsewhere by a symlink made on the way
        (``ln -s other tools``); a directory made there is watched and scanned as it appears,
        so what is then made at ``rel`` below it is renamed away all the same."""
        self._at_tops[i].add(rel)
        parts = rel.split("/")
        for n in range(1, len(parts)):
            self._at_parents[i].add("/".join(parts[:n]))
