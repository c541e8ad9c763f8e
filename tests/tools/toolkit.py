"""What the tool tests share: a ToolContext over a folder, and files written with a set mtime."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from agentrun.jail.paths import Workspace
from agentrun.jail.policy import SandboxPolicy
from agentrun.tools.base import ToolContext
from agentrun.tools.records import ReadRecords


def make_ctx(root: Path, *, strict: bool = False, **policy: Any) -> ToolContext:
    """Tools confined to ``root`` (``policy``: ``SandboxPolicy.create``'s keywords)."""
    workspace = Workspace(SandboxPolicy.create(root, **policy))
    return ToolContext(workspace=workspace, reads=ReadRecords(), strict=strict)


def agent_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agent: str, tools: str) -> Path:
    """``tmp_path / "ws"`` with ``.claude/agents/AGENT.md`` offering ``tools`` (a
    comma-separated list); agentrun's state at ``tmp_path / "home"``."""
    ws = tmp_path / "ws"
    write(ws / ".claude" / "agents" / f"{agent}.md", AGENT.format(agent=agent, tools=tools))
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    return ws


AGENT = "---\nname: {agent}\ndescription: d\ntools: {tools}\n---\nB.\n"


def write(path: Path, text: str = "x\n", *, mtime: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path
