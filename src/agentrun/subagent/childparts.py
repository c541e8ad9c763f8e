"""What a subagent gets from its session, the hooks as a subagent meets them, and its model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ConfigError

_INHERIT = (None, "", "inherit")
"""What ``model:`` says when a child uses its parent's model."""

if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.protocols import HookResult, HookRunner, Model
    from agentrun.core.types import JSON
    from agentrun.subagent.task import Delegation


class ChildHooks:
    """The session's hooks as one subagent meets them: its Stop fires as SubagentStop, and
    SubagentStart/SubagentStop carry ``agent_id`` (the Task call's id) and ``agent_type``
    (matchers select by it). Its prompt is no user prompt: UserPromptSubmit does not fire."""

    subagent = True

    def __init__(self, hooks: HookRunner, agent_id: str, agent_type: str) -> None:
        self.hooks, self.agent_id, self.agent_type = hooks, agent_id, agent_type

    def has(self, event: str) -> bool:
        return event != "UserPromptSubmit" and self.hooks.has(event)

    def fire(self, event: str, fields: JSON) -> HookResult:
        if event in ("SubagentStart", "SubagentStop"):
            fields = {**fields, "agent_id": self.agent_id, "agent_type": self.agent_type}
        return self.hooks.fire(event, fields)

    def take_stop(self) -> str | None:
        return self.hooks.take_stop()


def child_model(d: Delegation, agent: AgentSpec, override: Any, call_id: str) -> tuple[Model, bool]:
    """The child's model and whether the child owns it (closes it when done).

    ``inherit`` (or nothing) is the parent's; an alias or id is a model of its own. Under a
    scripted parent every child plays its agent's script from the parent's ``agents``
    (answering as the alias's model when one is named, for its price)."""
    wanted = override if override not in _INHERIT else agent.model
    inherit = wanted in _INHERIT
    for_agent = getattr(d.model, "for_agent", None)
    if callable(for_agent):
        from agentrun.core.pricing import resolve_alias

        model_id = None if inherit or wanted == "default" else resolve_alias(str(wanted))
        scripted: Model | None = for_agent(agent.name, model_id, call_id)
        if scripted is None:
            raise ConfigError(
                f"the script has no 'agents' entry for {agent.name!r} (its turns as a subagent)"
            )
        return scripted, False
    if inherit:
        return d.model, False
    from agentrun.models import resolve_model

    return resolve_model(str(wanted), max_retries=d.max_retries), True
