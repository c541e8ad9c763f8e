"""Against Claude Code's CLI: time to first request, a 9-turn session run 20 times (batch against
``claude -p``), and interactive time to prompt.

The Claude Code rows need its native CLI (bundled in the ``claude-agent-sdk`` wheel; set
``AGENTRUN_BENCH_CLAUDE`` to the binary, or install the wheel): without it they are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from batchkit import GIT, agentrun_bin, bench_env, side, skipped
from harness import Outcome, Side


def _claude() -> str | None:
    given = os.environ.get("AGENTRUN_BENCH_CLAUDE")
    if given:
        return given if Path(given).is_file() else None
    try:
        import claude_agent_sdk  # type: ignore[import-not-found]
    except ImportError:
        return None
    binary = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
    return str(binary) if binary.is_file() else None


def _first_request(argv: list[str], cwd: Path, env: dict[str, str], server: Any) -> float:
    before = len(server.requests)
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    first = None
    while proc.poll() is None or first is None:
        if first is None and len(server.requests) > before:
            first = time.perf_counter() - start
        if proc.poll() is not None and first is None:
            raise RuntimeError(f"{argv[0]} ended without a request (exit {proc.returncode})")
        time.sleep(0.001)
    return first


def _peer_env(home: Path, url: str) -> dict[str, str]:
    return bench_env(
        home,
        ANTHROPIC_BASE_URL=url,
        ANTHROPIC_API_KEY="sk-ant-fake",
        ANTHROPIC_MODEL="claude-sonnet-5-5",
        IS_SANDBOX="1",
        DISABLE_TELEMETRY="1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_AUTOUPDATER="1",
        DISABLE_ERROR_REPORTING="1",
    )


def _peer_workspace() -> tuple[Path, Path]:
    root = Path(tempfile.mkdtemp(prefix="agentrun-bench-peer-"))
    ws = root / "ws"
    (ws / ".claude" / "agents").mkdir(parents=True)
    seed = Path(__file__).resolve().parents[1] / "agents" / "backend-specialist.md"
    if seed.is_file():
        shutil.copy(seed, ws / ".claude" / "agents")
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    (root / "home").mkdir()
    return root, ws


def ttfr(*, quick: bool, rounds: int) -> Outcome:
    name = "-p time to first request  vs  Claude Code's CLI"
    claude = _claude()
    if claude is None:
        return skipped(
            name, "Claude Code's CLI not found (AGENTRUN_BENCH_CLAUDE or claude-agent-sdk)"
        )
    from agentrun.testing.fake_server import FakeAnthropicServer

    root, ws = _peer_workspace()
    reply = {"content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}
    ours: list[float] = []
    base: list[float] = []
    try:
        with FakeAnthropicServer(validate=False) as server:
            env = _peer_env(root / "home", server.url)
            for _ in range(max(3, rounds)):
                for binary, sink in ((agentrun_bin(), ours), (claude, base)):
                    server.add(reply)
                    sink.append(
                        _first_request(
                            [binary, "-p", "hi", "--output-format", "json"], ws, env, server
                        )
                    )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    o, b = sorted(ours)[len(ours) // 2], sorted(base)[len(base) // 2]
    return Outcome(
        name,
        side("agentrun -p", o, "ms"),
        side("claude -p", b, "ms"),
        "report",
        True,
        o / b,
        rounds=len(ours),
    )


def interactive_prompt(*, quick: bool, rounds: int) -> Outcome:
    """Process start to the prompt on a terminal, a real model configured (its SDK not needed
    before the first send)."""
    try:
        import pexpect
    except ImportError:
        return skipped("interactive time to prompt", "pexpect is not installed")
    home = Path(tempfile.mkdtemp(prefix="agentrun-bench-tty-"))
    env = bench_env(home, ANTHROPIC_API_KEY="sk-ant-fake", ANTHROPIC_BASE_URL="http://127.0.0.1:9")
    times: list[float] = []
    try:
        for _ in range(max(5, rounds)):
            start = time.perf_counter()
            child = pexpect.spawn(
                agentrun_bin(), [], env=env, cwd=str(home), encoding="utf-8", timeout=30
            )
            child.expect("\u276f")
            times.append(time.perf_counter() - start)
            child.sendeof()
            child.expect(pexpect.EOF)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    median = sorted(times)[len(times) // 2] * 1000
    return Outcome(
        "interactive: start to prompt (real model configured)",
        Side("agentrun", median, min(times) * 1000, max(times) * 1000),
        None,
        "< 200 ms",
        median < 200,
        None,
        rounds=len(times),
    )


def _peer_session_model(workdirs: Path) -> Any:
    """Claude Code's peer 9-turn session (``/work/shared/peer``-style script, here inline): the
    turn is the number of assistant messages so far, ``WS`` the workspace named in the request
    (each run has its own under ``workdirs``), so extra requests of either CLI take no turn."""
    import re

    from agentrun.models.function import FunctionModel

    pattern = re.compile(re.escape(str(workdirs)) + r"/[A-Za-z0-9._-]+")

    def answer(request: Any) -> dict[str, Any]:
        turn = sum(1 for m in request.messages if m.get("role") == "assistant")
        found = pattern.search(json.dumps([request.system, request.messages], default=str))
        ws = found.group(0) if found else str(workdirs)
        if turn >= len(PEER_TURNS):
            return {"content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn"}
        blocks, stop = PEER_TURNS[turn]
        text = json.dumps(blocks).replace("WS", ws).replace("toolu_", f"toolu_{turn}_")
        return {"content": json.loads(text), "stop_reason": stop}

    return FunctionModel(answer)


PEER_TURNS: list[tuple[list[dict[str, Any]], str]] = [
    (
        [
            {"type": "text", "text": "Reading."},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "Read",
                "input": {"file_path": "WS/app/server.py"},
            },
        ],
        "tool_use",
    ),
    (
        [
            {
                "type": "tool_use",
                "id": "toolu_2",
                "name": "Grep",
                "input": {"pattern": "handle_", "path": "WS", "output_mode": "content"},
            }
        ],
        "tool_use",
    ),
    (
        [{"type": "tool_use", "id": "toolu_3", "name": "Glob", "input": {"pattern": "**/*.py"}}],
        "tool_use",
    ),
    (
        [
            {
                "type": "tool_use",
                "id": "toolu_4",
                "name": "Bash",
                "input": {"command": "echo hi; exit 3"},
            }
        ],
        "tool_use",
    ),
    (
        [
            {
                "type": "tool_use",
                "id": "toolu_5",
                "name": "Read",
                "input": {"file_path": "WS/crlf.txt"},
            }
        ],
        "tool_use",
    ),
    (
        [
            {
                "type": "tool_use",
                "id": "toolu_6",
                "name": "Edit",
                "input": {"file_path": "WS/crlf.txt", "old_string": "b", "new_string": "B"},
            }
        ],
        "tool_use",
    ),
    (
        [
            {
                "type": "tool_use",
                "id": "toolu_7",
                "name": "Edit",
                "input": {
                    "file_path": "WS/app/server.py",
                    "old_string": "nothere",
                    "new_string": "x",
                },
            }
        ],
        "tool_use",
    ),
    ([{"type": "tool_use", "id": "toolu_8", "name": "Read", "input": {}}], "tool_use"),
    ([{"type": "text", "text": "All done."}], "end_turn"),
]


def session_x20(*, quick: bool, rounds: int) -> Outcome:
    runs = 3 if quick else 20
    name = f"9-turn session x{runs}: batch tasks on 1 worker  vs  {runs} runs of Claude Code's CLI"
    claude = _claude()
    if claude is None:
        return skipped(
            name, "Claude Code's CLI not found (AGENTRUN_BENCH_CLAUDE or claude-agent-sdk)"
        )
    from agentrun.testing.fake_server import FakeAnthropicServer

    root, seed = _peer_workspace()
    (seed / "app").mkdir()
    (seed / "app" / "server.py").write_text("def handle_get():\n    return 1\n")
    (seed / "crlf.txt").write_text("a\r\nb\r\n")
    subprocess.run([*GIT, "-C", str(seed), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(seed), "commit", "-qm", "init"], check=True)
    workdirs = root / "w"
    workdirs.mkdir()
    try:
        with FakeAnthropicServer(model=_peer_session_model(workdirs), validate=False) as server:
            env = _peer_env(root / "home", server.url)
            tasks = root / "tasks.jsonl"
            tasks.write_text(
                "".join(
                    json.dumps(
                        {
                            "id": f"s{i}",
                            "prompt": "go",
                            "repo": str(seed),
                            "agent": "backend-specialist",
                            "permission_mode": "bypassPermissions",
                        }
                    )
                    + "\n"
                    for i in range(runs)
                )
            )
            argv = [
                agentrun_bin(),
                "batch",
                str(tasks),
                "--workers",
                "1",
                "--progress",
                "plain",
                "--out",
                str(root / "out.jsonl"),
                "--work-dir",
                str(workdirs),
            ]
            start = time.perf_counter()
            done = subprocess.run(argv, env=env, capture_output=True, check=False)
            ours = time.perf_counter() - start
            ours_requests = len(server.requests)
            if done.returncode != 0:
                raise RuntimeError(done.stderr.decode(errors="replace")[-1500:])
            copies = []
            for i in range(runs):  # each run its own copy, made outside the timing
                copy = workdirs / f"cc{i}"
                shutil.copytree(seed, copy, symlinks=True)
                copies.append(copy)
            start = time.perf_counter()
            for copy in copies:
                subprocess.run(
                    [
                        claude,
                        "-p",
                        "go",
                        "--agent",
                        "backend-specialist",
                        "--permission-mode",
                        "bypassPermissions",
                        "--output-format",
                        "json",
                    ],
                    cwd=copy,
                    env=env,
                    capture_output=True,
                    check=False,
                )
            base = time.perf_counter() - start
            base_requests = len(server.requests) - ours_requests
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ratio = ours / base
    return Outcome(
        name,
        side("agentrun batch", ours),
        side("claude -p", base),
        "<= 0.5x",
        ratio <= 0.5,
        ratio,
        note=f"API requests: agentrun {ours_requests}, claude {base_requests}",
        rounds=1,
    )
