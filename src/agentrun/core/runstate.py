"""The bookkeeping of one ``run_turns`` call: its limits, the turns and money spent, the text so
far, and the result event that ends it."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from agentrun.core.events import INTERRUPTED_STOP, ResultEvent, ResultSubtype, TextDelta
from agentrun.core.modelcall import call_model
from agentrun.core.pricing import cost_usd, worst_cost
from agentrun.core.types import JSON, Usage

if TYPE_CHECKING:
    from agentrun.core.looptypes import Conversation, Limits, LoopIO
    from agentrun.core.protocols import Model
    from agentrun.core.types import ModelRequest, ModelResponse


class RunState:
    """Bookkeeping for one run_turns call: limits, totals, the model call and the final event."""

    def __init__(self, conv: Conversation, io: LoopIO, limits: Limits, model: Model) -> None:
        self.conv, self.io, self.limits, self.model = conv, io, limits, model
        self.started = time.monotonic()
        self.turns = 0
        self.usage = Usage()
        self.cost: float | None = 0.0
        self.spent = 0.0
        """What the budget counts: ``cost``, with an unknown price at the dearest known rates
        (``cost`` itself turns None then: the reported total stays honest)."""
        self.text = ""
        self.continuing = False
        self.cut_off = 0  # answers cut off by max_tokens in a row
        self.interrupted = False
        self.denials: list[JSON] = []
        self.stop_hook_active = False
        self.offered = frozenset(spec.name for spec in io.tools.specs())
        self.timer: threading.Timer | None = None
        io.cancel.clear()
        if limits.timeout_s is not None:
            # Past the deadline, running tools are stopped; the loop then ends with error_timeout.
            self.timer = threading.Timer(limits.timeout_s, io.cancel.set)
            self.timer.daemon = True
            self.timer.start()

    def call(self, request: ModelRequest) -> ModelResponse | None:
        """The model's answer, or None when the wall-clock limit passed first."""
        timeout = self.limits.timeout_s
        deadline = None if timeout is None else self.started + timeout
        return call_model(self.model, request, lambda text: self.io.emit(TextDelta(text)), deadline)

    def stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def limit_reached(self) -> ResultSubtype | None:
        lim = self.limits
        if lim.timeout_s is not None and time.monotonic() - self.started >= lim.timeout_s:
            return "error_timeout"
        if lim.max_budget_usd is not None and self.spent >= lim.max_budget_usd:
            return "error_max_budget_usd"
        if lim.max_turns is not None and self.turns >= lim.max_turns:
            return "error_max_turns"
        return None

    def account(self, usage: Usage) -> None:
        self.turns += 1
        self.add_spent(usage, cost_usd(self.model.model_id, usage))

    def add_spent(self, usage: Usage, cost: float | None) -> None:
        self.usage += usage
        self.conv.usage += usage
        counted = worst_cost(usage) if cost is None else cost
        self.spent += counted
        self.conv.spent_usd += counted
        if cost is None:
            self.cost = self.conv.cost_usd = None
        else:
            self.cost = None if self.cost is None else self.cost + cost
            self.conv.cost_usd = None if self.conv.cost_usd is None else self.conv.cost_usd + cost

    def finish(
        self, subtype: ResultSubtype, stop_reason: str | None, error: str = ""
    ) -> ResultEvent:
        notices = self.io.notices
        if notices is not None:
            if self.io.wait_notices or stop_reason == INTERRUPTED_STOP:
                # a headless run that ends without waiting for its background agents (a limit,
                # a Stop hook, an error) or any interrupted run: they are stopped and their
                # threads joined first, so nothing of theirs writes or emits after the result
                notices.stop_all()
            # background agents not told yet: what they spent so far is this run's too
            self.add_spent(Usage(), notices.charge())
        event = ResultEvent(
            subtype=subtype,
            is_error=subtype != "success",
            result=error or self.text,
            num_turns=self.turns,
            duration_ms=int((time.monotonic() - self.started) * 1000),
            total_cost_usd=None if self.cost is None else round(self.cost, 10),
            usage=self.usage,
            session_id=self.conv.session_id,
            permission_denials=self.denials,
            stop_reason=stop_reason,
        )
        self.stop_timer()
        self.io.persist({**(event.stream_json() or {}), "ts": time.time()})
        self.io.sync()
        self.io.emit(event)
        return event
