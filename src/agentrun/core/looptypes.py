"""What the turn loop is given: its limits, the conversation it appends to, the parts it talks
to (:class:`LoopIO`) and the approver's answers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from agentrun.core.types import JSON, Message, ToolCall, ToolResult, ToolSpec, Usage

if TYPE_CHECKING:
    from agentrun.core.events import Event
    from agentrun.core.protocols import HookRunner, PermissionChecker, PermissionDecision

Approval = Literal["allow", "deny", "always"]


@dataclass(frozen=True)
class Answer:
    """An approver's fuller answer than an :data:`Approval`: an allow may carry the input to
    run instead (decided by the gate again: a deny rule still holds); a deny may carry the
    words the model reads and stop the whole run (``interrupt``)."""

    behavior: Literal["allow", "deny"]
    updated_input: JSON | None = None
    message: str = ""
    interrupt: bool = False
    always: bool = False
    """Also grant what the gate's decision offered for the session (like "always")."""


Approver = Callable[[ToolCall, "PermissionDecision"], "Approval | Answer"]
"""Asked when the gate says "ask", with its decision (``str()`` of it is the reason; its
``grant`` what "always" would allow, None when "always" must not be offered); None
(headless) denies every such call."""


class ToolDispatcher(Protocol):
    """What the loop needs from :class:`agentrun.tools.registry.ToolRunner`."""

    def specs(self) -> list[ToolSpec]: ...

    def run_calls(
        self,
        calls: Sequence[ToolCall],
        *,
        on_start: Callable[[ToolCall], None] | None = None,
        on_end: Callable[[ToolCall, ToolResult, float], None] | None = None,
        admit: Callable[[ToolCall], ToolResult | ToolCall | None] | None = None,
    ) -> list[ToolResult]: ...


class Notice(Protocol):
    """A finished background task's message for the model, and what it spent."""

    @property
    def text(self) -> str: ...
    @property
    def usage(self) -> Usage: ...
    @property
    def cost_usd(self) -> float | None: ...


class Notices(Protocol):
    """The background tasks a loop hears from (``agentrun.subagent.background``)."""

    def take(self) -> Sequence[Notice]: ...
    def running(self) -> bool: ...
    def charge(self) -> float:
        """What untold tasks spent since the last charge (their notices carry the rest)."""
        ...

    def wait(self, stop: Callable[[], bool]) -> bool: ...
    def stop_all(self) -> None:
        """Stop every running task and wait for it to end (its tools stopped or done)."""
        ...


@dataclass(frozen=True)
class Limits:
    """When the loop stops on its own: turns, spend, wall-clock time (None: no limit)."""

    max_turns: int | None = None
    max_budget_usd: float | None = None
    timeout_s: float | None = None


@dataclass
class Conversation:
    """A session's running state; the loop appends to ``messages`` and adds up the totals."""

    session_id: str
    messages: list[Message] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0
    spent_usd: float = 0.0
    """What budgets count: ``cost_usd``, but an unknown price at the dearest known rates."""


@dataclass
class LoopIO:
    """Everything the loop talks to besides the model."""

    tools: ToolDispatcher
    permissions: PermissionChecker | None
    emit: Callable[[Event], None]
    persist: Callable[[JSON], None]
    cancel: threading.Event
    sync: Callable[[], None] = lambda: None
    sync_each_call: bool = True
    """Call ``sync`` before every model call too (False: only as the run ends)."""
    approver: Approver | None = None
    system: str = ""
    request_extra: JSON = field(default_factory=dict)
    before_call: Callable[[], None] = lambda: None
    """Called before each model call (the context manager compacts there when it must)."""
    hooks: HookRunner | None = None
    interrupted: Callable[[], bool] = lambda: False
    """An outside request to stop this prompt (a Python API's ``interrupt()``; it sets
    ``cancel`` too, which stops running tools): the run ends as interrupted."""
    notices: Notices | None = None
    """Background tasks whose ends are told to the model before its next request."""
    wait_notices: bool = False
    """At the end of a turn, wait for running background tasks and go on with their
    notifications (headless runs: nothing is dropped silently); False: the turn ends and
    they are told with the next prompt (the REPL)."""
