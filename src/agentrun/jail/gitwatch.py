"""Git's execution surface in the write roots: found when the jail starts, watched while it runs.

A ``.git`` (directory or gitfile) or ``.gitmodules`` anywhere in a workspace is code the host
runs: its hooks, ``core.fsmonitor`` or a gitfile pointing at a planted config execute at the
user's next ``git status`` (git recurses into submodules). A directory git takes for a bare
repository (HEAD, objects, refs) is the same; so are ``.claude/`` and ``.mcp.json`` at any depth
(Claude Code started there loads them). So:

* :meth:`Watcher.start` walks each write root once at the jail's start and lists every such
  entry at any depth (plus :data:`policy.AT_ROOT` at each root, nested roots included, and where
  a gitfile or a ``.git`` symlink points inside the roots): the jail binds them all read-only
  (:mod:`agentrun.jail.rootfs`). It also lists pathname sockets, which the jail covers.
* A :class:`Watcher` (inotify on every directory of the write roots) neutralises any such entry
  *created* while the session runs, by Bash or its background jobs: it is renamed to
  ``<name>.agentrun-quarantined-<hex>`` (git ignores that name) by a thread of the runtime as
  soon as the event arrives, and the next Bash result says so (:meth:`Watcher.notices`).

Residual window: between the creation and the rename (the time for the runtime's thread to wake
up, a few milliseconds), a host ``git`` run at that very moment could see the entry. Entries are
recognised by inode, so moving a directory that holds a pre-existing (read-only) ``.git`` is not
mistaken for a new one. Anything the host itself creates under a protected name in a write root
during the session is quarantined too (inotify cannot tell who made it): renamed, never deleted.

Every path the watcher acts on is opened beneath its root with ``openat2`` (no symlinks, no
``..``), and renamed through that directory's descriptor: a command swapping a directory for a
symlink cannot steer the rename outside the roots.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import stat
import threading
from collections.abc import Sequence
from pathlib import Path

from agentrun.core.pathutil import is_within
from agentrun.jail import policy
from agentrun.jail.gitfound import (
    Found,
    _ident,
    _readlink,
    _rel,
    quarantine,
    quarantine_notice,
)
from agentrun.jail.gittrees import (
    BARE_MARKS,
    BARE_RUNS,
    bare_shaped,
    gitdir_target,
    open_dir,
    sockets_in,
)
from agentrun.jail.inotify import IN_IGNORED, IN_ISDIR, IN_Q_OVERFLOW, Inotify
from agentrun.jail.watchguards import WatchGuards

log = logging.getLogger(__name__)

LAYER = "git-protected"
ANY_DEPTH = policy.ANY_DEPTH
AT_ROOT = policy.AT_ROOT

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


class Watcher(WatchGuards):
    """The scan at the jail's start, then inotify on every directory of ``roots``."""

    def __init__(
        self,
        roots: Sequence[Path],
        *,
        skip: Sequence[Path] = (),
        guard: Sequence[Path] = (),
    ) -> None:
        """``guard``: more paths protected like :data:`AT_ROOT` (a repository's
        ``core.hooksPath``, where a home directory's stow links lead)."""
        self._roots = [r for r in roots if not any(r != o and is_within(r, o) for o in roots)]
        self._roots = list(dict.fromkeys(self._roots))
        # Each root is walked once, from the outermost one holding it; a root nested in another
        # (a workspace inside an --add-dir, or the reverse) still gets its own root guards.
        self._tops = [
            frozenset(_rel(r, top) for r in roots if is_within(r, top)) for top in self._roots
        ]
        self._at_tops = [
            {f"{t}/{name}" if t else name for t in tops for name in AT_ROOT} for tops in self._tops
        ]
        # `.config` of `.config/git`: must stay a directory (a symlink made there would lead
        # the host's git to a config elsewhere).
        self._at_parents = [
            {p.rsplit("/", 1)[0] for p in paths if "/" in p} for paths in self._at_tops
        ]
        for i, top in enumerate(self._roots):
            for g in guard:
                if g != top and is_within(g, top):
                    self._add_guard(i, _rel(g, top))
        self._skip = tuple(skip)
        self._lock = threading.Lock()
        self._notices: list[str] = []
        self._moved: list[tuple[Path, Path]] = []
        self._wds: dict[int, tuple[int, str, tuple[int, int]]] = {}
        self._inotify: Inotify | None = None
        self._watch_error = ""
        self._stop_r, self._stop_w = -1, -1
        self._thread: threading.Thread | None = None
        self._root_fds: list[int] = []
        self.found = Found()

    # -- start and stop ---------------------------------------------------------------------------

    def start(self) -> Found:
        """Scan the roots (what the jail must bind read-only) and start watching them. Raises
        OSError when inotify is unavailable (the layer is then missing: fail closed). Out of
        watches for a huge tree, it degrades to a full rescan at every check (each Bash call's
        end and the session's), so background jobs between calls get a longer window."""
        self._inotify = Inotify()
        for root in self._roots:
            try:
                self._root_fds.append(os.open(root, _DIR))
            except OSError:
                self._root_fds.append(-1)
        self._follow_root_links()
        for i in range(len(self._roots)):
            self._scan(i, "", initial=True)
        self._guard_nested()
        if self._watch_error:
            log.warning(
                "watching only part of the write roots (%s): rescans instead", self._watch_error
            )
        self._stop_r, self._stop_w = os.pipe2(os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._run, name="agentrun-gitwatch", daemon=True)
        self._thread.start()
        return self.found

    def close(self) -> None:
        """Stop watching; a last check first, so nothing created just before the end stays."""
        if self._thread is not None:
            os.write(self._stop_w, b"x")
            self._thread.join(5)
            self._thread = None
        with self._lock:
            self._drain()
            if self._inotify is not None:
                self._inotify.close()
                self._inotify = None
            for fd in (*self._root_fds, self._stop_r, self._stop_w):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._root_fds = []
            self._stop_r = self._stop_w = -1

    def notices(self) -> list[str]:
        """What was neutralised since the last call (checking pending events first)."""
        with self._lock:
            self._drain()
            out, self._notices = self._notices, []
            if self._moved:
                out.insert(0, quarantine_notice(self._moved))
                self._moved = []
        return out

    # -- events -----------------------------------------------------------------------------------

    def _run(self) -> None:
        assert self._inotify is not None
        fd = self._inotify.fd
        while True:
            ready, _, _ = select.select([fd, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            with self._lock:
                try:
                    self._drain()
                except Exception:  # never let the guard die silently: rescan at the next check
                    log.exception("git watcher failed to process events")

    def _drain(self) -> None:
        if self._inotify is None:
            return
        todo: dict[tuple[int, str, str], tuple[int, int]] = {}
        rescan = False
        for wd, mask, name in self._inotify.read():
            if mask & IN_Q_OVERFLOW:
                rescan = True
            elif mask & IN_IGNORED:
                self._wds.pop(wd, None)
            elif wd in self._wds:
                i, rel, ino = self._wds[wd]
                watched = self._protected(i, rel, name) or name in BARE_MARKS
                if watched or mask & IN_ISDIR:
                    todo[(i, rel, name)] = ino
        for (i, rel, name), ino in todo.items():
            if not self._handle(i, rel, name, ino):
                rescan = True
        if rescan or self._watch_error:
            self._watch_error = ""
            for i in range(len(self._roots)):
                self._scan(i, "", initial=False)

    def _handle(self, i: int, rel: str, name: str, ino: tuple[int, int]) -> bool:
        """One event in directory ``rel`` of root ``i``; False when that directory has moved
        (its recorded path is stale: a full rescan finds everything again)."""
        try:
            fd = open_dir(self._root_fds[i], rel)
        except OSError:
            return False
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != ino:
                return False
            child = f"{rel}/{name}" if rel else name
            if name in BARE_MARKS and bare_shaped(fd):
                self._check_bare(i, fd, rel, initial=False)
            try:
                mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
            except OSError:
                mode = 0
            if self._guarded(i, rel, name, is_dir=stat.S_ISDIR(mode)):
                self._check_entry(i, fd, rel, name, initial=False)
            elif stat.S_ISDIR(mode) and not self._skipped(i, child):
                self._scan(i, child, initial=False)
        finally:
            os.close(fd)
        return True

    # -- scanning ---------------------------------------------------------------------------------

    def _protected(self, i: int, rel: str, name: str) -> bool:
        """Whether entry ``name`` of directory ``rel`` is protected: a name of ANY_DEPTH, or a
        path of AT_ROOT below one of the roots walked from root ``i``."""
        path = f"{rel}/{name}" if rel else name
        return name in ANY_DEPTH or path in self._at_tops[i] or path in self._at_parents[i]

    def _guarded(self, i: int, rel: str, name: str, *, is_dir: bool) -> bool:
        """Whether the entry is one the guard checks: protected, or a parent of a protected
        root path (``.config``) that is not a real directory."""
        path = f"{rel}/{name}" if rel else name
        if path in self._at_parents[i]:
            return not is_dir
        return self._protected(i, rel, name)

    def _skipped(self, i: int, rel: str) -> bool:
        if not self._skip:
            return False  # the usual case, on the path of every directory of the walk
        path = self._roots[i] / rel
        return any(is_within(path, s) for s in self._skip)

    def _scan(self, i: int, start: str, *, initial: bool) -> None:
        """Walk root ``i`` from ``start``: watch each directory, and record (initial) or
        neutralise (later) protected entries. Directories are opened beneath the root one by
        one, so nothing a command does to the tree can lead the walk outside it."""
        root_fd = self._root_fds[i]
        if root_fd < 0:
            return
        stack = [start]
        while stack:
            rel = stack.pop()
            try:
                fd = open_dir(root_fd, rel)
            except OSError:
                continue
            try:
                self._watch(i, rel, fd)
                with os.scandir(fd) as it:
                    entries = list(it)
                has_head = any(e.name == "HEAD" for e in entries)
                if has_head and bare_shaped(fd) and self._check_bare(i, fd, rel, initial=initial):
                    continue  # a repository there from the start: read-only as a whole
                for e in entries:
                    child = f"{rel}/{e.name}" if rel else e.name
                    if self._guarded(i, rel, e.name, is_dir=e.is_dir(follow_symlinks=False)):
                        self._check_entry(i, fd, rel, e.name, initial=initial)
                    elif e.is_dir(follow_symlinks=False):
                        if not self._skipped(i, child):
                            stack.append(child)
                    elif initial and not e.is_file(follow_symlinks=False):
                        with contextlib.suppress(OSError):
                            if stat.S_ISSOCK(e.stat(follow_symlinks=False).st_mode):
                                self.found.sockets.append(self._roots[i] / child)
            except OSError:
                pass  # vanished meanwhile: its parent's event or the next rescan covers it
            finally:
                os.close(fd)

    def _watch(self, i: int, rel: str, fd: int) -> None:
        if self._inotify is None:
            return
        try:
            wd = self._inotify.add(fd)
        except OSError as e:
            # Out of watches (fs.inotify.max_user_watches): every later check rescans instead.
            self._watch_error = str(e)
            return
        st = os.fstat(fd)
        self._wds[wd] = (i, rel, (st.st_dev, st.st_ino))

    def _check_bare(self, i: int, dir_fd: int, rel: str, *, initial: bool) -> bool:
        """A directory shaped like a bare repository: one there from the start is protected
        whole (True; a root, which must stay writable, keeps HEAD, config and commondir
        read-only); one made during the session loses its HEAD, config and commondir."""
        st = os.fstat(dir_fd)
        ident = (st.st_dev, st.st_ino)
        path = self._roots[i] / rel
        if initial:
            if self._skipped(i, rel):
                return False
            self.found.known.add(ident)
            if rel in self._tops[i]:
                for name in BARE_RUNS:
                    self._check_entry(i, dir_fd, rel, name, initial=True)
                return False
            self.found.protected.append(path)
            return True
        if self._skipped(i, rel):
            return False
        fresh = ident not in self.found.known
        for name in BARE_RUNS:
            # A root bare from the start keeps what it had (read-only); what is new goes (a
            # commondir would point git at another config).
            if fresh or _ident(dir_fd, name) not in self.found.known:
                self._quarantine(dir_fd, name, path / name)
        return False

    def _check_entry(self, i: int, dir_fd: int, rel: str, name: str, *, initial: bool) -> None:
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            return
        ident = (st.st_dev, st.st_ino)
        shown = f"{rel}/{name}" if rel else name
        path = self._roots[i] / shown
        link = _readlink(dir_fd, name) if stat.S_ISLNK(st.st_mode) else None
        if initial:
            if link is None:
                self.found.known.add(ident)
            else:
                self.found.links[ident] = link
            self.found.protected.append(path)
            if stat.S_ISDIR(st.st_mode):
                self.found.sockets += sockets_in(path)
            target: Path | None = None
            if name == ".git":
                target = gitdir_target(dir_fd, name, path.parent)
                if rel not in self._tops[i]:
                    self.found.repos.append(path.parent)
            elif stat.S_ISLNK(st.st_mode):  # `sub/.claude -> ../x`: x is what is loaded
                target = Path(os.path.realpath(path))
            if target is not None and any(is_within(target, r) for r in self._roots):
                self.found.protected.append(target)
            return
        if (link is None and ident in self.found.known) or self._skipped(i, shown):
            return  # there from the start (bound read-only, maybe moved), or agentrun's own state
        if link is not None and self.found.links.get(ident) == link:
            return
        self._quarantine(dir_fd, name, path)

    def _quarantine(self, dir_fd: int, name: str, path: Path) -> None:
        moved, problem = quarantine(dir_fd, name, path)
        if moved is not None:
            self._moved.append((path, moved))
        elif problem:
            self._notices.append(problem)
