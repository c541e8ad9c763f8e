"""What the context holds, by part: the budget ``/context`` shows.

The total is the context budget's own figure (:meth:`ContextManager.estimate`: the API's usage
of the last call plus what was added since). The split is estimated (about 4 characters a
token) and scaled to that total, so the parts always add up to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentrun.context.tokens import estimate_tokens

if TYPE_CHECKING:
    from agentrun.core.types import Message, ToolSpec

# The system prompt's memory sections (see agentfile/prompt.py): each starts with this header.
_MEMORY = re.compile(r"\n\nContents of [^\n]* \(project instructions\):\n\n")


@dataclass(frozen=True)
class ContextParts:
    """The context by part, in tokens, against the window and the compaction threshold."""

    system: int
    tools: int
    memory: int
    messages: int
    tool_results: int
    window: int
    threshold: int
    server_side: bool = False

    @property
    def used(self) -> int:
        return self.system + self.tools + self.memory + self.messages + self.tool_results

    def lines(self) -> list[str]:
        """``/context``'s lines."""
        used, window = self.used, self.window
        where = "server-side" if self.server_side else "by agentrun"
        rows = [
            ("system prompt", self.system),
            ("tools", self.tools),
            ("memory files", self.memory),
            ("messages", self.messages),
            ("tool results", self.tool_results),
            ("free", max(window - used, 0)),
        ]
        return [
            f"context: {used:,} of {window:,} tokens ({used / window:.0%}); compacts at "
            f"{self.threshold:,} ({self.threshold / window:.0%}, {where})",
            *(f"  {name:<14}{value:>10,}  {value / window:>4.0%}" for name, value in rows),
        ]


def context_parts(
    system: str,
    tools: list[ToolSpec],
    messages: list[Message],
    *,
    total: int,
    window: int,
    threshold: int,
    server_side: bool = False,
) -> ContextParts:
    """Split ``total`` tokens over the parts of the next request."""
    cut = _MEMORY.search(system)
    prompt, memory = (system[: cut.start()], system[cut.start() :]) if cut else (system, "")
    results: list[object] = []
    other: list[object] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            for block in content:
                (results if block.get("type") == "tool_result" else other).append(block)
        else:
            other.append(content)
    raw = [
        estimate_tokens(prompt),
        estimate_tokens([t.to_dict() for t in tools]) if tools else 0,
        estimate_tokens(memory) if memory else 0,
        estimate_tokens(other) if other else 0,
        estimate_tokens(results) if results else 0,
    ]
    scale = total / sum(raw) if sum(raw) else 0.0
    parts = [round(r * scale) for r in raw]
    parts[0] += total - sum(parts)  # rounding: the parts add up to the total exactly
    system_t, tools_t, memory_t, messages_t, results_t = parts
    return ContextParts(
        system_t, tools_t, memory_t, messages_t, results_t, window, threshold, server_side
    )
