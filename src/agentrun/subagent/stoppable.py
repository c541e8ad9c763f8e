"""A subagent's model behind a check before each call: the child's loop would otherwise go on
asking after it was stopped or after the run's budget was spent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentrun.core.errors import ModelError

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    from agentrun.core.protocols import Model, TextSink
    from agentrun.core.types import ModelRequest, ModelResponse


class Stoppable:
    """The child's model, refusing new calls once the parent's run is stopped (its Ctrl-C or
    deadline): the child's loop would otherwise go on asking after its tools were stopped."""

    def __init__(
        self,
        model: Model,
        cancel: threading.Event,
        stopped: threading.Event,
        over_budget: Callable[[], bool],
    ) -> None:
        self.model, self.cancel, self.stopped = model, cancel, stopped
        self.over_budget = over_budget

    @property
    def model_id(self) -> str:
        return self.model.model_id

    def complete(self, request: ModelRequest, *, on_text: TextSink | None = None) -> ModelResponse:
        if self.cancel.is_set() or self.stopped.is_set():
            raise ModelError("stopped: the run that started this agent was interrupted")
        if self.over_budget():
            raise ModelError("stopped: the run's budget (max_budget_usd) is spent")
        return self.model.complete(request, on_text=on_text)
