"""The seams of agentrun, as structural protocols, all in one place.

Implementations never inherit from these; they only have to fit. The loop talks to nothing else:
a :class:`Model`, a set of :class:`Tool` values, a :class:`Sandbox`, a :class:`PermissionChecker`
and a :class:`SessionStore`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from agentrun.core.toolcontext import ToolContext
    from agentrun.core.types import JSON, ModelRequest, ModelResponse, ToolCall, ToolResult
    from agentrun.core.webcalls import SearchDomains


TextSink = Callable[[str], None]
"""Receives text deltas while a model streams its answer (for live display)."""


@runtime_checkable
class Model(Protocol):
    """Anything that answers a Messages-shaped request with the next assistant message."""

    @property
    def model_id(self) -> str:
        """The model id whose prices cost this model's usage (``""`` when unknown)."""
        ...

    def complete(self, request: ModelRequest, *, on_text: TextSink | None = None) -> ModelResponse:
        """Return the next assistant message; raise
        :class:`agentrun.core.errors.ModelError` for good failures (after retries)."""
        ...


@runtime_checkable
class Tool(Protocol):
    """One tool the model can call. ``run`` never raises for expected failures: it returns
    ``ToolResult(is_error=True)`` worded for the model."""

    name: str
    description: str
    input_schema: JSON
    read_only: bool
    """Read-only tools may run concurrently within one turn; the others run one at a time."""

    def run(self, input: JSON, ctx: ToolContext[Any, Any, Any, Any]) -> ToolResult: ...


class SpawnedProcess(Protocol):
    """A process started by a :class:`Sandbox` for the Bash tool."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None:
        """The exit status (negative signal number when killed), or None while running."""
        ...

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait up to ``timeout`` seconds; the exit status, or None if still running."""
        ...

    def kill(self) -> None:
        """Kill the process and every process it started (whatever they did to escape)."""
        ...


class Sandbox(Protocol):
    """Confinement for one session: how Bash processes are started, and what is enforced."""

    @property
    def mode(self) -> str:
        """``workspace-write``, ``read-only`` or ``danger-full-access``."""
        ...

    @property
    def enforced(self) -> tuple[str, ...]:
        """The layers actually in force (e.g. ``landlock``, ``netns``, ``seccomp``)."""
        ...

    def spawn(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: int
    ) -> SpawnedProcess:
        """Start ``argv`` with stdin from /dev/null and stdout+stderr on the fd ``stdout``.

        Raises :class:`agentrun.core.errors.SandboxUnavailableError` rather than run unconfined
        when the mode needs a layer that is missing.
        """
        ...

    def notices(self) -> list[str]:
        """What the sandbox's guards did since the last call (a ``.git`` a command created,
        renamed away), worded for the model; the Bash tool adds them to its result."""
        ...

    def close(self) -> None:
        """End the session: kill every process the sandbox started and remove what it made."""
        ...


PermissionBehavior = Literal["allow", "ask", "deny"]


class PermissionDecision(Protocol):
    """One decision of the gate (:class:`agentrun.permissions.Decision`)."""

    @property
    def behavior(self) -> PermissionBehavior: ...

    @property
    def reason(self) -> str: ...

    @property
    def grant(self) -> str | None:
        """What an "always" answer would allow for the session; None: "always" not offered."""
        ...

    @property
    def firm(self) -> bool:
        """An ask only a person may answer (an ask rule, a protected path): no hook can."""
        ...


class PermissionChecker(Protocol):
    """The permission gate (:class:`agentrun.permissions.Gate`): the one place a tool call
    is allowed, asked or denied. Everything the loop, the CLI, the REPL and the Python API
    use of it is declared here."""

    @property
    def mode(self) -> str: ...

    @property
    def remembered(self) -> list[str]:
        """The grants "always" answers added, as rule texts (carried into a new session)."""
        ...

    @property
    def warnings(self) -> list[str]:
        """What the settings files asked for and did not get (for stderr)."""
        ...

    def decide(
        self,
        call: ToolCall,
        *,
        hook: PermissionBehavior | None = None,
        hook_reason: str = "",
    ) -> PermissionDecision:
        """Decide ``call`` now, immediately before it runs; ``hook`` is what its PreToolUse
        hooks answered, an input to the decision (their deny always wins, their allow never
        lifts a deny rule)."""
        ...

    def answer(self, call: ToolCall, *, always: bool) -> None:
        """The user approved an asked ``call``, once or for the session."""
        ...

    def check_resolved(self, tool: str, kind: Literal["read", "write"], real: Path) -> str | None:
        """A file tool opened ``real``: None if the call may go on, else the error text."""
        ...

    def search_filter(self, tool: str) -> Callable[[Path], bool] | None:
        """For one Grep/Glob: whether a found file must be left out of the results."""
        ...

    def names_host(self, host: str) -> bool:
        """Whether an allow rule names ``host`` exactly: what lets WebFetch reach a loopback
        or private address (or keep plain http)."""
        ...

    def web_search_domains(self) -> SearchDomains:
        """The settings' WebSearch domain lists, which narrow every search a call asks for."""
        ...

    def read_deny_paths(self) -> list[Path]:
        """Paths the Read deny rules name that the jail can hide from Bash too."""
        ...

    def writable_protected_paths(self) -> list[Path]:
        """Protected paths explicit allow rules name, which the sandbox keeps writable."""
        ...


class HookResult(Protocol):
    """What the hooks of one event answered together (:class:`agentrun.hooks.HookOutcome`)."""

    @property
    def blocked(self) -> bool: ...

    @property
    def reason(self) -> str:
        """Why they blocked (for the model)."""
        ...

    @property
    def permission(self) -> PermissionBehavior | None: ...

    @property
    def permission_reason(self) -> str: ...

    @property
    def updated_input(self) -> JSON | None: ...

    @property
    def context(self) -> str:
        """Context for the model (``additionalContext``, plain stdout where it counts)."""
        ...

    @property
    def stop(self) -> bool:
        """A hook answered ``continue: false``: the run stops."""
        ...

    @property
    def stop_reason(self) -> str: ...


class HookRunner(Protocol):
    """The session's hooks (:class:`agentrun.hooks.Hooks`): the loop fires events through it."""

    @property
    def subagent(self) -> bool:
        """The agent runs as a subagent: its ``Stop`` is fired as ``SubagentStop``."""
        ...

    def has(self, event: str) -> bool:
        """Whether any hook is configured for ``event`` (nothing to build otherwise)."""
        ...

    def fire(self, event: str, fields: JSON) -> HookResult:
        """Run the matching hooks of ``event`` with the envelope's event ``fields``."""
        ...

    def take_stop(self) -> str | None:
        """Why a hook answered ``continue: false`` since the last call (then the run ends
        after the current step), or None."""
        ...


class SessionStore(Protocol):
    """Where sessions' transcripts live: per session, append-only entries (one JSON object
    each), held by one run at a time. :class:`agentrun.session.store.FileSessionStore` (JSONL
    files) is the default; another store (a database, object storage) is passed as
    ``RunOptions.session_store`` and proven by :mod:`agentrun.testing.storesuite`."""

    def check_writable(self) -> None:
        """Raise ConfigError now, before any model call, if entries cannot be stored."""
        ...

    def resolve(self, given: str) -> str:
        """The session ``given`` names: its whole ID, or a prefix only one stored session has;
        raises SessionError otherwise (unknown, ambiguous, not an ID)."""
        ...

    def exists(self, session_id: str) -> bool:
        """Whether the session has any entry stored."""
        ...

    def path(self, session_id: str) -> Path:
        """Where the transcript is, or would be (what hooks are told as ``transcript_path``);
        raises SessionError for a string that is not a session ID."""
        ...

    def claim(self, session_id: str) -> None:
        """Hold the session for this store until :meth:`close`: raises SessionError while
        another store holds it (two runs appending to one conversation interleave turns)."""
        ...

    def append(self, session_id: str, entry: Mapping[str, Any], *, sync: bool = True) -> None:
        """Store ``entry`` (claiming the session) with every secret redacted
        (:func:`agentrun.session.redact.redact`); durable before returning when ``sync``."""
        ...

    def sync(self, session_id: str) -> None:
        """Make every entry appended so far durable (stores may batch durability until here)."""
        ...

    def load(self, session_id: str) -> list[dict[str, Any]]:
        """Every entry of the session in order; raises SessionError if there is none."""
        ...

    def latest_for_cwd(self, cwd: Path | str) -> str | None:
        """The most recently active session whose ``session`` entry names ``cwd``."""
        ...

    def close(self) -> None:
        """Release every session this store holds."""
        ...
