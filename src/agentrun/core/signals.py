"""Signal handlers installed for a stretch of code and restored after it."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Handler = Callable[[int, Any], None]


@contextlib.contextmanager
def handling(signals: Iterable[signal.Signals], handler: Handler) -> Iterator[None]:
    """Run the block with ``handler`` for each of ``signals``; the previous handlers come back
    afterwards, however the block ends."""
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
