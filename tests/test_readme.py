"""README.md's examples, run: the documentation cannot rot.

The "Testing your agents" section's code blocks are extracted and executed as a user would:
files whose first line names a path (``# tests/...``) are written there and the Python ones run
under pytest (with agentrun's plugin, in a separate session); the shell lines run in bash, the
"real model" ones (recording, and the set-up's same-task-with-a-real-model command) against a
FakeAnthropicServer standing in for the API.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from agentrun.cli.commands.demo import script_path
from agentrun.models.scripted import ScriptedModel
from agentrun.testing import FakeAnthropicServer

pytest_plugins = ("pytester",)

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def blocks(title: str, lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(section(title)) if kind == lang]


def named_files(title: str) -> dict[str, str]:
    """Code blocks whose first line is ``# some/path``: path -> content."""
    files = {}
    for _, body in FENCE.findall(section(title)):
        first = body.splitlines()[0]
        if re.fullmatch(r"# [\w./-]+\.\w+", first):
            files[first[2:]] = body
    return files


def test_setup_commands_are_the_agreed_ones() -> None:
    commands = blocks("Set-up: two commands", "bash")
    assert commands[0] == "pip install -e . && agentrun demo\n"
    assert commands[-1] == "pip install -e '.[test]' && python -m pytest\n"
    assert "agentrun demo --print-prompt" in commands[1]


def test_the_real_model_command_does_the_demo_task(tmp_path: Path) -> None:
    """The set-up's "same task with a real model" command, as printed, against the Messages API
    played by the demo's own session: its flags must let the agent do the whole task unasked."""
    (command,) = [c for c in blocks("Set-up: two commands", "bash") if "--print-prompt" in c]
    assert command.count("/tmp/shop") == 2
    command = command.replace("/tmp/shop", str(tmp_path / "shop"))
    session = ScriptedModel.load(script_path())
    env = {**os.environ, "AGENTRUN_HOME": str(tmp_path / "home")}
    with FakeAnthropicServer(model=session) as server:
        env.update(ANTHROPIC_BASE_URL=server.url, ANTHROPIC_API_KEY="sk-ant-test-000000000000")
        proc = run(["bash", "-c", command], REPO, env, 240)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("All 31 tests pass")
    session.assert_complete()
    assert (tmp_path / "shop/shop/migrations/003_index_items_category.sql").is_file()


def test_the_script_and_the_pytest_examples_pass(pytester: pytest.Pytester) -> None:
    files = named_files("Testing your agents")
    assert sorted(files) == [
        "scripts/fix_greeting.py",
        "tests/fix-greeting.yaml",
        "tests/test_greeting.py",
        "tests/test_through_the_sdk.py",
    ]
    for path, content in files.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    ScriptedModel.load(pytester.path / "tests/fix-greeting.yaml")  # a valid script on its own
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "tests/test_greeting.py", "tests/test_through_the_sdk.py"
    )
    result.assert_outcomes(passed=3)

    # The one-line CLI use of the script, on an app that has the file.
    (command,) = re.findall(r"`(agentrun --model script:[^`]+)`", section("Testing your agents"))
    app = pytester.mkdir("app")
    (app / "greet.py").write_text('def greet(name):\n    return "Hello " + name\n')
    env = {**os.environ, "AGENTRUN_HOME": str(pytester.path / "home")}
    proc = run(["bash", "-c", command], pytester.path, env, 120)
    assert (proc.returncode, proc.stdout) == (0, "greet() now says hi.\n"), proc.stderr
    assert '"Hi " + name' in (app / "greet.py").read_text()

    # The plain `agentrun.run(...)` script, from the same directory, on a fresh app.
    (app / "greet.py").write_text('def greet(name):\n    return "Hello " + name\n')
    proc = run([sys.executable, "scripts/fix_greeting.py"], pytester.path, env, 120)
    assert (proc.returncode, proc.stdout) == (0, "greet() now says hi.\n"), proc.stderr
    assert proc.stderr.startswith("success: 3 turns, session ")
    assert '"Hi " + name' in (app / "greet.py").read_text()


def test_the_record_and_replay_commands_work(tmp_path: Path) -> None:
    (script,) = blocks("Testing your agents", "bash")
    lines = [line for line in script.splitlines() if line.strip()]
    assert len(lines) == 3
    shutil.copytree(REPO / "sandbox", tmp_path / "sandbox")
    env = {**os.environ, "AGENTRUN_HOME": str(tmp_path / "home")}
    # The model the first command talks to: the fake Messages API, playing a short session.
    model = ScriptedModel.from_data(
        {
            "turns": [
                {"tool_calls": [{"name": "Glob", "input": {"pattern": "shop/migrations/*.sql"}}]},
                {"expect": [{"contains": "002_create_items.sql"}], "text": "Two migrations."},
            ]
        }
    )

    def bash(line: str) -> subprocess.CompletedProcess[str]:
        return run(["bash", "-c", line], tmp_path, env, 120)

    copy, record, replay = lines
    assert bash(copy).returncode == 0
    with FakeAnthropicServer(model=model) as server:
        env.update(ANTHROPIC_BASE_URL=server.url, ANTHROPIC_API_KEY="sk-ant-test-000000000000")
        recorded = bash(record)
        assert len(server.requests) == 2
    assert recorded.returncode == 0, recorded.stderr
    assert recorded.stdout == "Two migrations.\n"
    assert "--record session.jsonl" in record and (tmp_path / "session.jsonl").is_file()

    # Offline: no server, no key.
    env["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9"
    del env["ANTHROPIC_API_KEY"]
    replayed = bash(replay)
    assert (replayed.returncode, replayed.stdout) == (0, "Two migrations.\n"), replayed.stderr
    assert "--model replay:session.jsonl" in replay
