"""The CLI as a real process: exit codes, live stream-json, SIGINT, stdin that never closes."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from proctools import live_with_arg, unique_sleep, wait_for
from wskit import new_ws

AGENTRUN = [sys.executable, "-m", "agentrun"]
DONE = {"text": "Done."}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    return {**clean, "HOME": str(home), "AGENTRUN_HOME": str(home / ".agentrun")}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return new_ws(tmp_path, {"app.py": "def main():\n    return 1\n"})


def script(ws: Path, *turns: dict[str, Any]) -> str:
    path = ws.parent / "script.json"
    path.write_text(json.dumps({"turns": list(turns)}))
    return f"script:{path}"


def bash(command: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "Bash", "input": {"command": command}}]}


def agentrun(
    ws: Path, env: dict[str, str], *argv: str, stdin: Any = subprocess.DEVNULL, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AGENTRUN, "--cwd", str(ws), *argv],
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class LineReader:
    """stdout lines of a process, read by a thread. A ``select`` on the pipe would miss a line
    that arrived in the same read as the one before it (it waits in Python's buffer, and the fd
    stays quiet): on a loaded machine the init and assistant lines often come together."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        self.lines: queue.Queue[str] = queue.Queue()
        stream = proc.stdout
        threading.Thread(target=lambda: [self.lines.put(x) for x in stream], daemon=True).start()

    def json(self, timeout: float = 60) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no stream-json line arrived in {timeout:g} s") from None
        parsed: dict[str, Any] = json.loads(line)
        return parsed

    def rest(self) -> list[dict[str, Any]]:
        out = []
        while True:
            try:
                out.append(json.loads(self.lines.get(timeout=30)))
            except queue.Empty:
                return out
            if out[-1]["type"] == "result":
                return out


# -- exit codes --------------------------------------------------------------------------------
def test_success_exit_0(ws: Path, env: dict[str, str]) -> None:
    done = agentrun(ws, env, "-p", "hi", "--model", script(ws, DONE))
    assert (done.returncode, done.stdout, done.stderr) == (0, "Done.\n", "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--nope"], "unrecognized arguments: --nope", id="bad-flag"),
        pytest.param(["--model", "opus"], "ANTHROPIC_API_KEY", id="missing-key"),
        pytest.param(["--agent", "ghost"], "no agent named 'ghost'", id="bad-agent"),
    ],
)
def test_usage_errors_exit_2(ws: Path, env: dict[str, str], argv: list[str], message: str) -> None:
    done = agentrun(ws, env, "-p", "hi", *argv)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr


def test_bad_agent_file_exit_2(ws: Path, env: dict[str, str]) -> None:
    bad = ws / "broken.md"
    bad.write_text("---\nname: broken\n")  # no closing ---
    done = agentrun(ws, env, "-p", "hi", "--agent", str(bad), "--model", script(ws, DONE))
    assert done.returncode == 2 and str(bad) in done.stderr and done.stderr.count("\n") == 1


def test_max_turns_exit_1(ws: Path, env: dict[str, str]) -> None:
    read = {"tool_calls": [{"name": "Read", "input": {"file_path": "app.py"}}]}
    done = agentrun(ws, env, "-p", "hi", "--max-turns", "1", "--model", script(ws, read, DONE))
    assert done.returncode == 1 and done.stdout == ""
    assert "error_max_turns" in done.stderr


def test_api_failure_exit_1(ws: Path, env: dict[str, str]) -> None:
    from agentrun.testing.fake_server import Fail, FakeAnthropicServer

    with FakeAnthropicServer([Fail(400, "rejected")]) as server:
        env = {**env, "ANTHROPIC_API_KEY": "sk-fake", "ANTHROPIC_BASE_URL": server.url}
        env["AGENTRUN_MAX_RETRIES"] = "0"
        done = agentrun(ws, env, "-p", "hi", "--output-format", "json")
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["subtype"] == "error_during_execution" and result["is_error"] is True


# -- live output and SIGINT --------------------------------------------------------------------
def test_stream_json_is_live_and_sigint_exits_130(ws: Path, env: dict[str, str]) -> None:
    arg = unique_sleep()  # to find our own sleep in /proc on a shared machine
    proc = subprocess.Popen(
        [*AGENTRUN, "--cwd", str(ws), "-p", "hi", "--output-format", "stream-json",
         "--allowedTools", "Bash(sleep:*)", "--model", script(ws, bash(f"sleep {arg}"), DONE)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        lines = LineReader(proc)
        assert lines.json()["type"] == "system"
        assert lines.json()["type"] == "assistant"
        # the tool is running and the process is alive: the lines were flushed as they happened
        assert wait_for(lambda: live_with_arg(arg), timeout=60)
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
        rest = lines.rest()
    finally:
        proc.kill()
        proc.wait()
    assert wait_for(lambda: not live_with_arg(arg), timeout=30)
    assert rest[-1]["type"] == "result"
    assert rest[-1]["subtype"] == "error_during_execution" and rest[-1]["is_error"] is True
    assert rest[-1]["stop_reason"] == "interrupted"


# -- never blocking on approval ----------------------------------------------------------------
NEEDS_APPROVAL = [
    bash("touch approved.txt"),
    {"expect": [{"is_error": True}], "text": "Could not."},
]


def test_approval_denied_with_stdin_closed(ws: Path, env: dict[str, str]) -> None:
    done = agentrun(
        ws, env, "-p", "hi", "--output-format", "json",
        "--model", script(ws, *NEEDS_APPROVAL), timeout=30,
    )  # fmt: skip
    assert done.returncode == 0
    denials = json.loads(done.stdout)["permission_denials"]
    assert [d["tool_input"]["command"] for d in denials] == ["touch approved.txt"]
    assert not (ws / "approved.txt").exists()


def test_approval_denied_with_open_pipe(ws: Path, env: dict[str, str]) -> None:
    # stdin is a pipe nobody writes to or closes: the run must neither read it nor wait on it
    proc = subprocess.Popen(
        [*AGENTRUN, "--cwd", str(ws), "-p", "hi", "--output-format", "json",
         "--model", script(ws, *NEEDS_APPROVAL)],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        code = proc.wait(timeout=30)
        assert proc.stdout is not None
        out = proc.stdout.read()
    finally:
        proc.kill()
        proc.wait()
    assert code == 0
    assert len(json.loads(out)["permission_denials"]) == 1


def test_without_tty_or_p_stdin_is_the_prompt(ws: Path, env: dict[str, str]) -> None:
    record = ws.parent / "rec.jsonl"
    done = subprocess.run(
        [*AGENTRUN, "--cwd", str(ws), "--model", script(ws, DONE), "--record", str(record)],
        env=env, input="piped question\n", capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "Done.\n")
    assert "piped question" in record.read_text()


def test_verbose_keeps_stdout_pure(ws: Path, env: dict[str, str]) -> None:
    read = {"tool_calls": [{"name": "Read", "input": {"file_path": "app.py"}}]}
    done = agentrun(
        ws, env, "-p", "hi", "--verbose", "--output-format", "stream-json",
        "--model", script(ws, read, DONE),
    )  # fmt: skip
    assert done.returncode == 0
    assert [json.loads(line)["type"] for line in done.stdout.splitlines()] == [
        "system", "assistant", "user", "assistant", "result",
    ]  # fmt: skip
    assert "Read(app.py)" in done.stderr


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom agentrun.cli.app import main\nmain(['--help'])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'anthropic', 'yaml'})\n"
        "print('HEAVY', heavy, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert "HEAVY []" in done.stderr
    assert "usage: agentrun" in done.stdout


def _closed_stdin(ws: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """agentrun started with file descriptor 0 closed (``<&-``), as some CI runners do."""
    cmd = [*AGENTRUN, "--cwd", str(ws), *argv]
    return subprocess.run(
        ["sh", "-c", 'exec "$@" <&-', "sh", *cmd],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip


def test_fd0_closed_prompt_missing_is_a_usage_error(ws: Path, env: dict[str, str]) -> None:
    done = _closed_stdin(ws, env, "-p", "--model", script(ws, DONE))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "agentrun: -p needs a prompt: pass it as an argument or pipe it on stdin\n"
    )


def test_fd0_closed_approval_is_denied(ws: Path, env: dict[str, str]) -> None:
    done = _closed_stdin(
        ws, env, "-p", "hi", "--output-format", "json", "--model", script(ws, *NEEDS_APPROVAL)
    )
    assert done.returncode == 0, done.stderr
    denials = json.loads(done.stdout)["permission_denials"]
    assert [d["tool_input"]["command"] for d in denials] == ["touch approved.txt"]
    assert not (ws / "approved.txt").exists()


def _first_prompt(env: dict[str, str]) -> str:
    [transcript] = (Path(env["AGENTRUN_HOME"]) / "sessions").glob("*.jsonl")
    entries = [json.loads(line) for line in transcript.read_text().splitlines()]
    first = next(e for e in entries if e.get("type") == "message")
    content = first["message"]["content"]
    return content if isinstance(content, str) else content[0]["text"]


def test_piped_stdin_follows_a_prompt_argument(ws: Path, env: dict[str, str]) -> None:
    # `git diff | agentrun -p "review"`, as with Claude Code: the model gets both.
    piped = subprocess.run(
        [*AGENTRUN, "--cwd", str(ws), "-p", "review", "--model", script(ws, DONE)],
        env=env, input="diff --git a/app.py b/app.py\n", capture_output=True, text=True,
        timeout=30,
    )  # fmt: skip
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, "Done.\n", "")
    assert _first_prompt(env) == "review\n\ndiff --git a/app.py b/app.py\n"


def test_dev_null_stdin_adds_nothing_and_waits_for_nothing(ws: Path, env: dict[str, str]) -> None:
    done = agentrun(ws, env, "-p", "review", "--model", script(ws, DONE), timeout=30)
    assert (done.returncode, done.stderr) == (0, "")
    assert _first_prompt(env) == "review"


def test_an_idle_stdin_pipe_is_given_up_on_with_a_warning(ws: Path, env: dict[str, str]) -> None:
    # A CI runner's stdin: a pipe nobody writes to and nobody closes.
    started = time.monotonic()
    with subprocess.Popen(
        [*AGENTRUN, "--cwd", str(ws), "-p", "review", "--model", script(ws, DONE)],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    ) as proc:  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.wait(timeout=90)  # stdin stays open: the CLI must not wait for its end
        out, err = proc.stdout.read(), proc.stderr.read()
        proc.stdin.close()
    assert proc.returncode == 0 and out == "Done.\n"
    assert err.startswith("agentrun: warning: no input on stdin after 3 s; going on without it")
    assert 2.5 < time.monotonic() - started < 90  # the 3 s wait, not the pipe's end
    assert _first_prompt(env) == "review"


def test_stdin_that_is_not_utf8_is_replaced_not_fatal(ws: Path, env: dict[str, str]) -> None:
    piped = subprocess.run(
        [*AGENTRUN, "--cwd", str(ws), "-p", "review", "--model", script(ws, DONE)],
        env=env, input=b"caf\xe9 au lait\n", capture_output=True, timeout=30,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert _first_prompt(env) == "review\n\ncaf\ufffd au lait\n"
