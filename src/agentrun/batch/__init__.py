"""Many runs: a task file run task by task in private checkouts, on local workers or Ray.

``agentrun.batch(tasks, workers=2, backend="local", out="results.jsonl")`` yields each task's
result line as it ends; ``agentrun batch TASKS`` is the command line over the same loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

if TYPE_CHECKING:
    from collections.abc import Iterator

    from agentrun.batch.keywords import BatchKeywords

__all__ = ["batch"]


def batch(tasks: Any, **options: Unpack[BatchKeywords]) -> Iterator[dict[str, Any]]:
    """Run ``tasks`` (``Task`` values, mappings with a task file's fields, or a task file's
    path) and yield each result as it ends. Options: ``workers``, ``backend`` (``"local"`` or
    ``"ray"``), ``out`` (results JSONL; finished ids in it are skipped), ``retry_failed``,
    ``max_budget_usd``, ``keep_worktrees``, ``work_dir``, ``ray_address``, ``num_cpus``,
    ``memory_mb``, ``max_retries``, ``sandbox``, ``on_progress`` (see ``BatchKeywords``)."""
    from pathlib import Path

    from agentrun.batch.engine import run_batch
    from agentrun.batch.tasks import load_tasks

    if isinstance(tasks, str | Path):
        tasks = load_tasks(tasks)
    return run_batch(tasks, **options)


class _CallableModule(__import__("types").ModuleType):  # type: ignore[misc]
    """``agentrun.batch`` is both this package and the API function: importing a submodule sets
    the package as the attribute ``agentrun.batch``, so the package itself answers the call."""

    def __call__(self, tasks: Any, **options: Unpack[BatchKeywords]) -> Iterator[dict[str, Any]]:
        return batch(tasks, **options)


__import__("sys").modules[__name__].__class__ = _CallableModule
