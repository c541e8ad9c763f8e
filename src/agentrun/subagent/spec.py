"""What the model is told about the Task/Agent tool: Claude Code's schema and description."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.types import JSON, ToolSpec

MAX_DEPTH = 2
"""How deep delegation goes: the session's agent is depth 0; an agent at this depth is not
offered the tool (Claude Code allows no nesting at all; a persona that delegates to agents
which delegate once more is how people use agentrun)."""

TASK_NAMES = ("Task", "Agent")
"""Claude Code's delegation tool: ``Task``, renamed ``Agent`` in newer versions (both work)."""

MODEL_CHOICES = ("sonnet", "opus", "haiku")

TASK_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "description": {
            "type": "string",
            "description": "A short (3-5 word) description of the task",
        },
        "prompt": {"type": "string", "description": "The task for the agent to perform"},
        "subagent_type": {
            "type": "string",
            "description": "The type of specialized agent to use for this task",
        },
        "model": {
            "type": "string",
            "enum": list(MODEL_CHOICES),
            "description": (
                "Optional model to use for this agent. If not specified, inherits from the "
                "parent. Prefer haiku for quick, straightforward tasks to minimize cost and "
                "latency."
            ),
        },
        "run_in_background": {
            "type": "boolean",
            "description": (
                "Set to true to run this agent in the background. You will be notified when "
                "it completes."
            ),
        },
    },
    "required": ["description", "prompt", "subagent_type"],
    "additionalProperties": False,
}

_INTRO = """Launch a new agent to handle complex, multi-step tasks autonomously.

The {tool} tool launches specialized agents that autonomously handle complex tasks. Each agent \
type has specific capabilities and tools available to it.

Available agent types and the tools they have access to:
{agents}

When using the {tool} tool, you must specify a subagent_type parameter to select which agent \
type to use.

Usage notes:
- Always include a short description (3-5 words) summarizing what the agent will do
- Launch multiple agents concurrently whenever possible, to maximize performance; to do that, \
use a single message with multiple tool uses
- When the agent is done, it will return a single message back to you. The result returned by \
the agent is not visible to the user. To show the user the result, you should send a text \
message back to the user with a concise summary of the result.
- Each agent invocation is stateless: it starts fresh and cannot see this conversation. Give \
it a detailed, self-contained prompt and say exactly what it should return.
- Clearly tell the agent whether you expect it to write code or just to do research."""


def task_spec(tool: str, agents: Iterable[AgentSpec]) -> ToolSpec:
    """What the model is told about the tool named ``tool`` that may start ``agents``."""
    from agentrun.core.types import ToolSpec

    return ToolSpec(tool, task_description(tool, agents), TASK_SCHEMA)


def task_description(tool: str, agents: Iterable[AgentSpec]) -> str:
    """The tool's description: usage notes and one line per agent it may start."""
    lines = []
    for agent in sorted(agents, key=lambda a: a.name):
        tools = "All tools" if agent.tools is None else ", ".join(agent.tools) or "none"
        summary = " ".join(agent.description.split())
        lines.append(f"- {agent.name}: {summary} (Tools: {tools})")
    return _INTRO.format(tool=tool, agents="\n".join(lines) or "- (none)")
