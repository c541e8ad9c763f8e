"""``agentrun.batch`` on local workers: real repositories, real worktrees, real jails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from batchkit import (
    ancestor,
    apply_patch,
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
from agentrun.batch.engine import Progress
from agentrun.batch.tasks import Task, load_tasks


def _repos(tmp_path: Path) -> list[Path]:
    return [
        make_repo(tmp_path / f"repo{n}", {"app.py": f"X = {n}\n", "README": f"repo {n}\n"})
        for n in range(3)
    ]


def _edit_task(tmp_path: Path, repo: Path, n: int) -> dict[str, Any]:
    """Task n: edits app.py, adds a text file and a binary file (bytes no text patch survives)."""
    binary = bytes(range(256)) + f"{n}".encode()
    hexed = "".join(f"\\x{b:02x}" for b in binary[:8])
    turns = [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "app.py"}}]},
        {
            "tool_calls": [
                {
                    "name": "Edit",
                    "input": {
                        "file_path": "app.py",
                        "old_string": "X = ",
                        "new_string": f"Y = {n}\nX = ",
                    },
                },
                {
                    "name": "Write",
                    "input": {"file_path": f"notes/t{n}.txt", "content": f"task {n}\n"},
                },
            ]
        },
        {"tool_calls": [{"name": "Bash", "input": {"command": f"printf '{hexed}' > blob{n}.bin"}}]}
        if n % 5 == 0
        else {"text": "next"},
        {"text": f"done {n}"},
    ]
    if n % 5 != 0:
        turns = [turns[0], turns[1], turns[3]]
    return {
        "id": f"t{n:02d}",
        "prompt": f"task {n}",
        "repo": str(repo),
        "model": script(tmp_path / f"s{n}.json", turns),
        "permission_mode": "bypassPermissions",
    }


def test_twenty_tasks_over_three_repositories_each_patch_reproduces_its_change(
    tmp_path: Path,
) -> None:
    repos = _repos(tmp_path)
    tasks = [_edit_task(tmp_path, repos[n % 3], n) for n in range(20)]
    out = tmp_path / "results.jsonl"
    seen = list(agentrun.batch(write_tasks(tmp_path / "tasks.jsonl", tasks), workers=2, out=out))
    lines = read_results(out)
    assert sorted(line["id"] for line in lines) == [f"t{n:02d}" for n in range(20)]
    assert [line["id"] for line in seen] == [line["id"] for line in lines]  # yielded as recorded
    pids = {line["worker_pid"] for line in lines}
    assert len(pids) == 2  # two processes ran all twenty: no interpreter per task
    for line in lines:
        n = int(line["id"][1:])
        assert line["status"] == "success", line
        assert line["result"] == f"done {n}"
        assert line["num_turns"] == (4 if n % 5 == 0 else 3)
        assert Path(line["transcript"]).is_file()
        assert set(line) >= {
            "subtype",
            "usage",
            "total_cost_usd",
            "duration_ms",
            "session_id",
            "patch",
        }
        clone = tmp_path / "check" / line["id"]
        apply_patch(repos[n % 3], line["patch"], clone)
        assert (clone / "app.py").read_text() == f"Y = {n}\nX = {n % 3}\n"
        assert (clone / f"notes/t{n}.txt").read_text() == f"task {n}\n"
        if n % 5 == 0:
            assert (clone / f"blob{n}.bin").read_bytes() == bytes(range(8))
            assert line["patch_stats"] == {
                "files": 3,
                "insertions": 2,
                "deletions": 0,
                "binary_files": 1,
            }
        else:
            assert line["patch_stats"]["files"] == 2
    for repo in repos:  # every worktree removed, and git's record of it
        assert worktrees(repo) == [str(repo)]
    assert not (tmp_path / "results.jsonl.worktrees").exists()


def test_a_failing_task_does_not_stop_the_others_and_a_rerun_skips_finished_ids(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    good = script(tmp_path / "good.json", [{"text": "fine"}])
    bad = script(
        tmp_path / "bad.json",
        [
            {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
            {"expect": [{"contains": "not in the file"}], "text": "x"},
        ],
    )
    tasks = [
        {"id": "ok1", "prompt": "p", "repo": str(repo), "model": good},
        {"id": "broken", "prompt": "p", "repo": str(repo), "model": bad},
        {"id": "ok2", "prompt": "p", "repo": str(repo), "model": good},
    ]
    file = write_tasks(tmp_path / "tasks.jsonl", tasks)
    out = tmp_path / "out.jsonl"
    lines = {line["id"]: line for line in agentrun.batch(file, workers=2, out=out)}
    assert lines["ok1"]["status"] == lines["ok2"]["status"] == "success"
    assert lines["broken"]["status"] == "failed"
    assert lines["broken"]["subtype"] == "error_during_execution"
    assert list(agentrun.batch(file, workers=2, out=out)) == []  # all finished: nothing reruns
    again = list(agentrun.batch(file, workers=1, out=out, retry_failed=True))
    assert [line["id"] for line in again] == ["broken"]
    assert len(read_results(out)) == 4


def test_the_budget_stops_starting_tasks(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    costly = script(
        tmp_path / "cost.json",
        [{"text": "spent", "usage": {"input_tokens": 1_000_000, "output_tokens": 0}}],
    )
    tasks = [{"id": f"c{n}", "prompt": "p", "repo": str(repo), "model": costly} for n in range(5)]
    seen: list[Progress] = []
    lines = list(
        agentrun.batch(
            write_tasks(tmp_path / "t.jsonl", tasks),
            workers=1,
            max_budget_usd=0.5,
            on_progress=lambda progress, line: seen.append(progress),
        )
    )
    assert len(lines) == 1  # the first task alone spent more than the batch's budget
    assert lines[0]["total_cost_usd"] > 0.5
    assert seen[-1].budget_stopped and seen[-1].not_started == 4


def test_a_worker_killed_mid_task_is_replaced_and_the_task_rerun_from_scratch(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    slow = write_then_sleep(tmp_path / "slow.json", "2.4681")
    tasks = [
        {
            "id": "slow",
            "prompt": "p",
            "repo": str(repo),
            "model": slow,
            "permission_mode": "bypassPermissions",
        }
    ]
    results = agentrun.batch(write_tasks(tmp_path / "t.jsonl", tasks), workers=1)
    me = os.getpid()
    killed: list[int] = []

    import threading

    def kill_worker() -> None:
        sleep = wait_for(lambda: pids_running("sleep 2.4681"), "the task's sleep")[0]
        worker = ancestor(sleep, lambda pid: _parent(pid) == me)
        assert worker is not None
        killed.append(worker)
        os.kill(worker, signal.SIGKILL)

    killer = threading.Thread(target=kill_worker)
    killer.start()
    lines = list(results)
    killer.join()
    assert len(lines) == 1 and lines[0]["status"] == "success", lines
    assert lines[0]["worker_pid"] != killed[0]
    assert lines[0]["patch_stats"]["files"] == 1  # a fresh checkout: b.txt once, nothing doubled
    assert worktrees(repo) == [str(repo)]


def _parent(pid: int) -> int:
    from batchkit import parent_of

    try:
        return parent_of(pid)
    except OSError:
        return -1


def test_a_plain_directory_is_copied_and_the_original_left_alone(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "f.txt").write_text("one\n")
    model = script(
        tmp_path / "s.json",
        [
            {"tool_calls": [{"name": "Read", "input": {"file_path": "f.txt"}}]},
            {
                "tool_calls": [
                    {
                        "name": "Edit",
                        "input": {"file_path": "f.txt", "old_string": "one", "new_string": "two"},
                    }
                ]
            },
            {"text": "ok"},
        ],
    )
    tasks = [
        Task(
            id="w", prompt="p", workspace=str(workspace), model=model, permission_mode="acceptEdits"
        )
    ]
    [line] = agentrun.batch(tasks, workers=1)
    assert line["status"] == "success"
    assert "-one\n+two\n" in line["patch"]
    assert (workspace / "f.txt").read_text() == "one\n"
    assert not (workspace / ".git").exists()


def test_mappings_are_validated_like_a_task_file(tmp_path: Path) -> None:
    with pytest.raises(agentrun.ConfigError, match=r"nope: .* does not exist"):
        list(agentrun.batch([{"id": "nope", "prompt": "p", "repo": str(tmp_path / "missing")}]))


def test_task_file_yaml_with_defaults(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    (tmp_path / "s.yaml").write_text("turns:\n  - text: hi\n")
    (tmp_path / "tasks.yaml").write_text(
        "defaults: {model: 'script:s.yaml', repo: repo, max_turns: 3}\n"
        "tasks:\n  - {id: a, prompt: one}\n  - {id: b, prompt: two, ref: HEAD}\n"
    )
    tasks = load_tasks(tmp_path / "tasks.yaml")
    assert [t.id for t in tasks] == ["a", "b"]
    assert tasks[0].repo == str(repo) and tasks[0].max_turns == 3
    assert tasks[0].model == f"script:{tmp_path / 's.yaml'}"


def test_check_reports_every_bad_task_by_id_and_runs_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    (tmp_path / "s.yaml").write_text("turns:\n  - text: hi\n")
    file = write_tasks(
        tmp_path / "bad.jsonl",
        [
            {"id": "fine", "prompt": "p", "repo": "repo", "model": "script:s.yaml"},
            {"id": "norepo", "prompt": "p", "repo": "missing"},
            {"id": "noagent", "prompt": "p", "repo": "repo", "agent": "nobody"},
            {"id": "noprompt", "repo": "repo"},
            {"id": "badref", "prompt": "p", "repo": "repo", "ref": "no-such-branch"},
            {"id": "both", "prompt": "p", "repo": "repo", "workspace": "repo"},
            {"id": "fine", "prompt": "again", "repo": "repo"},
            {"id": "typo", "prompt": "p", "repo": "repo", "max_turn": 3},
            {"id": "turns", "prompt": "p", "repo": "repo", "max_turns": "many"},
        ],
    )
    (tmp_path / "bad.jsonl").write_text(file.read_text() + "{not json\n")
    out = tmp_path / "out.jsonl"
    for argv in (["batch", "--check", str(file)], ["batch", str(file), "--out", str(out)]):
        done = subprocess.run(
            [sys.executable, "-m", "agentrun", *argv],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        for expected in (
            "norepo: repository",
            "noagent: no agent named 'nobody'",
            "noprompt: missing or empty 'prompt'",
            "badref: ",
            "both: give exactly one of",
            "fine: duplicate id",
            "typo: unknown field(s) max_turn",
            "turns: 'max_turns' must be a positive number",
            "line 10: not JSON",
        ):
            assert expected in done.stderr, (expected, done.stderr)
        assert "fine: " not in done.stderr.replace("fine: duplicate id", "")
    assert not out.exists()
    assert worktrees(repo) == [str(repo)]
    good = write_tasks(tmp_path / "good.jsonl", [{"id": "a", "prompt": "p", "repo": "repo"}])
    done = subprocess.run(
        [sys.executable, "-m", "agentrun", "batch", "--check", str(good)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "1 task(s) OK" in done.stdout
