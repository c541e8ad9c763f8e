"""A subagent's gate: its parent's and its own, the stricter decision wins.

The parent's gate holds the session (its rules, "always" grants, the parent agent's limits and
mode); the child's own holds what its agent file narrows (``tools`` specs, ``disallowedTools``,
a stricter ``permissionMode``). Deciding by both means a subagent can never do more than the
agent that started it, whatever its file says.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agentrun.permissions.decision import RANK, Behavior, Decision

if TYPE_CHECKING:
    from agentrun.core.protocols import PermissionChecker
    from agentrun.core.types import ToolCall
    from agentrun.core.webcalls import SearchDomains
    from agentrun.permissions.gate import Gate

MODE_STRICTNESS = ("bypassPermissions", "acceptEdits", "default", "dontAsk", "plan")
"""Permission modes from loosest to strictest (dontAsk denies what default would ask)."""


def stricter_mode(parent: str, child: str | None) -> str:
    """The child's mode where it is stricter than the parent's, else the parent's."""
    if child not in MODE_STRICTNESS or parent not in MODE_STRICTNESS:
        return parent
    return max(parent, child, key=MODE_STRICTNESS.index)


class StricterGate:
    """Decides by both gates; the stricter decision (deny > ask > allow) is the answer."""

    def __init__(self, outer: PermissionChecker, inner: Gate) -> None:
        self.outer, self.inner = outer, inner

    @property
    def mode(self) -> str:
        return self.inner.mode

    @property
    def remembered(self) -> list[str]:
        return self.outer.remembered

    @property
    def warnings(self) -> list[str]:
        return self.outer.warnings

    def decide(
        self, call: ToolCall, *, hook: Behavior | None = None, hook_reason: str = ""
    ) -> Decision:
        first = self.outer.decide(call, hook=hook, hook_reason=hook_reason)
        second = self.inner.decide(call, hook=hook, hook_reason=hook_reason)
        assert isinstance(first, Decision)
        worse = max((first, second), key=lambda d: RANK[d.behavior])
        if worse.behavior == "ask" and first.behavior == second.behavior == "ask":
            # "always" may be offered only where both gates would remember it
            grant = first.grant if second.grant is not None else None
            firm = first.firm or second.firm
            return Decision("ask", first.reason, first.rule, grant=grant, firm=firm)
        return worse

    def answer(self, call: ToolCall, *, always: bool) -> None:
        self.outer.answer(call, always=always)
        self.inner.answer(call, always=always)

    def check_resolved(self, tool: str, kind: Literal["read", "write"], real: Path) -> str | None:
        return self.outer.check_resolved(tool, kind, real) or self.inner.check_resolved(
            tool, kind, real
        )

    def search_filter(self, tool: str) -> Callable[[Path], bool] | None:
        filters = [f for f in (self.outer.search_filter(tool), self.inner.search_filter(tool)) if f]
        if not filters:
            return None
        return lambda path: any(hidden(path) for hidden in filters)

    def web_search_domains(self) -> SearchDomains:
        return self.outer.web_search_domains().narrowed(self.inner.web_search_domains())

    def names_host(self, host: str) -> bool:
        return self.outer.names_host(host) and self.inner.names_host(host)

    def read_deny_paths(self) -> list[Path]:
        return self.outer.read_deny_paths()

    def writable_protected_paths(self) -> list[Path]:
        return self.outer.writable_protected_paths()


def agent_file_mode(
    flag: str | None, file_mode: str | None, *, source: str
) -> tuple[str | None, str | None]:
    """The mode a session asks its gate for when its agent file names ``permissionMode``, and
    a warning when the file's mode is refused.

    A flag (or the API's option) wins; then the file; ``None`` lets the settings' ``defaultMode``
    decide. Only a user's or a built-in agent file may turn on bypassPermissions: a file in the
    workspace (anyone who can write there, a model included) may narrow or set acceptEdits,
    as a project's settings may, never drop every check."""
    if flag is not None or file_mode is None:
        return flag, None
    if file_mode == "bypassPermissions" and source not in ("user", "builtin"):
        return None, (
            "the agent file's permissionMode bypassPermissions is ignored: only a user's agent "
            "file, the user's settings or --permission-mode may turn it on"
        )
    return file_mode, None
