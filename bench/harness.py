"""Interleaved A/B timing: the only way to get fair ratios on a shared, noisy machine.

Each pair runs A B A B ... after a warm-up, so both sides see the same background load; we report
medians, min-max and the ratio of medians. Absolute times on these machines mean little; ratios
measured this way hold.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Timer = Callable[[], float]
"""Runs one trial and returns its duration in seconds (so setup can be excluded)."""


def timed(fn: Callable[[], object]) -> Timer:
    """Wrap a plain callable so the whole call is timed."""

    def run() -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return run


@dataclass(frozen=True)
class Side:
    label: str
    median: float
    low: float
    high: float
    unit: str = "ms"

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class Outcome:
    """One line of the report: agentrun's side, the baseline, their ratio and the target."""

    name: str
    ours: Side
    base: Side | None
    target: str
    met: bool
    ratio: float | None
    note: str = ""
    rounds: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ours": self.ours.as_dict(),
            "baseline": self.base.as_dict() if self.base else None,
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
            "rounds": self.rounds,
            "note": self.note,
        }


@dataclass
class Pair:
    """Two timers compared by the ratio of their medians (ours / baseline)."""

    name: str
    ours_label: str
    ours: Timer
    base_label: str
    base: Timer
    max_ratio: float
    max_ours_ms: float | None = None
    warmup: int = 2
    teardown: list[Callable[[], None]] = field(default_factory=list)

    def run(self, rounds: int) -> Outcome:
        for _ in range(self.warmup):
            self.ours()
            self.base()
        a: list[float] = []
        b: list[float] = []
        for i in range(rounds):
            # Alternate which side goes first so neither always runs on a warmer cache.
            if i % 2 == 0:
                a.append(self.ours())
                b.append(self.base())
            else:
                b.append(self.base())
                a.append(self.ours())
        for fn in self.teardown:
            fn()
        ours = _side(self.ours_label, a)
        base = _side(self.base_label, b)
        ratio = ours.median / base.median if base.median > 0 else float("inf")
        met = ratio <= self.max_ratio
        target = f"<= {self.max_ratio:g}x"
        if self.max_ours_ms is not None:
            met = met and ours.median < self.max_ours_ms
            target += f" and < {self.max_ours_ms:g} ms"
        return Outcome(self.name, ours, base, target, met, ratio, rounds=rounds)


def _side(label: str, seconds: list[float]) -> Side:
    ms = [s * 1000 for s in seconds]
    return Side(label, statistics.median(ms), min(ms), max(ms))
