"""The attacker's reproducers end to end: ``-p`` in the default mode with read-looking rules,
the real jail and real programs. Each spelling wrote README.md (through a descriptor's path,
past a quoted ``'<'``, through a sed ``w``); now each is denied and the file is unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentrun.cli.app import main

ATTACK = [
    "echo PWNED 3<README.md >/proc/self/fd/3",
    "echo PWNED 1<README.md >/dev/stdout",
    "git log --output=/dev/fd/3 3<README.md",
    "sort -t '<' -o README.md data.txt",
    "sed -n 's/o/P/p' '<' -i README.md",
    "sed -n 1wREADME.md data.txt",
    "sed -n 1wREADME.md -- --sandbox",
    "sort --compress-program=./x data.txt",
]
RULES = ["Bash(echo:*)", "Bash(git log:*)", "Bash(sort:*)", "Bash(sed -n:*)"]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AGENTRUN_HOME", str(home / ".agentrun"))
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_MODEL"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "ws"
    work.mkdir()
    (work / "README.md").write_text("orig readme\n")
    (work / "data.txt").write_text("b\na\nc\n")
    return work


def run(ws: Path, capsys: pytest.CaptureFixture[str], commands: list[str], *argv: str) -> Any:
    script = ws.parent / "script.json"
    turn = {"tool_calls": [{"name": "Bash", "input": {"command": c}} for c in commands]}
    script.write_text(json.dumps({"turns": [turn, {"text": "Done."}]}))
    code = main(
        ["--cwd", str(ws), "-p", "go", "--model", f"script:{script}", "--output-format", "json",
         *argv]
    )  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0
    return json.loads(out)


def test_write_spellings_are_denied_and_write_nothing(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(ws, capsys, ATTACK, "--allowedTools", *RULES)
    assert len(result["permission_denials"]) == len(ATTACK)
    assert (ws / "README.md").read_text() == "orig readme\n"


def test_reads_with_quoted_operators_still_run(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = ["sort -t '<' data.txt > /dev/null", "sed -n '/a/p' data.txt >/dev/stdout"]
    result = run(ws, capsys, commands, "--allowedTools", *RULES)
    assert result["permission_denials"] == []
    assert (ws / "README.md").read_text() == "orig readme\n"
