"""Helpers for the batch tests: real git repositories, scripted models written as files, and
finding the processes a running task started (real /proc, no mocks)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def make_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    subprocess.run([*GIT, "-C", str(path), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(path), "commit", "-qm", "init"], check=True)
    return path


def script(path: Path, turns: list[dict[str, Any]], **top: Any) -> str:
    path.write_text(json.dumps({"turns": turns, **top}))
    return f"script:{path}"


def call(tool: str, **tool_input: Any) -> dict[str, Any]:
    """A scripted turn that calls ``tool`` once with ``tool_input``."""
    return {"tool_calls": [{"name": tool, "input": tool_input}]}


def write_then_sleep(path: Path, seconds: str) -> str:
    """A script that writes ``b.txt``, then runs ``sleep SECONDS`` (a length no other test
    uses, so :func:`pids_running` finds this one), then answers "slept"."""
    turns = [
        call("Write", file_path="b.txt", content="b\n"),
        call("Bash", command=f"sleep {seconds}"),
    ]
    return script(path, [*turns, {"text": "slept"}])


def write_tasks(
    path: Path, tasks: list[dict[str, Any]], defaults: dict[str, Any] | None = None
) -> Path:
    lines = [json.dumps({"defaults": defaults})] if defaults else []
    lines += [json.dumps(t) for t in tasks]
    path.write_text("\n".join(lines) + "\n")
    return path


def read_results(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for(check: Callable[[], Any], what: str, deadline: float = 120.0) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def pids_running(argv_tail: str) -> list[int]:
    """Processes whose command line ends with ``argv_tail`` (a marker argument)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in cmdline if a]
        if args and " ".join(args).endswith(argv_tail):
            found.append(int(entry))
    return found


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def ancestor(pid: int, test: Callable[[int], bool]) -> int | None:
    """The nearest ancestor of ``pid`` (itself included) for which ``test`` holds."""
    while pid > 1:
        if test(pid):
            return pid
        try:
            pid = parent_of(pid)
        except OSError:
            return None
    return None


def cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def worktrees(repo: Path) -> list[str]:
    done = subprocess.run(
        ["git", "-C", str(repo), "worktree", "list", "--porcelain"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        line.split(" ", 1)[1] for line in done.stdout.splitlines() if line.startswith("worktree ")
    ]


def apply_patch(repo: Path, patch: str, into: Path) -> None:
    """Apply a result's patch to a fresh clone: the patch must reproduce the change exactly."""
    subprocess.run(["git", "clone", "-q", str(repo), str(into)], check=True)
    subprocess.run(
        ["git", "-C", str(into), "apply", "--binary", "-"],
        input=patch.encode("utf-8", "surrogateescape"),
        check=True,
    )
