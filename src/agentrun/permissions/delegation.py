"""What an agent file's ``tools`` say about delegation: whether it may start subagents
(``Task`` / ``Agent``) and which (``Task(a, b)``). The gate enforces the same limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentrun.core.errors import ConfigError
from agentrun.permissions.rules import DELEGATION_TOOLS, Rule, agent_names

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


def delegation_tool_name(
    agent_tools: Sequence[str] | None, disallowed: Sequence[str]
) -> str | None:
    """The name to offer the delegation tool under (``Agent`` where the file says so, else
    ``Task``), or None when the agent may not delegate (not in its ``tools``, or disallowed)."""
    named: list[str] = []
    for text in agent_tools if agent_tools is not None else ("Task",):
        try:
            tool = Rule.parse(text).tool
        except ConfigError:
            continue
        if tool in DELEGATION_TOOLS:
            named.append(tool)
    for text in disallowed:
        try:
            rule = Rule.parse(text)
        except ConfigError:
            continue
        if rule.tool in DELEGATION_TOOLS and rule.spec is None:
            return None
    return named[0] if named else None


def startable(agent_tools: Sequence[str] | None, agents: Iterable[str]) -> list[str]:
    """Of ``agents``, those an agent file lets its holder start: all, or those it names in
    ``Task(a, b)``."""
    if agent_tools is None:
        return sorted(agents)
    bare, named = False, set[str]()
    for text in agent_tools:
        try:
            rule = Rule.parse(text)
        except ConfigError:
            continue
        if rule.tool in DELEGATION_TOOLS:
            bare = bare or rule.spec is None
            named |= agent_names(rule.spec or "")
    return sorted(agents) if bare else sorted(n for n in agents if n in named)
