"""Whether real Anthropic API requests are allowed in this process: the state behind
:mod:`agentrun.testing.guard`, kept here so the Anthropic adapter checks it without importing
``testing`` (a layer above the models; see ``docs/architecture.md``).

Off while a guarded test runs (:func:`guarding`) or while :data:`ENV_VAR` is ``"0"`` (set by the
pytest plugin, inherited by ``agentrun`` subprocesses); each request refused is counted.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

ENV_VAR = "AGENTRUN_REAL_REQUESTS"
"""``"0"`` while the guard is on; unset (or anything else) means real requests are allowed."""

BLOCKED_MESSAGE = (
    "real API requests are disabled in tests: mark the test @pytest.mark.agentrun_live "
    "or run pytest with --agentrun-live"
)

_state = {"active": 0, "blocked": 0}
_state_lock = threading.Lock()


def real_requests_allowed() -> bool:
    """False while a test runs under the guard; code about to call the real API may check it."""
    return _state["active"] == 0 and os.environ.get(ENV_VAR) != "0"


@contextlib.contextmanager
def guarding() -> Iterator[None]:
    """Refuse real requests in this process while the block runs, whatever the environment."""
    with _state_lock:
        _state["active"] += 1
    try:
        yield
    finally:
        with _state_lock:
            _state["active"] -= 1


def note_blocked() -> None:
    """Count one real request refused in this process (the adapter calls it)."""
    with _state_lock:
        _state["blocked"] += 1


def blocked_count() -> int:
    """How many real requests were refused in this process so far."""
    return _state["blocked"]
