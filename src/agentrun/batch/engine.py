"""The batch loop, the same for every backend: skip finished ids, start tasks while workers are
free and the budget lasts, record each result as it ends, stop cleanly on Ctrl-C."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agentrun.batch.results import ResultsFile
from agentrun.batch.runner import STATUS_INTERRUPTED
from agentrun.batch.tasks import Task, validate

Line = dict[str, Any]


class Backend(Protocol):
    def free(self) -> int: ...
    def busy(self) -> int: ...
    def running(self) -> list[Task]: ...
    def submit(self, task: Task) -> None: ...
    def wait(self, timeout: float) -> list[tuple[Task, Line]]: ...
    def interrupt(self, deadline: float = 30.0) -> list[tuple[Task, Line]]: ...
    def close(self) -> None: ...


@dataclass
class Progress:
    """What the display shows; updated by the loop as tasks start and end."""

    total: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    interrupted: int = 0
    not_started: int = 0
    cost_usd: float = 0.0
    running: list[str] = field(default_factory=list)
    budget_stopped: bool = False
    durations_ms: list[int] = field(default_factory=list)


def run_batch(
    tasks: Iterable[Task | Mapping[str, Any]],
    *,
    workers: int = 2,
    backend: str = "local",
    out: str | os.PathLike[str] | None = None,
    retry_failed: bool = False,
    max_budget_usd: float | None = None,
    keep_worktrees: bool = False,
    work_dir: str | os.PathLike[str] | None = None,
    sandbox: str = "workspace-write",
    ray_address: str | None = None,
    num_cpus: float = 1.0,
    memory_mb: int | None = None,
    max_retries: int = 2,
    on_progress: Callable[[Progress, Line | None], None] | None = None,
) -> Iterator[Line]:
    """Run ``tasks``; yield each result line as its task ends (see :func:`agentrun.batch`)."""
    given = list(tasks)
    todo = [t for t in given if isinstance(t, Task)]
    if len(todo) != len(given):  # mappings (a script's own tasks): validated like a task file
        todo = validate([_as_mapping(t) for t in given], base=Path.cwd())
    results = ResultsFile(out) if out is not None else None
    finished = results.finished(retry_failed=retry_failed) if results is not None else set()
    progress = Progress(total=len(todo))
    pending = [t for t in todo if t.id not in finished]
    progress.skipped = len(todo) - len(pending)
    if not pending:
        if on_progress is not None:
            on_progress(progress, None)
        return
    root = _work_root(work_dir, out)
    engine = _backend(
        backend, workers, root, keep_worktrees, sandbox, pending, ray_address, num_cpus,
        memory_mb, max_retries,
    )  # fmt: skip
    queue = list(reversed(pending))

    def record(task: Task, line: Line) -> Line:
        if results is not None:
            results.append(line)
        cost = line.get("total_cost_usd")
        progress.cost_usd += float(cost) if isinstance(cost, int | float) else 0.0
        status = line.get("status")
        progress.done += 1
        progress.failed += status == "failed"
        progress.interrupted += status == STATUS_INTERRUPTED
        progress.durations_ms.append(int(line.get("duration_ms") or 0))
        progress.running = [t.id for t in engine.running()]
        if on_progress is not None:
            on_progress(progress, line)
        return line

    try:
        while queue or engine.busy():
            over = max_budget_usd is not None and progress.cost_usd >= max_budget_usd
            if over and queue:
                progress.budget_stopped = True
                progress.not_started = len(queue)
                queue.clear()
            while queue and engine.free() > 0:
                engine.submit(queue.pop())
            progress.running = [t.id for t in engine.running()]
            if on_progress is not None:
                on_progress(progress, None)
            for task, line in engine.wait(0.5):
                yield record(task, line)
    except (KeyboardInterrupt, GeneratorExit):
        progress.not_started = len(queue)
        for task, line in engine.interrupt():
            record(task, line)
        raise
    finally:
        engine.close()
        if not keep_worktrees:
            _remove_empty(root)


def _as_mapping(task: Task | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(task, Task):
        from dataclasses import asdict

        return {k: v for k, v in asdict(task).items() if v not in (None, ())}
    return task


def _work_root(work_dir: str | os.PathLike[str] | None, out: Any) -> Path:
    """Checkouts live next to the results file (a resumed batch finds and replaces leftovers
    of a killed one), else in a fresh temporary directory."""
    if work_dir is not None:
        return Path(work_dir).resolve()
    if out is not None:
        path = Path(out).resolve()
        return path.with_name(path.name + ".worktrees")
    import tempfile

    return Path(tempfile.mkdtemp(prefix="agentrun-batch-"))


def _remove_empty(root: Path) -> None:
    try:
        root.rmdir()
    except OSError:
        pass


def _backend(
    name: str,
    workers: int,
    root: Path,
    keep: bool,
    sandbox: str,
    tasks: list[Task],
    ray_address: str | None,
    num_cpus: float,
    memory_mb: int | None,
    max_retries: int,
) -> Backend:
    if name == "local":
        from agentrun.batch.pool import LocalBackend

        sdk = any(not (t.model or "").startswith(("script:", "replay:")) for t in tasks)
        return LocalBackend(
            workers, str(root), keep=keep, sandbox=sandbox, preload_sdk=sdk, max_retries=max_retries
        )
    if name == "ray":
        from agentrun.batch.raybackend import RayBackend

        return RayBackend(
            workers,
            str(root),
            keep=keep,
            sandbox=sandbox,
            address=ray_address,
            num_cpus=num_cpus,
            memory_mb=memory_mb,
            max_retries=max_retries,
        )
    from agentrun.core.errors import ConfigError

    raise ConfigError(f"unknown batch backend {name!r}; choose local or ray")
