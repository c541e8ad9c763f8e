"""The same batch on a local Ray (``ray.init(num_cpus=2)``), a worker killed mid-task included."""

from __future__ import annotations

import os
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from batchkit import (
    ancestor,
    apply_patch,
    call,
    cmdline,
    make_repo,
    pids_running,
    read_results,
    script,
    wait_for,
    worktrees,
    write_tasks,
    write_then_sleep,
)

import agentrun

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Ray's own files (sockets, logs) in a private temp dir; its workers inherit this
    # process's private HOME and AGENTRUN_HOME at start.
    home = tmp_path_factory.mktemp("rayhome")
    ray_tmp = Path("/tmp") / f"ray-{os.getpid()}"
    saved = {k: os.environ.get(k) for k in ("HOME", "AGENTRUN_HOME")}
    os.environ["HOME"], os.environ["AGENTRUN_HOME"] = str(home), str(home / ".agentrun")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        _temp_dir=str(ray_tmp),
        runtime_env={"env_vars": {"HOME": str(home), "AGENTRUN_HOME": str(home / ".agentrun")}},
    )
    try:
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(ray_tmp, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_the_batch_on_local_ray_gives_the_same_results(tmp_path: Path, local_ray: None) -> None:
    repos = [make_repo(tmp_path / f"r{n}", {"a.txt": f"{n}\n"}) for n in range(3)]
    tasks = []
    for n in range(6):
        model = script(
            tmp_path / f"s{n}.json",
            [call("Write", file_path=f"f{n}.txt", content=f"{n}\n"), {"text": f"done {n}"}],
        )
        tasks.append({"id": f"r{n}", "prompt": "p", "repo": str(repos[n % 3]), "model": model})
    out = tmp_path / "out.jsonl"
    file = write_tasks(tmp_path / "t.jsonl", tasks, {"permission_mode": "acceptEdits"})
    lines = list(agentrun.batch(file, workers=2, backend="ray", out=out))
    assert sorted(line["id"] for line in read_results(out)) == [f"r{n}" for n in range(6)]
    for line in lines:
        n = int(line["id"][1:])
        assert line["status"] == "success" and line["result"] == f"done {n}"
        clone = tmp_path / "check" / line["id"]
        apply_patch(repos[n % 3], line["patch"], clone)
        assert (clone / f"f{n}.txt").read_text() == f"{n}\n"
    assert len({line["worker_pid"] for line in lines}) <= 2  # Ray reuses its two workers
    for repo in repos:
        assert worktrees(repo) == [str(repo)]


def test_a_ray_worker_killed_mid_task_is_retried_in_a_fresh_worktree(
    tmp_path: Path, local_ray: None
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    model = write_then_sleep(tmp_path / "slow.json", "2.8642")
    file = write_tasks(
        tmp_path / "t.jsonl",
        [{"id": "slow", "prompt": "p", "repo": str(repo), "model": model}],
        {"permission_mode": "bypassPermissions"},
    )
    killed: list[int] = []

    def kill_worker() -> None:
        sleep = wait_for(lambda: pids_running("sleep 2.8642"), "the task's sleep")[0]
        worker = ancestor(sleep, lambda pid: cmdline(pid).startswith("ray::"))
        assert worker is not None, "no Ray worker above the jailed command"
        killed.append(worker)
        os.kill(worker, signal.SIGKILL)

    killer = threading.Thread(target=kill_worker)
    killer.start()
    lines = list(agentrun.batch(file, workers=1, backend="ray", out=tmp_path / "out.jsonl"))
    killer.join()
    assert killed
    assert len(lines) == 1 and lines[0]["status"] == "success", lines
    assert lines[0]["worker_pid"] != killed[0]
    assert lines[0]["patch_stats"]["files"] == 1
    assert worktrees(repo) == [str(repo)]
