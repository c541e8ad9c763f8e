"""What every tool receives when it runs: the session's doors to the disk and the shell.

The loop's :class:`~agentrun.core.protocols.Tool` protocol names this class, so it lives in
core; what the doors are (the jail's ``Workspace``, the ``BashSession``, the ``ReadRecords``)
lives above it, so they are type parameters here: ``agentrun.tools.base.ToolContext`` is this
class with them filled in, and what tools and users import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

    from agentrun.core.protocols import Model
    from agentrun.core.webcalls import SearchDomains

W = TypeVar("W")
"""The file tools' workspace (``agentrun.jail.paths.Workspace``)."""
S = TypeVar("S")
"""Bash's session (``agentrun.tools.shell.BashSession``)."""
R = TypeVar("R")
"""The record of reads (``agentrun.tools.records.ReadRecords``)."""
P = TypeVar("P")
"""Where big results go (``agentrun.tools.spill.Spill``)."""

Access = Literal["read", "write"]


class BackgroundTask(Protocol):
    """A background subagent as TaskOutput sees it."""

    @property
    def id(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def result(self) -> str: ...
    @property
    def error(self) -> str: ...
    @property
    def done(self) -> threading.Event: ...


class BackgroundTasks(Protocol):
    """The session's background subagents (``agentrun.subagent.background``), for TaskOutput
    and KillShell."""

    def get(self, task_id: str) -> BackgroundTask | None: ...
    def kill(self, task_id: str) -> bool: ...
    @property
    def ids(self) -> list[str]: ...


class ToolContext(Generic[W, S, R, P]):
    """Per-session state shared by the tools. Built once per session, reused every call.

    - ``workspace``: the file tools' only way to open files (policy + openat2 confinement).
    - ``reads``: which files were read, when, and whether whole (Write/Edit staleness checks).
    - ``shell``: the Bash tool's persistent state (cwd, background jobs) and its sandbox; None
      where Bash is not offered (e.g. file-tool tests).
    - ``strict``: re-raise unexpected tool exceptions instead of turning them into error results
      (the test suite sets it, so a bug cannot hide behind a polite error message).
    - ``cancel``: set when the user interrupts; long-running tools stop and report it.
    - ``search_filter``: for Grep and Glob, a test of which found files the permission rules
      keep from the tool (see :meth:`agentrun.permissions.Gate.search_filter`).
    - ``check_resolved``: the permission gate's look at what a file tool really acts on,
      called once the object is open: ``(tool, "read" | "write", real_path)`` gives the error
      text that stops the call, or None (see :meth:`refusal`).
    - ``spill``: where results too big for the context go whole (the model gets a preview and
      the path); None: they are only cut.
    - ``model``: the session's model, for the web tools' own requests (WebFetch's page answer,
      WebSearch's server-side search); None where no model is at hand (they say so).
    - ``names_host``: the gate's answer to "does an allow rule name this host exactly?", the
      one way WebFetch reaches a loopback or private address (None: never).
    - ``search_domains``: the settings' WebSearch domain lists, narrowing every search (None:
      no settings lists).

    The workspace and the shell may instead be given as ``open_workspace`` / ``open_shell``,
    called once at the first use: the runtime does, so that a session imports the path checks
    and starts the jail only when a tool first needs them, not to answer "hi".
    """

    def __init__(
        self,
        *,
        reads: R,
        workspace: W | None = None,
        open_workspace: Callable[[], W] | None = None,
        shell: S | None = None,
        open_shell: Callable[[], S] | None = None,
        strict: bool = False,
        cancel: threading.Event | None = None,
        search_filter: Callable[[str], Callable[[Path], bool] | None] | None = None,
        check_resolved: Callable[[str, Access, Path], str | None] | None = None,
        spill: P | None = None,
        model: Model | None = None,
        names_host: Callable[[str], bool] | None = None,
        search_domains: SearchDomains | None = None,
    ) -> None:
        if (workspace is None) == (open_workspace is None):
            raise TypeError("give exactly one of workspace and open_workspace")
        self.reads = reads
        self.strict = strict
        self.cancel = cancel if cancel is not None else threading.Event()
        self._workspace = workspace
        self._open_workspace = open_workspace
        self._shell = shell
        self._open_shell = open_shell
        self._search_filter = search_filter
        self.check_resolved = check_resolved
        self.spill = spill
        self.model = model
        self.names_host = names_host
        self.search_domains = search_domains
        self.background: BackgroundTasks | None = None
        """The session's background subagents, where its agent may start them (TaskOutput
        reads them, KillShell stops them)."""
        # Read-only tools run concurrently: two first uses must not build two workspaces.
        self._lock = threading.Lock()

    @property
    def workspace(self) -> W:
        if self._workspace is None:
            with self._lock:
                if self._workspace is None and self._open_workspace is not None:
                    self._workspace = self._open_workspace()
        assert self._workspace is not None
        return self._workspace

    @property
    def shell(self) -> S | None:
        if self._shell is None and self._open_shell is not None:
            with self._lock:
                if self._shell is None:
                    self._shell = self._open_shell()
        return self._shell

    def hidden_from(self, tool: str) -> Callable[[Path], bool] | None:
        """For one search by ``tool``: whether a found file must be left out of its results
        (None: nothing to leave out)."""
        return self._search_filter(tool) if self._search_filter is not None else None

    def refusal(self, tool: str, access: Access, real: Path) -> str | None:
        """The gate's error text for ``tool`` acting on ``real`` (the real path of what it
        opened, or of the parent and name it writes), or None when the call may go on."""
        if self.check_resolved is None:
            return None
        return self.check_resolved(tool, access, real)
