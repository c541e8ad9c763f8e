"""The Ray backend: each task a Ray task running the same ``run_task`` as a local worker.

Repositories and workspaces reach Ray workers by path: the cluster's nodes must share the
filesystem that holds them (and the task file's scripts), as NFS-mounted checkouts do. A task
whose worker dies is retried by Ray (``max_retries``), from scratch: ``run_task`` first removes
whatever the lost attempt left in its checkout directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.batch.pool import _line, _remove_checkout
from agentrun.batch.runner import STATUS_FAILED, STATUS_INTERRUPTED

if TYPE_CHECKING:
    from agentrun.batch.tasks import Task

Line = dict[str, Any]


def _remote_run(task: Task, work_root: str, keep: bool, sandbox: str) -> Line:
    import os

    from agentrun.batch.runner import run_task

    line = run_task(task, work_root, keep=keep, sandbox=sandbox)
    line["worker_pid"] = os.getpid()
    return line


class RayBackend:
    def __init__(
        self,
        workers: int,
        work_root: str,
        *,
        keep: bool = False,
        sandbox: str = "workspace-write",
        address: str | None = None,
        num_cpus: float = 1.0,
        memory_mb: int | None = None,
        max_retries: int = 2,
    ) -> None:
        try:
            import ray
        except ImportError as e:
            from agentrun.core.errors import ConfigError

            raise ConfigError("--backend ray needs Ray: pip install 'agentrun[ray]'") from e
        self._ray = ray
        if not ray.is_initialized():
            if address is not None:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=max(1, workers), log_to_driver=False, include_dashboard=False)
        self.size = workers
        self.work_root = work_root
        self.keep = keep
        self.sandbox = sandbox
        options: dict[str, Any] = {"num_cpus": num_cpus, "max_retries": max_retries}
        if memory_mb is not None:
            options["memory"] = memory_mb * 1024 * 1024
        self._fn = ray.remote(_remote_run).options(**options)
        self._refs: dict[Any, Task] = {}

    def free(self) -> int:
        return self.size - len(self._refs)

    def busy(self) -> int:
        return len(self._refs)

    def running(self) -> list[Task]:
        return list(self._refs.values())

    def submit(self, task: Task) -> None:
        ref = self._fn.remote(task, self.work_root, self.keep, self.sandbox)
        self._refs[ref] = task

    def wait(self, timeout: float) -> list[tuple[Task, Line]]:
        if not self._refs:
            return []
        ready, _ = self._ray.wait(list(self._refs), num_returns=1, timeout=timeout)
        done: list[tuple[Task, Line]] = []
        for ref in ready:
            task = self._refs.pop(ref)
            try:
                done.append((task, self._ray.get(ref)))
            except Exception as e:  # retries exhausted: the worker kept dying
                _remove_checkout(self.work_root, task)
                message = f"ray task failed: {type(e).__name__}: {' '.join(str(e).split())[:500]}"
                done.append((task, _line(task, STATUS_FAILED, message)))
        return done

    def interrupt(self, deadline: float = 30.0) -> list[tuple[Task, Line]]:
        # ray.cancel raises KeyboardInterrupt in the running task: run_task records it as
        # interrupted and removes its checkout, like a local worker's SIGINT.
        for ref in self._refs:
            self._ray.cancel(ref)
        done: list[tuple[Task, Line]] = []
        import time

        end = time.monotonic() + deadline
        while self._refs and time.monotonic() < end:
            ready, _ = self._ray.wait(list(self._refs), num_returns=1, timeout=1.0)
            for ref in ready:
                task = self._refs.pop(ref)
                try:
                    done.append((task, self._ray.get(ref)))
                except Exception:
                    if not self.keep:
                        _remove_checkout(self.work_root, task)
                    done.append((task, _line(task, STATUS_INTERRUPTED, "interrupted")))
        for ref, task in list(self._refs.items()):
            self._ray.cancel(ref, force=True)
            if not self.keep:
                _remove_checkout(self.work_root, task)
            done.append((task, _line(task, STATUS_INTERRUPTED, "interrupted")))
        self._refs.clear()
        return done

    def close(self) -> None:
        self._refs.clear()
