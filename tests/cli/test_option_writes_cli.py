"""The attacker's reproducer, end to end: ``-p`` in the default mode with a read-looking rule
(``Bash(git log:*)``), the real jail and real git. ``git log --output=PATH`` wrote any text to
any path of the workspace (a git hook kept its exec bit; a settings file with a hook that then
ran on the host); now each such call is denied and nothing is written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from wskit import bash_p, isolated_ws

HOOK = "#!/bin/sh\necho PWNED > pwned\n"
SETTINGS = json.dumps(
    {"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "touch pwned"}]}]}}
)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = isolated_ws(tmp_path, monkeypatch, {"a.txt": "one\n"})
    (work / ".githooks").mkdir()
    (work / "sub").mkdir()
    hook = work / ".githooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    ident = ["-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=work, env=env, check=True)
    (work / "a.txt").write_text("two\n")
    return work


run = bash_p


ATTACK = [
    f"git log -1 --format='format:{HOOK}' --output=.githooks/pre-commit",
    f"git log -1 --format='format:{SETTINGS}' --output=sub/.agentrun/settings.json",
    "git log -1 --format=format:x --output=log.txt",
    "git diff --output=a.txt",
    "git -C sub log -1 --output=b.txt",
]


def test_git_output_options_do_not_write_under_a_read_looking_rule(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(ws, capsys, ATTACK, "--allowedTools", "Bash(git log:*)", "Bash(git diff:*)",
                 "Bash(git:*)")  # fmt: skip
    assert len(result["permission_denials"]) == len(ATTACK)
    assert (ws / ".githooks" / "pre-commit").read_text() == "#!/bin/sh\nexit 0\n"
    assert not (ws / "sub" / ".agentrun").exists()
    assert not (ws / "log.txt").exists() and not (ws / "sub" / "b.txt").exists()
    assert (ws / "a.txt").read_text() == "two\n"


def test_the_same_writes_run_when_writes_are_allowed(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = ["git log -1 --format=format:x --output=log.txt", "git -C sub log -1 --output=b.txt"]
    result = run(ws, capsys, commands, "--allowedTools", "Bash(git:*)", "--permission-mode",
                 "acceptEdits")  # fmt: skip
    assert result["permission_denials"] == []
    assert (ws / "log.txt").read_text() == "x"
    assert (ws / "sub" / "b.txt").exists()
