"""The attacker's reproducers end to end: ``-p`` in the default mode with read-looking rules,
the real jail and real programs. Each spelling wrote README.md (through a descriptor's path,
past a quoted ``'<'``, through a sed ``w``); now each is denied and the file is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from wskit import bash_p, isolated_ws

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
    return isolated_ws(
        tmp_path, monkeypatch, {"README.md": "orig readme\n", "data.txt": "b\na\nc\n"}
    )


run = bash_p


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
