"""The file tools' only door to the disk: path resolution, confined reads, atomic confined writes.

Reads open the path with ``O_PATH`` (following symlinks, never blocking), ask the kernel where the
fd really points (``/proc/self/fd``), check that real path against the policy, and reopen *the same
inode* through the fd, so a swap between check and open cannot change what is read.

Writes first find where the bytes would really land (symlinks resolved, advisory only), check that
against the policy, then open the real parent directory beneath its writable root with
:func:`agentrun.jail.openat2.open_beneath`, which traverses no symlink at all; a link swapped in
meanwhile makes the write fail instead of escape. The data goes to a temp file in that directory,
is fsynced and renamed over the target, which is never opened for writing, never truncated, and
must be a regular file with one link.

Every failure is a :class:`PathDenied` whose text is meant for the model (``fileerrors``); the
fd-level mechanics live in ``fdops``, the syscall layer in ``openat2``.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.core.pathutil import is_within
from agentrun.core.userhome import home_root_message
from agentrun.jail.fdops import (
    OpenedFile,
    check_existing,
    fd_path,
    open_dirs,
    replace_file,
    write_all,
)
from agentrun.jail.fileerrors import PathDenied, denied, describe_os_error
from agentrun.jail.openat2 import O_PATH, openat2_available
from agentrun.jail.policy import ANY_DEPTH, SandboxPolicy

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentrun.jail.search import SearchProcess

__all__ = [
    "OpenedFile",
    "PathDenied",
    "Workspace",
    "WriteOutcome",
    "WriteTarget",
    "describe_os_error",
]

# The runtime's own process files (environ holds the API key); other /proc entries stay readable.
_PROC_PROCESS = re.compile(r"^/proc/(\d+|self|thread-self)(/|$)")
# Names whose files git reads and acts on (gitdir: redirection, hooks, fsmonitor, submodule urls).
_GIT_NAMES = frozenset(ANY_DEPTH)


@dataclass(frozen=True)
class WriteTarget:
    """Where a write would land: ``path`` is real (symlinks resolved), inside ``root``.

    ``existing`` is the target's stat when it exists (always a regular file with one link).
    """

    path: Path
    root: Path
    existing: os.stat_result | None


@dataclass(frozen=True)
class WriteOutcome:
    path: Path
    created: bool
    mtime_ns: int
    size: int


class Workspace:
    """Confined file access under a :class:`SandboxPolicy` (see the module docstring).

    ``use_openat2=None`` probes the kernel; ``False`` forces the portable ``O_NOFOLLOW`` walk.
    Stateless apart from the policy, so one instance serves concurrent tool calls.
    """

    def __init__(self, policy: SandboxPolicy, *, use_openat2: bool | None = None):
        self.policy = policy
        self.root = policy.workspace
        self.use_openat2 = openat2_available() if use_openat2 is None else use_openat2

    def resolve(self, path: str | Path) -> Path:
        """Absolute and lexically normalised; relative paths are taken against :attr:`root`."""
        raw = os.fspath(path)
        if "\x00" in raw:
            raise PathDenied(
                "The file path contains a NUL byte; give a plain path.", code=errno.EINVAL
            )
        if not raw.strip():
            raise PathDenied("The file path is empty; give a file path.", code=errno.EINVAL)
        try:
            os.fsencode(raw)
        except UnicodeEncodeError:
            raise PathDenied(
                "The file path is not valid text (it has a lone surrogate); give a plain path.",
                code=errno.EINVAL,
            ) from None
        if raw == "~" or raw.startswith("~/"):
            raw = str(Path(raw).expanduser())
        # normpath, not resolve(): symlinks are judged later, on the fd, by the kernel.
        normal = os.path.normpath(self.root / raw)
        if normal.startswith("//"):
            normal = "/" + normal.lstrip("/")
        return Path(normal)

    # -- reading ------------------------------------------------------------------------------

    def readable(self, real: Path) -> bool:
        """Whether a real (resolved) path may be read: the policy, minus process files in /proc."""
        if self.policy.confined and _PROC_PROCESS.match(str(real)):
            return False
        return self.policy.can_read(real)

    def _readdenied(self, shown: Path, real: Path) -> PathDenied:
        where = "" if real == shown else f" (it leads to {real})"
        return PathDenied(
            f"Access denied: {shown}{where} is on this session's read deny list.", path=shown
        )

    def open_read(self, path: str | Path) -> OpenedFile:
        """Open a regular file for reading; PathDenied if missing, denied, a dir or special."""
        shown = self.resolve(path)
        try:
            pfd = os.open(shown, O_PATH | os.O_CLOEXEC)
        except OSError as e:
            if not self.readable(shown):
                # Whether a denied file exists is itself not for the model to learn.
                raise self._readdenied(shown, shown) from None
            raise denied(e, shown, action="read") from e
        try:
            real = fd_path(pfd, shown)
            if not self.readable(real):
                raise self._readdenied(shown, real)
            st = os.fstat(pfd)
            if stat.S_ISDIR(st.st_mode):
                raise PathDenied(
                    f"{shown} is a directory, not a file; use Glob to list its files.",
                    code=errno.EISDIR,
                    path=shown,
                )
            if not stat.S_ISREG(st.st_mode):
                raise PathDenied(
                    f"Cannot read {shown}: it is not a regular file (a FIFO, socket or device).",
                    code=errno.EINVAL,
                    path=shown,
                )
            flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
            try:
                fd = os.open(f"/proc/self/fd/{pfd}", flags)
            except FileNotFoundError:
                fd = os.open(real, flags | os.O_NOFOLLOW)
            st = os.fstat(fd)
            return OpenedFile(fd, real, st)
        except OSError as e:
            raise denied(e, shown, action="read") from e
        finally:
            os.close(pfd)

    def check_dir(self, path: str | Path) -> Path:
        """The real path of a readable directory (for Glob/Grep); PathDenied otherwise."""
        shown = self.resolve(path)
        try:
            fd = os.open(shown, O_PATH | os.O_CLOEXEC)
        except FileNotFoundError:
            raise PathDenied(
                f"Directory does not exist: {shown}", code=errno.ENOENT, path=shown
            ) from None
        except OSError as e:
            raise denied(e, shown) from e
        try:
            real = fd_path(fd, shown)
            if not self.readable(real):
                raise self._readdenied(shown, real)
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                raise PathDenied(f"Not a directory: {shown}", code=errno.ENOTDIR, path=shown)
            return real
        finally:
            os.close(fd)

    def list_names(self, real_dir: Path) -> list[str]:
        """The entry names of a directory :meth:`check_dir` accepted."""
        return os.listdir(real_dir)  # noqa: PTH208 (names only: no Path per entry)

    def search(self, argv: list[str], cwd: Path) -> SearchProcess:
        """Start a search program (``rg``) in ``cwd``, a directory :meth:`check_dir` accepted."""
        from agentrun.jail.search import LocalSearch

        return LocalSearch(argv, cwd)

    def similar_names(self, path: Path, *, limit: int = 3) -> list[Path]:
        """Existing entries next to ``path`` whose names look like its name (for did-you-mean)."""
        parent = path.parent
        try:
            # Judge and list the directory the kernel reaches, not the lexical one: a symlinked
            # parent must not reveal the names in a denied tree.
            names = self.list_names(self.check_dir(parent))
        except OSError:
            return []
        # Names are compared by stem: whole names share their extension, which made "nosuch.txt"
        # look like "u.txt". Same stem first (another extension), then the closest stems.
        from difflib import SequenceMatcher  # only on this error path: 2 ms to import

        stem = path.stem.lower()
        scored: list[tuple[float, str]] = []
        for name in names:
            other = Path(name).stem.lower()
            matcher = SequenceMatcher(None, stem, other)
            if other == stem:
                scored.append((2.0, name))
            elif matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6:
                ratio = matcher.ratio()
                if ratio >= 0.6:
                    scored.append((ratio, name))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [parent / name for _, name in scored[:limit]]

    # -- writing ------------------------------------------------------------------------------

    def _writable_or_raise(self, real: Path, shown: Path) -> None:
        policy = self.policy
        if not policy.confined:
            return
        if policy.mode == "read-only":
            raise PathDenied(
                f"Cannot write {shown}: this session is read-only (sandbox mode read-only).",
                code=errno.EROFS,
                path=shown,
            )
        # A workspace holding the home directory is read-only whole (core.userhome).
        if not any(is_within(real, r) for r in policy.writable_roots):
            held = [r for r in policy.roots if any(is_within(h, r) for h in policy.homes)]
            root = next((r for r in held if is_within(real, r) or is_within(shown, r)), None)
            if root is not None:
                raise PathDenied(home_root_message(shown, root), code=errno.EROFS, path=shown)
        opened = policy.unprotected_path(real) and policy.unprotected_path(shown)
        for protected in () if opened else policy.protected:
            # Both: `.git` may itself be a symlink, and a symlink may lead into `.git`.
            if is_within(real, protected) or is_within(shown, protected):
                raise PathDenied(
                    f"Cannot write {shown}: {protected} is protected (read-only) in this session.",
                    path=shown,
                )
        # Below a root only: a workspace that itself lies in a `.claude` (editing
        # ~/.claude/agents) stays writable.
        entry = policy.protected_entry(real) or policy.protected_entry(shown)
        git = entry.name if entry is not None and entry.name in _GIT_NAMES else None
        if git is not None and not opened:  # `opened` never reaches into .git/.gitmodules
            raise PathDenied(
                f"Cannot write {shown}: {git} paths are protected at any depth (the host's git "
                "and Claude Code run what they hold: hooks, config, a gitdir elsewhere, MCP "
                "servers), so file tools never create or change them. A nested repository "
                "(`git init`) or agent settings are not the agent's job; ask the user.",
                code=errno.EROFS,
                path=shown,
            )
        if policy.can_write(real):
            return
        roots = ", ".join(str(r) for r in policy.writable_roots)
        if real != shown:
            raise PathDenied(
                f"Cannot write {shown}: it leads through a symbolic link to {real}, "
                f"outside the writable directories ({roots}).",
                code=errno.EXDEV,
                path=shown,
            )
        raise PathDenied(
            f"Cannot write {shown}: it is outside the writable directories ({roots}). Write "
            "inside them instead, or tell the user what to change there.",
            path=shown,
        )

    def _real_for_write(self, shown: Path) -> Path:
        """Where a write to ``shown`` would land, symlinks resolved. Advisory: not race-free."""
        try:
            fd = os.open(shown, O_PATH | os.O_CLOEXEC)
        except FileNotFoundError:
            if shown.is_symlink():
                raise PathDenied(
                    f"Cannot write {shown}: it is a symbolic link whose target does not exist.",
                    code=errno.ELOOP,
                    path=shown,
                ) from None
            tail = [shown.name]
            ancestor = shown.parent
            while True:
                try:
                    fd = os.open(ancestor, O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
                    break
                except FileNotFoundError:
                    if ancestor == ancestor.parent:
                        raise
                    tail.append(ancestor.name)
                    ancestor = ancestor.parent
            try:
                return fd_path(fd, ancestor).joinpath(*reversed(tail))
            finally:
                os.close(fd)
        try:
            return fd_path(fd, shown)
        finally:
            os.close(fd)

    def write_target(self, path: str | Path) -> WriteTarget:
        """Check that ``path`` may be written; where it lands and what is there now."""
        shown = self.resolve(path)
        try:
            real = self._real_for_write(shown)
            self._writable_or_raise(real, shown)
            try:
                st: os.stat_result | None = real.lstat()
            except FileNotFoundError:
                st = None
            if st is not None:
                check_existing(st, shown)
        except OSError as e:
            raise denied(e, shown, action="write") from e
        roots = [r for r in self.policy.writable_roots if is_within(real, r)]
        root = max(roots, key=lambda r: len(r.parts)) if roots else Path("/")
        return WriteTarget(path=real, root=root, existing=st)

    def edit_target(self, path: str | Path) -> tuple[WriteTarget, OpenedFile | None]:
        """:meth:`write_target`, and the file there opened for reading when it can be (for
        Edit: one trip to the jail's file server, not two). When it cannot, None: the caller
        opens it again where it reads, to meet the error in its place."""
        target = self.write_target(path)
        if target.existing is None:
            return target, None
        try:
            return target, self.open_read(target.path)
        except OSError:
            return target, None

    def write_bytes(
        self,
        target: WriteTarget,
        data: bytes | memoryview,
        *,
        meanwhile: Callable[[], object] | None = None,
    ) -> WriteOutcome:
        """Atomically replace (or create) ``target.path`` with ``data``, keeping its mode bits.

        Parents are created beneath the root. The new content is complete and fsynced before
        the rename; on any failure the old file is untouched and the temp file removed.
        ``meanwhile`` runs once the content is written: while the jail's file server makes it
        durable, or here after the write.
        """
        outcome = self.write_with(target, lambda fd: write_all(fd, data))
        if meanwhile is not None:
            meanwhile()
        return outcome

    def write_with(self, target: WriteTarget, fill: Callable[[int], None]) -> WriteOutcome:
        """:meth:`write_bytes` whose content ``fill(fd)`` writes into the temp file's fd."""
        shown = target.path
        rel = target.path.relative_to(target.root)
        if not rel.parts:
            raise PathDenied(f"Cannot write {shown}: it is a directory.", code=errno.EISDIR)
        name = rel.name
        try:
            root_fd = os.open(target.root, O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                parent_fd = open_dirs(root_fd, rel.parts[:-1], use_openat2=self.use_openat2)
            finally:
                os.close(root_fd)
            try:
                # Directories may have been renamed since write_target: judge where it really is,
                # and refuse a place other than the one the permission check was shown.
                real_parent = fd_path(parent_fd, shown.parent)
                self._writable_or_raise(real_parent / name, shown)
                if real_parent != shown.parent:
                    raise PathDenied(
                        f"Cannot write {shown}: its directory was moved or replaced meanwhile.",
                        code=errno.ESTALE,
                        path=shown,
                    )
                created, st = replace_file(parent_fd, name, fill, shown)
            finally:
                os.close(parent_fd)
        except OSError as e:
            raise denied(e, shown, action="write") from e
        return WriteOutcome(path=shown, created=created, mtime_ns=st.st_mtime_ns, size=st.st_size)
