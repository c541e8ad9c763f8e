"""Many runs: batch throughput against sequential ``agentrun -p``, Ray against local workers;
with the rows against Claude Code's CLI (:mod:`peer_pairs`), the pairs of ``bench/run``'s batch
group."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import peer_pairs
from batchkit import GIT, agentrun_bin, bench_env, side, skipped
from harness import Outcome


def _setup(n: int) -> tuple[Path, Path, list[dict[str, Any]]]:
    """A repository and ``n`` scripted tasks, each writing one file then answering."""
    root = Path(tempfile.mkdtemp(prefix="agentrun-bench-batch-"))
    repo = root / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "app.py").write_text("X = 1\n")
    subprocess.run([*GIT, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-qm", "init"], check=True)
    tasks = []
    for i in range(n):
        script = root / f"s{i}.json"
        turns = [
            {
                "tool_calls": [
                    {"name": "Write", "input": {"file_path": f"f{i}.txt", "content": "x\n"}}
                ]
            },
            {"text": f"done {i}"},
        ]
        script.write_text(json.dumps({"turns": turns}))
        tasks.append(
            {
                "id": f"t{i}",
                "prompt": f"task {i}",
                "repo": str(repo),
                "model": f"script:{script}",
                "permission_mode": "acceptEdits",
            }
        )
    (root / "home").mkdir()
    return root, repo, tasks


def _run_batch(root: Path, tasks: list[dict[str, Any]], *extra: str) -> float:
    file = root / "tasks.jsonl"
    file.write_text("".join(json.dumps(t) + "\n" for t in tasks))
    out = root / f"out-{time.monotonic_ns()}.jsonl"
    argv = [agentrun_bin(), "batch", str(file), "--out", str(out), "--progress", "plain", *extra]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, env=bench_env(root / "home"), check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace")[-1500:])
    return took


def _run_sequential(root: Path, repo: Path, tasks: list[dict[str, Any]]) -> float:
    """What a script does today: per task a worktree, one ``agentrun -p``, the worktree gone."""
    start = time.perf_counter()
    for task in tasks:
        wt = root / "wt" / task["id"]
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "add", "-q", "--detach", str(wt)], check=True
        )
        argv = [
            agentrun_bin(),
            "-p",
            task["prompt"],
            "--model",
            task["model"],
            "--cwd",
            str(wt),
            "--permission-mode",
            "acceptEdits",
            "--output-format",
            "json",
        ]
        done = subprocess.run(argv, capture_output=True, env=bench_env(root / "home"), check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.decode(errors="replace")[-1500:])
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "remove", "--force", str(wt)], check=True
        )
    return time.perf_counter() - start


def batch_throughput(*, quick: bool, rounds: int) -> Outcome:
    n = 6 if quick else 50
    root, repo, tasks = _setup(n)
    try:
        ours = _run_batch(root, tasks, "--workers", "2")
        base = _run_sequential(root, repo, tasks)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ratio = ours / base
    return Outcome(
        f"{n} scripted tasks: agentrun batch --workers 2  vs  {n} sequential agentrun -p",
        side("batch, 2 workers", ours),
        side("sequential -p", base),
        "<= 0.333x (>= 3x throughput)",
        ratio <= 1 / 3,
        ratio,
        note=f"throughput {base / ours:.1f}x",
        rounds=1,
    )


def batch_ray(*, quick: bool, rounds: int) -> Outcome:
    n = 6 if quick else 50
    name = f"{n} scripted tasks: --backend ray (local, 2 CPUs)  vs  local workers"
    try:
        import ray  # noqa: F401
    except ImportError:
        return skipped(name, "ray is not installed (pip install 'agentrun[ray]')")
    root, _, tasks = _setup(n)
    try:
        ours = _run_batch(root, tasks, "--workers", "2", "--backend", "ray")
        base = _run_batch(root, tasks, "--workers", "2")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return Outcome(
        name,
        side("ray", ours),
        side("local", base),
        "report",
        True,
        ours / base,
        note="includes ray.init (a local cluster start)",
        rounds=1,
    )


PAIRS: list[tuple[str, Callable[..., Outcome]]] = [
    ("batch-throughput", batch_throughput),
    ("batch-ray", batch_ray),
    ("ttfr-claude", peer_pairs.ttfr),
    ("batch-session-x20", peer_pairs.session_x20),
    ("interactive-prompt", peer_pairs.interactive_prompt),
]
