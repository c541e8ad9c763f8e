"""A background Task: the child starts in a thread of its own (see
:mod:`agentrun.subagent.background`) and the call answers at once with its id."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from agentrun.core.errors import ConfigError
from agentrun.core.types import ToolResult
from agentrun.subagent.background import MAX_RUNNING
from agentrun.subagent.task import Child

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.events import ResultEvent
    from agentrun.core.types import JSON
    from agentrun.subagent.background import BackgroundAgents
    from agentrun.subagent.task import Delegation


def launch(
    d: Delegation, agents: BackgroundAgents, agent: AgentSpec, call_id: str, input: JSON
) -> ToolResult:
    """Start the child in its own thread and answer at once. Nobody answers its approval
    questions while the parent works on: what its gates would ask is denied."""
    try:
        quiet = replace(d, approver=None)
        child = Child(quiet, agent, call_id, input.get("model"))
    except ConfigError as e:
        return ToolResult(f"The {agent.name} agent could not start: {e}", is_error=True)

    remaining = d.remaining_budget

    def over_budget() -> bool:
        left = remaining()
        return left is not None and left - agents.live_cost() <= 0

    child.over_budget = over_budget

    def run() -> tuple[ResultEvent, int]:
        try:
            final = child.run(str(input["prompt"]))
            return replace(final, result=_kept(d, final.result, agent.name)), child.tool_uses()
        finally:
            child.close()

    description = " ".join(str(input.get("description", "")).split()) or agent.name

    def spend(on_spent: Callable[[float], None]) -> None:
        child.on_spent = on_spent

    entry = agents.start(description, agent.name, call_id, run, child.stop, spend)
    if entry is None:
        child.close()
        return ToolResult(
            f"Not started: {MAX_RUNNING} background agents are running already, the most at "
            "once. Wait for one to end (its <task-notification>, or TaskOutput with block: "
            "true), or stop one with KillShell, then launch this one again.",
            is_error=True,
        )
    return ToolResult(
        f"The agent was started in the background.\nagentId: {entry.id} (an internal id: "
        "do not show it to the user)\nIt works on while you continue; do not wait for it "
        "or repeat its work. Its result comes in a later message as a <task-notification>. "
        "TaskOutput reads it earlier and KillShell stops it, both by this id. If the user "
        "asks how it is going, say it is still running."
    )


def _kept(d: Delegation, text: str, agent: str) -> str:
    """A child's final text as a tool result keeps it: past the spill threshold the
    notification carries a preview and the path of the whole text (cut when it cannot be
    saved): a child's 3 MB answer must not land whole in the parent's context."""
    from agentrun.tools.spill import DEFAULT_THRESHOLD, PREVIEW_CHARS, Spill

    spill = d.ctx.spill
    threshold = spill.threshold if isinstance(spill, Spill) else DEFAULT_THRESHOLD
    if len(text) <= threshold:
        return text
    if isinstance(spill, Spill) and (kept := spill.keep(text, f"agent-{agent}")) is not text:
        return kept
    return f"{text[:PREVIEW_CHARS]}\n\n[Cut: the agent's answer has {len(text):,} characters.]"
