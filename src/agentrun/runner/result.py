"""What one prompt's run produced: :class:`RunResult`, as ``run()`` and ``AgentSession.send``
return it (importable from ``agentrun.runner.api`` too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentrun.core.events import Event, ResultEvent, ResultSubtype
    from agentrun.core.moreevents import ToolEndEvent
    from agentrun.core.types import JSON, ToolCall, ToolResult, Usage


@dataclass(frozen=True)
class RunResult:
    """What one prompt's run produced. ``events`` holds every event, in order."""

    result: str
    subtype: ResultSubtype
    is_error: bool
    stop_reason: str | None
    num_turns: int
    usage: Usage
    total_cost_usd: float | None
    session_id: str
    events: tuple[Event, ...] = ()
    permission_denials: tuple[JSON, ...] = ()
    duration_ms: int = 0

    @property
    def tool_calls(self) -> list[tuple[ToolCall, ToolResult]]:
        """Every tool call that ran and its result, in the order the model made the calls."""
        return [(e.call, e.result) for e in self.tool_ends]

    @property
    def tool_ends(self) -> list[ToolEndEvent]:
        """The end event of every tool call that ran, in the order the model made the calls
        (a turn's read-only calls run concurrently and finish in any order). Each end is
        placed by the start event before it with its id, so an id reused in a later turn
        cannot move it."""
        from agentrun.core.moreevents import ToolEndEvent, ToolStartEvent

        position: dict[str, int] = {}
        ends: list[tuple[int, ToolEndEvent]] = []
        for index, event in enumerate(self.events):
            if isinstance(event, ToolStartEvent):
                position[event.call.id] = index
            elif isinstance(event, ToolEndEvent):
                ends.append((position.get(event.call.id, len(self.events)), event))
        ends.sort(key=lambda pair: pair[0])
        return [event for _, event in ends]

    @classmethod
    def from_event(cls, event: ResultEvent, events: Sequence[Event]) -> RunResult:
        return cls(
            result=event.result,
            subtype=event.subtype,
            is_error=event.is_error,
            stop_reason=event.stop_reason,
            num_turns=event.num_turns,
            usage=event.usage,
            total_cost_usd=event.total_cost_usd,
            session_id=event.session_id,
            events=tuple(events),
            permission_denials=tuple(event.permission_denials),
            duration_ms=event.duration_ms,
        )
