"""The keywords of :func:`agentrun.batch.engine.run_batch`, typed, for ``agentrun.batch(...)``.

``agentrun.batch(tasks, workers=2, out=...)`` passes its keywords on to ``run_batch``; typing
them as ``**options: Unpack[BatchKeywords]`` lets mypy catch a misspelt option at the call.
``tests/batch/test_batch_keywords.py`` fails when ``run_batch`` gains a keyword this lacks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from agentrun.batch.engine import Line, Progress


class BatchKeywords(TypedDict, total=False):
    """Every keyword of ``run_batch``, each optional (its default is ``run_batch``'s)."""

    workers: int
    backend: str
    out: str | os.PathLike[str] | None
    retry_failed: bool
    max_budget_usd: float | None
    keep_worktrees: bool
    work_dir: str | os.PathLike[str] | None
    sandbox: str
    ray_address: str | None
    num_cpus: float
    memory_mb: int | None
    max_retries: int
    on_progress: Callable[[Progress, Line | None], None] | None
