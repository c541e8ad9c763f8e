"""The ripgrep layer under Glob and Grep: find the binary, build the common argv, stream output.

Three measured facts shape it:

- ``rg`` given no path and a non-terminal stdin searches stdin, so every run gets an empty stdin
  and an explicit path.
- Reading the first 250 of 48,000 matches then stopping took 7.9 ms; reading all of them took
  186 ms. :class:`RgStream` hands out lines as they arrive and kills ``rg`` the moment the
  caller stops reading, so a limit costs what the limit needs, never the whole output.
- User regexes never go through Python's ``re``; only ``rg`` interprets them.

Every search runs with its working directory set to the searched directory and ``.`` as the
path. Two things follow: anchored exclusion globs (``!/secret``) name trees under the search
root exactly, and every output line starts with ``./``, which :meth:`SearchRoot.display` swaps
for the prefix the model should see (relative to the workspace root when inside it).
"""

from __future__ import annotations

import functools
import os
import selectors
import shutil
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from agentrun.core.types import ToolResult

if TYPE_CHECKING:
    from agentrun.core.types import JSON
    from agentrun.jail.policy import SandboxPolicy
    from agentrun.jail.search import SearchProcess

VCS_DIRS = (".git", ".svn", ".hg", ".bzr", ".jj", ".sl", "_darcs", "CVS")
"""Version-control folders neither Glob nor Grep ever enter (any depth)."""

COMMON_FLAGS = ("--no-config", "--color", "never", "--hidden")
"""Flags every run gets: no user config file can change the output format, no ANSI colour,
hidden files included (Claude Code's behaviour)."""

# Kernel pseudo-filesystems: searching them never helps and can hang (/proc/kmsg blocks,
# /proc/kcore is terabytes) or leak (/proc/<pid>/environ holds the runtime's API key).
_PSEUDO_FS_EXCLUDES: dict[Path, tuple[str, ...]] = {
    Path("/"): ("!/proc", "!/sys", "!/dev"),
    Path("/proc"): ("!/[0-9]*", "!/kcore", "!/kmsg"),
}

_CHUNK = 1 << 16
LINE_CAP = 256 << 10
"""The longest output line kept whole; rg's own are far shorter (see ``--max-columns``)."""
_STDERR_CAP = 1 << 16
_POLL_SECONDS = 0.1
_GLOB_SPECIAL = frozenset("\\*?[]{}!")


@functools.cache
def rg_binary() -> str | None:
    """The ``rg`` of the ``ripgrep`` wheel (next to this Python's scripts), else the one on PATH.

    The wheel's binary comes first because its version is pinned and tested; a system ``rg``
    may be older and print differently.
    """
    # The base installation's scripts too: a venv made with --system-site-packages finds the
    # wheel there. Both beat PATH, whose entry may be a shim (pyenv) the jail cannot read.
    for scripts in (sysconfig.get_path("scripts"), str(Path(sys.base_prefix) / "bin")):
        candidate = Path(scripts) / "rg"
        if scripts and candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("rg")


MISSING_RG = (
    "ripgrep (rg) is not installed, so this tool cannot search. "
    "Use the Bash tool with find/grep instead."
)


def escape_glob(text: str) -> str:
    """``text`` as a literal for a ripgrep glob (backslash escapes its special characters)."""
    return "".join("\\" + ch if ch in _GLOB_SPECIAL else ch for ch in text)


@dataclass(frozen=True)
class SearchRoot:
    """Where one search runs and how its output paths are shown to the model.

    ``cwd`` is the directory ``rg`` runs in; ``target`` the path argument (``.`` for a
    directory, ``./NAME`` for a single file); ``prefix`` replaces the leading ``./`` of each
    output line; ``excludes`` are the ``--glob`` arguments that keep VCS folders and the
    policy's read-denied trees out of the search. When the workspace root lies below the
    searched directory, ``inner`` is its ``./``-relative start, and paths under it are shown
    relative to the root like any other workspace path.
    """

    cwd: Path
    target: str
    prefix: str
    excludes: tuple[str, ...]
    inner: str = ""

    @classmethod
    def for_dir(cls, directory: Path, *, root: Path, policy: SandboxPolicy) -> SearchRoot:
        """Search ``directory`` (absolute, resolved); paths shown relative to ``root`` if inside."""
        return cls(
            cwd=directory,
            target=".",
            prefix=_prefix(directory, root),
            excludes=exclude_globs(directory, policy),
            inner=_inner(directory, root),
        )

    @classmethod
    def for_file(cls, file: Path, *, root: Path) -> SearchRoot:
        """Search one file (absolute, resolved, already checked readable)."""
        return cls(
            cwd=file.parent,
            target="./" + file.name,
            prefix=_prefix(file.parent, root),
            excludes=(),
            inner=_inner(file.parent, root),
        )

    def display(self, line: str) -> str:
        """One ``rg`` output line with its ``./`` path start replaced by the model's prefix."""
        if self.inner and line.startswith(self.inner):
            return line[len(self.inner) :]
        if line.startswith("./"):
            return self.prefix + line[2:]
        return line


def _prefix(directory: Path, root: Path) -> str:
    if directory == root:
        return ""
    if root in directory.parents:
        return directory.relative_to(root).as_posix() + "/"
    text = directory.as_posix()
    return text if text.endswith("/") else text + "/"


def _inner(directory: Path, root: Path) -> str:
    if directory in root.parents:
        return "./" + root.relative_to(directory).as_posix() + "/"
    return ""


def exclude_globs(directory: Path, policy: SandboxPolicy) -> tuple[str, ...]:
    """``--glob`` exclusions for VCS folders and for every read-denied tree under ``directory``.

    Without the second part a search of ``/`` or of a parent directory would list or reveal
    the contents of secrets the Read tool refuses to open. Denied trees that the policy still
    lets us read (inside a writable root) are not excluded, matching :meth:`can_read`.
    """
    args: list[str] = []
    for name in VCS_DIRS:
        args += ["--glob", "!" + name]
    if not policy.confined:
        return tuple(args)
    for denied in policy.read_deny:
        if directory in denied.parents and not policy.can_read(denied):
            rel = denied.relative_to(directory).as_posix()
            args += ["--glob", "!/" + escape_glob(rel)]
    for glob in _PSEUDO_FS_EXCLUDES.get(directory, ()):
        args += ["--glob", glob]
    return tuple(args)


@dataclass(frozen=True)
class RgOutcome:
    """How a run ended. ``returncode`` is None when we killed ``rg`` (stopped early)."""

    returncode: int | None
    stderr: str
    stopped_early: bool
    timed_out: bool
    cancelled: bool

    @property
    def failed(self) -> bool:
        """rg reported an error (exit 2): a bad regex, an unknown type, an unreadable file."""
        return self.returncode == 2

    def error_text(self) -> str:
        """rg's own message without its ``rg: `` prefixes, for an error result."""
        lines = [ln.removeprefix("rg: ") for ln in self.stderr.strip().splitlines()]
        return "\n".join(lines) or f"ripgrep failed (exit {self.returncode})"


def refuse_nul(input: JSON, keys: Sequence[str]) -> ToolResult | None:
    """An error result when one of ``keys`` holds a NUL character: no program can take one as
    an argument, and the model should hear that rather than about a crash."""
    for key in keys:
        value = input.get(key)
        if isinstance(value, str) and "\x00" in value:
            return ToolResult(
                f'"{key}" contains a NUL character, which a search cannot take; remove it.',
                is_error=True,
            )
    return None


class RgStream:
    """Run ``rg ARGS`` and iterate over its stdout lines as they arrive.

    Use it as a context manager: leaving the block (after a ``break``, an exception, a
    cancel or a timeout) kills ``rg`` if it is still running, so nothing is left behind and
    nothing is read beyond what the caller wanted. :attr:`outcome` is set on exit.
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        cwd: Path,
        cancel: threading.Event | None = None,
        timeout: float | None = None,
        binary: str | None = None,
        terminator: bytes = b"\n",
        spawn: Callable[[list[str], Path], SearchProcess] | None = None,
    ) -> None:
        """``terminator`` splits the output: ``b"\0"`` for ``--null`` path lists, where a file
        name may hold a newline. ``spawn`` starts the process (the workspace's
        :meth:`~agentrun.jail.paths.Workspace.search`, so that in a jailed session ``rg``
        runs in the jail); by default a plain child process."""
        exe = binary or rg_binary()
        self._terminator = terminator
        if exe is None:
            raise FileNotFoundError("rg")
        self._cancel = cancel
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._stderr = bytearray()
        self._finished = False
        self._timed_out = False
        self._cancelled = False
        self.outcome: RgOutcome | None = None
        if spawn is None:
            from agentrun.jail.search import LocalSearch

            spawn = LocalSearch
        self._proc: SearchProcess | None = None
        try:
            self._proc = spawn([exe, *args], cwd)
        except OSError as e:
            # Not an exception for the tool: rg's own failures (exit 2) are reported the same way.
            from agentrun.jail.fileerrors import describe_os_error

            self._stderr += describe_os_error(e, exe, action="run").encode()
            self._finished = True

    @property
    def pid(self) -> int:
        """The local process's pid (a search run in the jail has none here)."""
        return int(getattr(self._proc, "pid", -1))  # LocalSearch has one

    def __enter__(self) -> RgStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[str]:
        if self._proc is None:
            return
        out_fd, err_fd = self._proc.stdout, self._proc.stderr
        pending = b""
        skipping = False  # inside a line already cut at LINE_CAP: dropped up to its end
        with selectors.DefaultSelector() as sel:
            sel.register(out_fd, selectors.EVENT_READ)
            sel.register(err_fd, selectors.EVENT_READ)
            open_fds = 2
            while open_fds:
                if self._should_stop():
                    return
                for key, _ in sel.select(_POLL_SECONDS):
                    chunk = os.read(key.fd, _CHUNK)
                    if not chunk:
                        sel.unregister(key.fd)
                        open_fds -= 1
                    elif key.fd == err_fd:
                        # Kept bounded: a search of a huge unreadable tree can print an
                        # error per file, and only the first lines help the model.
                        room = _STDERR_CAP - len(self._stderr)
                        if room > 0:
                            self._stderr += chunk[:room]
                    else:
                        lines, pending, skipping = _split(
                            pending + chunk, self._terminator, skipping
                        )
                        yield from lines
        if pending and not skipping:
            yield pending.decode("utf-8", "replace")
        self._finished = True

    def _should_stop(self) -> bool:
        if self._cancel is not None and self._cancel.is_set():
            self._cancelled = True
            return True
        if self._deadline is not None and time.monotonic() > self._deadline:
            self._timed_out = True
            return True
        return False

    def close(self) -> RgOutcome:
        """Stop ``rg`` if still running, reap it, and record the outcome (idempotent)."""
        if self.outcome is not None:
            return self.outcome
        proc = self._proc
        stopped_early = False
        returncode: int | None = 2  # it never started
        if proc is not None:
            stopped_early = not self._finished and proc.poll() is None
            if stopped_early:
                proc.kill()
            returncode = proc.wait()
            proc.close()
        self.outcome = RgOutcome(
            returncode=None if stopped_early else returncode,
            stderr=bytes(self._stderr).decode("utf-8", "replace"),
            stopped_early=stopped_early,
            timed_out=self._timed_out,
            cancelled=self._cancelled,
        )
        return self.outcome


def _split(data: bytes, terminator: bytes, skipping: bool) -> tuple[list[str], bytes, bool]:
    """Complete lines in ``data``, the unfinished rest, and whether the rest is being dropped.

    rg's own lines are short (``--max-columns``); a longer one is not rg's (its output pipe
    reached by something else) or not useful: it is cut at :data:`LINE_CAP` with a note, and
    the rest of it dropped, so the unfinished part held here never grows past the cap.
    """
    *complete, rest = data.split(terminator)
    lines = []
    for i, raw in enumerate(complete):
        if skipping and i == 0:
            skipping = False
            continue
        lines.append(_cut(raw))
    if skipping:
        return lines, b"", True
    if len(rest) > LINE_CAP:
        lines.append(_cut(rest))
        return lines, b"", True
    return lines, rest, False


def _cut(raw: bytes) -> str:
    if len(raw) <= LINE_CAP:
        return raw.decode("utf-8", "replace")
    return raw[:LINE_CAP].decode("utf-8", "replace") + " [... line cut: too long]"
