"""One model call, cut short by the run's wall-clock deadline when there is one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentrun.core.protocols import Model
    from agentrun.core.types import ModelRequest, ModelResponse


class _AbandonedCallError(Exception):
    """Raised into a model call the loop gave up on (the wall clock ran out), to stop it."""


def call_model(
    model: Model, request: ModelRequest, emit: Callable[[str], None], deadline: float | None
) -> ModelResponse | None:
    """The model's answer, or None when the ``deadline`` (``time.monotonic()``) passed first.

    Under a wall-clock limit the call runs in a worker thread, so the deadline ends the run
    even while the model is still answering. The abandoned call emits nothing more, and a
    streaming adapter stops at its next text delta (``on_text`` raises there).
    """
    if deadline is None:
        return model.complete(request, on_text=emit)
    outcome: list[ModelResponse | BaseException] = []
    done, lock = threading.Event(), threading.Lock()
    abandoned = False

    def on_text(text: str) -> None:
        with lock:
            if abandoned:
                raise _AbandonedCallError
            emit(text)

    def work() -> None:
        try:
            outcome.append(model.complete(request, on_text=on_text))
        except BaseException as e:  # handed to the waiting thread as is
            outcome.append(e)
        finally:
            done.set()

    threading.Thread(target=work, name="agentrun-model-call", daemon=True).start()
    try:
        answered = done.wait(max(0.0, deadline - time.monotonic()))
    finally:
        with lock:
            abandoned = not done.is_set()  # a Ctrl-C while waiting abandons the call too
    if not answered:
        return None
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]
