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
    from agentrun.tools.base import ToolContext
    from agentrun.types import JSON, ModelRequest, ModelResponse, ToolResult


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
        """Return the next assistant message; raise :class:`agentrun.errors.ModelError` for good
        failures (after retries)."""
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

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult: ...


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

        Raises :class:`agentrun.errors.SandboxUnavailableError` rather than run unconfined
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
    @property
    def behavior(self) -> PermissionBehavior: ...

    @property
    def reason(self) -> str: ...


class PermissionChecker(Protocol):
    """Decides whether one tool call may run (Claude Code's modes and rules)."""

    def check(self, tool_name: str, tool_input: JSON) -> PermissionDecision: ...


class SessionStore(Protocol):
    """Append-only storage of a session's events (one JSON object each)."""

    def append(self, session_id: str, entry: Mapping[str, Any]) -> None:
        """Store ``entry`` durably before returning (flushed and fsynced)."""
        ...

    def sync(self, session_id: str) -> None:
        """Make every entry appended so far durable (stores may batch durability until here)."""
        ...

    def load(self, session_id: str) -> list[dict[str, Any]]:
        """Every entry of the session in order; raises SessionError if there is none."""
        ...
