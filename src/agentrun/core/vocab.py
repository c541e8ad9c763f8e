"""Names every layer shares, written once: tools, modes, the default agent, and the texts the
model reads when something was interrupted (a contract: snapshot-tested, in the changelog).

``tests/core/test_vocab.py`` fails when a second copy of one of these appears in the package.
"""

from __future__ import annotations

from typing import Literal

DEFAULT_AGENT = "backend-specialist"
"""The agent a run gets when none is named (the CLI, the Python API, tests, batch tasks)."""

DEFAULT_TOOLS = ("Read", "Write", "Edit", "Bash", "Glob", "Grep")
"""Claude Code's six classic tools, the first ones the model is shown."""
BUILTIN_TOOLS = (
    *DEFAULT_TOOLS,
    *("MultiEdit", "LS", "TodoWrite", "NotebookEdit", "BashOutput", "KillShell"),
    *("WebFetch", "WebSearch"),
    "TaskOutput",
)
"""Every tool of agentrun's own, in the order the model is shown them."""
OFFERED_WHEN_OMITTED = tuple(t for t in BUILTIN_TOOLS if t not in ("LS", "TaskOutput"))
"""What an agent file without a ``tools`` list is offered: all tools, as in Claude Code (LS is
a legacy name kept for agent files that list it; Task/Agent and MCP tools are added where the
agent may use them, TaskOutput with Task)."""
SUBAGENT_TOOLS = ("Task", "Agent")
"""The names of the tool that starts a subagent (``Agent`` is Claude Code's newer one)."""
TOOL_ALIASES: dict[str, str] = {
    "KillBash": "KillShell",
    "AgentOutputTool": "TaskOutput",
    "BashOutputTool": "TaskOutput",
    "AgentOutput": "TaskOutput",
}
"""Older Claude Code names: an agent file or a model using one gets the tool it became."""
READ_ONLY_TOOLS = frozenset({"Read", "Glob", "Grep", "LS", "TodoWrite", "BashOutput", "TaskOutput"})
"""The tools that change nothing: several in one turn run concurrently, and plan mode allows
them."""
WEB_TOOLS = frozenset({"WebFetch", "WebSearch"})
"""The tools that reach the network from the runtime (not the jail): they change nothing local,
so several run concurrently, but they are asked by default (plan mode asks too)."""
JAILED_TOOLS = (
    frozenset(BUILTIN_TOOLS) - {"TodoWrite", "BashOutput", "KillShell", "TaskOutput"} - WEB_TOOLS
)
"""The tools whose work happens in the session's jail (Bash's commands, the file tools' I/O)."""

PermissionMode = Literal["default", "acceptEdits", "plan", "dontAsk", "bypassPermissions"]
PERMISSION_MODES: tuple[PermissionMode, ...] = (
    "default",
    "acceptEdits",
    "plan",
    "dontAsk",
    "bypassPermissions",
)
SandboxMode = Literal["workspace-write", "read-only", "danger-full-access"]
SANDBOX_MODES: tuple[SandboxMode, ...] = ("workspace-write", "read-only", "danger-full-access")
DEFAULT_SANDBOX: SandboxMode = "workspace-write"

INTERRUPTED_STOP = "interrupted"
"""The ``stop_reason`` of a run the user interrupted (Ctrl-C / SIGINT; CLI exit code 130)."""
INTERRUPTED_STOPPED = "Interrupted by the user: the tool was stopped before it finished."
"""The result of a tool call that was running when the user interrupted."""
INTERRUPTED_NOT_RUN = "Interrupted by the user: this tool call was not run."
"""The result of a tool call the user's interrupt came before."""
INTERRUPTED_SESSION = (
    "Interrupted: the session stopped before this tool call finished; it may have run partly."
)
"""The result a resumed transcript gives a tool call left without one (a crash, a kill)."""
