"""Crash safety: SIGKILL the runtime mid tool call, then --resume carries on correctly.

The runtime is a real ``agentrun`` subprocess talking to the fake Messages API through the real
SDK, with a real API key in its environment; the tool call is a Bash ``sleep`` in the jail.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agentrun.session.store import INTERRUPTED_RESULT
from agentrun.testing.fake_server import FakeAnthropicServer

KEY = "sk-ant-api03-crash-test-" + "k" * 40


def agentrun(env: dict[str, str], *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agentrun", *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_mid_tool_then_resume(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    home = tmp_path / "home"
    bash = {
        "type": "tool_use",
        "id": "toolu_sleep",
        "name": "Bash",
        "input": {"command": "echo started > started.txt && sleep 60"},
    }
    with FakeAnthropicServer(
        [
            {"content": [{"type": "text", "text": "Starting."}, bash]},
            {"content": [{"type": "text", "text": "Recovered."}]},
        ]
    ) as server:
        env = {
            **os.environ,
            "AGENTRUN_HOME": str(home),
            "ANTHROPIC_API_KEY": KEY,
            "ANTHROPIC_BASE_URL": server.url,
        }
        env.pop("ANTHROPIC_MODEL", None)
        common = [
            "--cwd",
            str(ws),
            "--output-format",
            "stream-json",
            "--permission-mode",
            "bypassPermissions",
        ]
        proc = agentrun(env, "-p", "Run the long job", *common)
        try:
            assert proc.stdout is not None
            init = json.loads(proc.stdout.readline())
            session_id = init["session_id"]
            wait_for(ws / "started.txt")  # the tool is running now
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            proc.kill()
            proc.wait()
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.close()
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL

        transcript = home / "sessions" / f"{session_id}.jsonl"
        before = transcript.read_text().splitlines()
        entries = [json.loads(line) for line in before]
        assert [e["type"] for e in entries] == ["session", "message", "message"]
        assert entries[2]["message"]["content"][1]["id"] == "toolu_sleep"

        resumed = agentrun(env, "-p", "Carry on", "--resume", session_id, *common)
        out, err = resumed.communicate(timeout=60)
        assert resumed.returncode == 0, err
        result = json.loads(out.splitlines()[-1])
        assert (result["subtype"], result["result"], result["session_id"]) == (
            "success",
            "Recovered.",
            session_id,
        )
        messages = server.requests[-1].body["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant", "user"]
        tool_result, prompt = messages[2]["content"][:2]
        assert (tool_result["tool_use_id"], tool_result["is_error"]) == ("toolu_sleep", True)
        assert tool_result["content"] == INTERRUPTED_RESULT
        assert prompt["text"] == "Carry on"

    after = transcript.read_text().splitlines()
    assert after[: len(before)] == before  # append-only: nothing rewritten
    assert json.loads(after[-1])["subtype"] == "success"
    leaked: list[Any] = [
        p for p in home.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()
    ]
    assert leaked == []


def running_commands(token: str) -> list[str]:
    """Command lines of live processes that mention ``token``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if token in text and "pytest" not in text:
            found.append(text)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_an_interrupt_mid_tool_kills_it_and_the_session_resumes(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Ctrl-C, and SIGTERM as `docker stop` or a CI timeout sends it, end a run the same way."""
    ws = tmp_path / "ws"
    ws.mkdir()
    token = f"{os.getpid() % 1000}.{time.time_ns() % 997}"  # a sleep nobody else runs
    first = tmp_path / "first.json"
    first.write_text(
        json.dumps(
            {
                "turns": [
                    {
                        "tool_calls": [
                            {
                                "name": "Bash",
                                "input": {"command": f"echo started > started.txt; sleep {token}"},
                            }
                        ]
                    },
                    {"text": "never reached"},
                ]
            }
        )
    )
    second = tmp_path / "second.json"
    second.write_text(
        json.dumps(
            {
                "turns": [
                    {
                        "expect": [{"is_error": True, "contains": "Interrupted by the user"}],
                        "text": "Picked up where we stopped.",
                    }
                ]
            }
        )
    )
    env = {**os.environ, "AGENTRUN_HOME": str(tmp_path / "home")}
    env.pop("ANTHROPIC_API_KEY", None)
    common = ["--cwd", str(ws), "--output-format", "stream-json"]
    common += ["--permission-mode", "bypassPermissions"]
    proc = agentrun(env, "-p", "Run the long job", "--model", f"script:{first}", *common)
    try:
        assert proc.stdout is not None
        session_id = json.loads(proc.stdout.readline())["session_id"]
        wait_for(ws / "started.txt")
        assert running_commands(f"sleep {token}") != []
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 130
    result = json.loads(out.splitlines()[-1])
    assert (result["subtype"], result["stop_reason"], result["session_id"]) == (
        "error_during_execution",
        "interrupted",
        session_id,
    )
    deadline = time.monotonic() + 5
    while running_commands(f"sleep {token}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running_commands(f"sleep {token}") == []  # the tool was killed, not left behind

    resumed = agentrun(
        env, "-p", "Carry on", "--resume", session_id, "--model", f"script:{second}", *common
    )
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    result = json.loads(out.splitlines()[-1])
    assert (result["subtype"], result["result"], result["session_id"]) == (
        "success",
        "Picked up where we stopped.",
        session_id,
    )


def _scripted_workspace(tmp_path: Path, *answers: str) -> tuple[Path, Path, dict[str, str], Path]:
    """A workspace, a private AGENTRUN_HOME, the env for it and a script of text answers."""
    ws = tmp_path / "ws"
    ws.mkdir()
    home = tmp_path / "home"
    env = {**os.environ, "AGENTRUN_HOME": str(home)}
    env.pop("ANTHROPIC_API_KEY", None)
    script = tmp_path / "s.json"
    script.write_text(json.dumps({"turns": [{"text": a} for a in answers]}))
    return ws, home, env, script


def _session_file(home: Path) -> Path:
    [path] = (home / "sessions").glob("*.jsonl")
    return path


def test_a_session_in_use_is_not_resumed_by_another_run(tmp_path: Path) -> None:
    """Two runs appending to one conversation would interleave their turns for good."""
    ws, home, env, script = _scripted_workspace(tmp_path, "one", "two")
    first = agentrun(env, "-p", "hi", "--cwd", str(ws), "--model", f"script:{script}")
    assert first.wait(timeout=60) == 0
    holder = subprocess.Popen(  # a run still busy with the session, as far as locks go
        [sys.executable, "-c",
         "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR);"
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
         str(_session_file(home))],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        second = agentrun(env, "-p", "again", "--continue", "--cwd", str(ws),
                          "--model", f"script:{script}")  # fmt: skip
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2 and "is in use by another agentrun run" in err
    finally:
        holder.kill()
        holder.wait()
    third = agentrun(env, "-p", "again", "--continue", "--cwd", str(ws),
                     "--model", f"script:{script}")  # fmt: skip
    assert third.wait(timeout=60) == 0  # free again


def test_a_torn_last_line_is_cut_before_anything_is_appended(tmp_path: Path) -> None:
    ws, home, env, script = _scripted_workspace(tmp_path, "one")
    run = ["--cwd", str(ws), "--model", f"script:{script}"]
    assert agentrun(env, "-p", "first", *run).wait(timeout=60) == 0
    path = _session_file(home)
    whole = path.read_bytes()
    with path.open("ab") as f:
        f.write(b'{"type":"message","message":{"role":"assi')  # a crash mid-write
    for _ in range(2):  # the second resume reads what the first appended
        done = agentrun(env, "-p", "more", "--continue", *run)
        assert done.wait(timeout=60) == 0, done.stderr.read() if done.stderr else ""
    text = path.read_bytes()
    assert text.startswith(whole) and text.endswith(b"\n")
    assert all(json.loads(line) for line in text.splitlines())
