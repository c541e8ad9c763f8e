"""``agentrun batch`` as a process: killed mid-way then resumed, and stopped with Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from batchkit import make_repo, pids_running, read_results, script, wait_for, worktrees, write_tasks


def _batch(tmp_path: Path, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentrun", "batch", *argv],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_batch_killed_mid_way_resumes_without_losing_or_repeating_a_task(tmp_path: Path) -> None:
    repos = [make_repo(tmp_path / f"r{n}", {"a.txt": f"{n}\n"}) for n in range(2)]
    tasks = []
    for n in range(8):
        model = script(
            tmp_path / f"s{n}.json",
            [
                {
                    "tool_calls": [
                        {"name": "Write", "input": {"file_path": f"f{n}.txt", "content": "x\n"}}
                    ]
                },
                {"tool_calls": [{"name": "Bash", "input": {"command": f"sleep 0.{n + 3}1357"}}]},
                {"text": f"done {n}"},
            ],
        )
        tasks.append({"id": f"k{n}", "prompt": "p", "repo": str(repos[n % 2]), "model": model})
    file = write_tasks(tmp_path / "t.jsonl", tasks, {"permission_mode": "bypassPermissions"})
    out = tmp_path / "out.jsonl"
    first = _batch(tmp_path, str(file), "--workers", "2", "--out", str(out))
    wait_for(lambda: len(read_results(out)) >= 3 or first.poll() is not None, "three results")
    first.kill()  # SIGKILL: no cleanup of any kind runs in the batch
    first.communicate(timeout=60)
    recorded = {line["id"] for line in read_results(out)}
    assert 3 <= len(recorded) < 8, "the batch must be killed mid-way for this test to mean anything"
    # the workers die with the batch: none goes on running a task nobody will record
    wait_for(
        lambda: not any(pids_running(f"sleep 0.{n + 3}1357") for n in range(8)), "orphans gone"
    )
    second = _batch(tmp_path, str(file), "--workers", "2", "--out", str(out))
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    lines = read_results(out)
    ids = [line["id"] for line in lines]
    assert sorted(ids) == sorted(f"k{n}" for n in range(8))  # each once: none lost, none twice
    assert all(line["status"] == "success" for line in lines)
    assert f"{len(recorded)} already done" in err
    for repo in repos:  # leftovers of the killed run were replaced, then removed
        assert worktrees(repo) == [str(repo)]


def test_ctrl_c_records_running_tasks_as_interrupted_and_leaves_no_worktree_or_jail(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    sleeper = script(
        tmp_path / "sleep.json",
        [
            {"tool_calls": [{"name": "Bash", "input": {"command": "sleep 97.531"}}]},
            {"text": "woke"},
        ],
    )
    tasks = [{"id": f"s{n}", "prompt": "p", "repo": str(repo), "model": sleeper} for n in range(4)]
    file = write_tasks(tmp_path / "t.jsonl", tasks, {"permission_mode": "bypassPermissions"})
    out = tmp_path / "out.jsonl"
    proc = _batch(tmp_path, str(file), "--workers", "2", "--out", str(out))
    wait_for(lambda: len(pids_running("sleep 97.531")) == 2, "both tasks sleeping")
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    lines = read_results(out)
    assert sorted(line["status"] for line in lines) == ["interrupted", "interrupted"], lines
    assert "2 not started" in err
    assert worktrees(repo) == [str(repo)]
    assert not (tmp_path / "out.jsonl.worktrees").exists()
    wait_for(lambda: not pids_running("sleep 97.531"), "the jailed commands stopped", 30)
    # interrupted tasks are not finished: the next run does all four
    again = _batch(tmp_path, str(file), "--workers", "2", "--out", str(out), "--timeout", "60")
    wait_for(lambda: len(pids_running("sleep 97.531")) == 2, "rerun sleeping")
    os.kill(again.pid, signal.SIGINT)
    again.communicate(timeout=120)
    assert len(read_results(out)) == 4
