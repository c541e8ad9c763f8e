"""The gate's vocabulary: modes, tool names, and a :class:`Decision`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from agentrun.core.vocab import OFFERED_WHEN_OMITTED, PERMISSION_MODES, READ_ONLY_TOOLS
from agentrun.permissions.rules import Rule, split_rules

__all__ = ["ALL_TOOLS", "PERMISSION_MODES", "RANK", "READ_ONLY_TOOLS", "Decision", "offered_tools"]

Behavior = Literal["allow", "ask", "deny"]
ALL_TOOLS = OFFERED_WHEN_OMITTED
RANK = {"allow": 0, "ask": 1, "deny": 2}


@dataclass(frozen=True)
class Decision:
    """What to do with one tool call (allow, deny or ask), why, and the rule that decided.

    ``grant`` says what an "always" answer to this ask would allow for the rest of the session
    (shown to the user as is); None when "always" is not offered (an ask rule, a protected
    path, a line whose commands cannot be known: the next call must be asked again)."""

    behavior: Behavior
    reason: str
    rule: str | None = None
    grant: str | None = None
    firm: bool = False
    """An ask a PreToolUse hook's allow cannot lift (an ask rule, a protected path, a write
    whose target is only known at run time)."""

    def __str__(self) -> str:
        return self.reason


def offered_tools(agent_tools: Sequence[str] | None, disallowed: Iterable[str] = ()) -> list[str]:
    """The tool names to offer the model: the agent's (None = all), minus bare disallowed
    names. ``Bash(git diff:*)`` in the agent's list offers Bash; ``Bash(rm:*)`` in the
    disallowed list only restricts it (a permission rule), it does not remove it."""
    names = ALL_TOOLS if agent_tools is None else [Rule.parse(t).tool for t in agent_tools]
    removed = {r.tool for r in map(Rule.parse, split_rules(disallowed)) if r.spec is None}
    return [n for n in dict.fromkeys(names) if n not in removed]
