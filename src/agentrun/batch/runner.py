"""One task run inside a worker: checkout, ``agentrun.run`` in it (its own jail session), the
patch, the checkout removed. Returns the result line as a dict (plain data: it crosses a pipe
or Ray's object store)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.batch import worktree
from agentrun.batch.patch import patch
from agentrun.core.envscope import scoped_env

if TYPE_CHECKING:
    from agentrun.batch.tasks import Task
    from agentrun.core.types import Usage

STATUS_OK = "success"
STATUS_FAILED = "failed"
STATUS_INTERRUPTED = "interrupted"
FINISHED = (STATUS_OK, STATUS_FAILED)
"""A task with one of these ran to its end; a resumed batch skips it."""


def run_task(
    task: Task, work_root: str, *, keep: bool = False, sandbox: str = "workspace-write"
) -> dict[str, Any]:
    """Run ``task`` to its end; never raises for what the task did (a failure is a result)."""
    from agentrun.core.vocab import INTERRUPTED_STOP
    from agentrun.runner.api import RunOptions, run
    from agentrun.session.store import sessions_dir

    started = time.monotonic()
    line: dict[str, Any] = {
        "id": task.id,
        "status": STATUS_FAILED,
        "subtype": "error_during_execution",
    }
    checkout: Path | None = None
    try:
        checkout = worktree.create(
            Path(work_root), task.id, repo=task.repo, ref=task.ref, workspace=task.workspace
        )
        with scoped_env(task.env):
            options = RunOptions(
                agent=task.agent,
                cwd=checkout,
                model=task.model,
                max_turns=task.max_turns,
                max_budget_usd=task.max_budget_usd,
                timeout_s=task.timeout,
                permission_mode=task.permission_mode,
                allowed_tools=task.allowed_tools,
                sandbox=sandbox,
                start_jail_early=True,
                # a task that dies is rerun from scratch and its results line is the durable
                # record: its transcript is synced once, as it ends, before that line is written
                sync_transcript="end",
            )
            result = run(task.prompt, options)
        change = patch(checkout)
        interrupted = result.stop_reason == INTERRUPTED_STOP
        status = STATUS_OK if not result.is_error else STATUS_FAILED
        line.update(
            status=STATUS_INTERRUPTED if interrupted else status,
            subtype=result.subtype,
            is_error=result.is_error,
            result=result.result,
            num_turns=result.num_turns,
            usage=_usage(result.usage),
            total_cost_usd=result.total_cost_usd,
            session_id=result.session_id,
            transcript=str(sessions_dir() / f"{result.session_id}.jsonl"),
            patch=change.text,
            patch_stats=change.stats(),
        )
    except KeyboardInterrupt:
        line.update(status=STATUS_INTERRUPTED, is_error=True, result="interrupted")
    except Exception as e:  # a config error, a broken checkout: this task's failure only
        line.update(is_error=True, result=f"{type(e).__name__}: {' '.join(str(e).split())}")
    finally:
        if checkout is not None:
            if keep:
                line["worktree"] = str(checkout)
            else:
                worktree.remove(checkout, repo=task.repo)
    line["duration_ms"] = int((time.monotonic() - started) * 1000)
    return line


def _usage(usage: Usage) -> dict[str, int]:
    return usage.to_dict()
