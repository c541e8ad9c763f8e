"""What the model is told about its sandbox (model-facing text: a snapshot; change it on
purpose, with a CHANGELOG line)."""

from __future__ import annotations

from pathlib import Path

import agentrun.runner.api as api
from agentrun.context.sandbox_text import sandbox_lines
from agentrun.models.function import FunctionModel

WORKSPACE_WRITE = """\
Sandbox: workspace-write. Files can be written only under /w/app, /w/lib and /tmp (private to \
this session, gone when it ends); everything else is read-only.
Protected, read-only even inside the workspace: .git (at any depth), .gitmodules, .claude/, \
.agentrun/, .mcp.json. git status, diff, log and show work; git commit, add, init, stash, \
checkout -b and merge fail: leave committing to the user and say what to commit.
Network: none. pip/npm/cargo install, git fetch/pull/push and curl fail: use what is installed \
(python -m pytest, the project's own scripts) or tell the user what to install."""

READ_ONLY = """\
Sandbox: read-only. Nothing can be written: not the workspace, not /tmp; read, search and run \
read-only commands, and describe the changes instead.
Network: allowed."""


def test_snapshots():
    lines = sandbox_lines("workspace-write", writable=[Path("/w/app"), Path("/w/lib")])
    assert "\n".join(lines) == WORKSPACE_WRITE
    assert "\n".join(sandbox_lines("read-only", writable=[], allow_network=True)) == READ_ONLY
    assert sandbox_lines("danger-full-access", writable=[]) == [
        "Sandbox: none (danger-full-access): commands run with the user's full rights."
    ]


def test_the_env_block_carries_them(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    ws = tmp_path / "ws"
    ws.mkdir()
    seen: list[str] = []

    def answer(request):
        seen.append(request.system)
        return {"text": "ok"}

    api.run("hi", cwd=ws, model=FunctionModel(answer), add_dirs=[tmp_path])
    env = seen[0].split("<env>")[1].split("</env>")[0]
    assert f"written only under {ws.resolve()}, {tmp_path.resolve()} and /tmp" in env
    assert "git commit, add, init" in env and "Network: none." in env


def test_a_workspace_holding_the_home_directory_is_said_to_be_read_only() -> None:
    home = Path("/home/u")
    lines = sandbox_lines("workspace-write", writable=[], read_only_roots=[home])
    assert lines[0].startswith("Sandbox: workspace-write, but the workspace is read-only")
    assert any(f"{home} contains the user's home directory, so it is read-only" in x for x in lines)
    added = sandbox_lines("workspace-write", writable=[home / "proj"], read_only_roots=[home])
    assert f"written only under {home / 'proj'} and /tmp" in added[0]
