"""The texts the turn loop writes for the model and the user when a run is cut short."""

from __future__ import annotations

from agentrun.core.vocab import INTERRUPTED_STOPPED

INTERRUPTED = INTERRUPTED_STOPPED
INTERRUPTED_RUN = "Interrupted by the user."
CONTINUE_NOTE = (
    "Your answer was cut off by the output token limit. Continue exactly where it stopped."
)
MAX_CUT_OFF = 5
"""Answers cut off by ``max_tokens`` in a row before the run stops: a model that keeps writing
one output too big for the limit (a huge Write) would otherwise go on until a limit or budget."""
CUT_OFF_RUN = (
    f"The model's answers were cut off by the output token limit {MAX_CUT_OFF + 1} times in a "
    "row; the run stopped."
)
