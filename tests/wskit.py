"""Workspaces the tests share: a folder in the test's ``tmp_path`` with some files in it, and
for command-line runs a home of its own with no API key, token or model from the environment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

PLAIN_AGENT = "---\nname: plain\ndescription: every tool\n---\nHelp.\n"
"""``plain.md``: an agent file that offers every tool."""

RESULT_KEYS = (
    "type",
    "subtype",
    "is_error",
    "result",
    "num_turns",
    "duration_ms",
    "total_cost_usd",
    "usage",
    "session_id",
    "permission_denials",
    "stop_reason",  # Claude Code's, after the fields of agentrun's own design
)
"""The keys of a run's result line (``--output-format json`` and stream-json's last line), in
their order."""


def new_ws(tmp_path: Path, files: Mapping[str, str] | None = None, *, name: str = "ws") -> Path:
    """``tmp_path / name``, holding ``files`` (relative path -> text)."""
    work = tmp_path / name
    work.mkdir()
    for rel, text in (files or {}).items():
        (work / rel).write_text(text)
    return work


def isolated_ws(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: Mapping[str, str] | None = None,
    *,
    name: str = "ws",
) -> Path:
    """:func:`new_ws` with ``HOME`` (and ``AGENTRUN_HOME`` in it) at ``tmp_path / "home"``, so
    no user settings, agents or sessions leak in, and no credentials or model choice either."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AGENTRUN_HOME", str(home / ".agentrun"))
    for var in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_MODEL"):
        monkeypatch.delenv(var, raising=False)
    return new_ws(tmp_path, files, name=name)


def agents_ws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: Mapping[str, str] | None = None
) -> Path:
    """:func:`new_ws` with an empty ``.claude/agents`` folder, agentrun's state at
    ``tmp_path / "home"`` and no API key: for runs of a scripted model with agent files."""
    work = new_ws(tmp_path, files)
    (work / ".claude" / "agents").mkdir(parents=True)
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return work


def bash_p(ws: Path, capsys: pytest.CaptureFixture[str], commands: list[str], *argv: str) -> Any:
    """The result line of ``agentrun -p`` (in process, ``--output-format json``) whose scripted
    model calls Bash once per command in one turn, then says "Done."."""
    from agentrun.cli.app import main  # here, so the workspace helpers stay light

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
