"""Long-session rows: one 500-turn scripted session through the fake Messages API with a
50,000-token window (server-side compaction at 85% of it), run once in a child process (the
SDK's import stays out of the parent); two rows read its numbers:

- the share of input tokens served from cache across the compactions (target >= 80%);
- the runtime's own time per turn at turn ~500: from the model's answer to the next call,
  minus tool time (target < 2 ms).
"""

from __future__ import annotations

import functools
from typing import Any

from childsession import cache_outcome, child_json
from harness import Outcome, Side


@functools.cache
def _session(turns: int) -> dict[str, Any]:
    return child_json("long_session.py", "long session", "--turns", str(turns))


def _turns(quick: bool) -> int:
    return 150 if quick else 500


def long_cache_share(*, quick: bool, rounds: int) -> Outcome:
    turns = _turns(quick)
    data = _session(turns)
    return cache_outcome(
        f"long session: cache share, {turns} turns, 50k window, {data['compactions']} compactions",
        data,
        80.0,
    )


def long_turn_time(*, quick: bool, rounds: int) -> Outcome:
    turns = _turns(quick)
    data = _session(turns)
    late, early = data["late_ms"], data["early_ms"]
    ratio = late / early if early > 0 else None
    return Outcome(
        f"long session: runtime time per turn at turn {turns} (vs turns 10-25)",
        Side(f"turns {turns - 15}-{turns}", late, late, late),
        Side("turns 10-25", early, early, early),
        "< 2 ms",
        late < 2.0,
        ratio,
        rounds=15,
    )


PAIRS = [
    ("long-cache-share", long_cache_share),
    ("long-turn-time", long_turn_time),
]
