"""Interactive: a workspace subagent's own MCP server is asked about mid-turn, when the
subagent starts, and runs only on a yes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from subagentkit import agent, task

from repl import PROMPT, finish, start_repl

SERVER = Path(__file__).with_name("own_server.py")


@pytest.mark.parametrize("answer", ["y", "n"])
def test_a_workspace_childs_server_is_asked_about_when_it_starts(
    tmp_path: Path, answer: str
) -> None:
    ws = tmp_path / "ws"
    (ws / ".claude" / "agents").mkdir(parents=True)
    marker = tmp_path / "ran"
    line = f'touch "{marker}"; exec "{sys.executable}" "{SERVER}"'
    mine = {"mine": {"command": "/bin/sh", "args": ["-c", line]}}
    agent(ws, "lead", None)
    agent(ws, "helper", None, mcpServers=f"\n  - {json.dumps(mine)}")
    child_turns = [{"tool_calls": [{"name": "mcp__mine__pid", "input": {}}]}, {"text": "ok"}]
    script = {
        "turns": [{"tool_calls": [task("helper")]}, {"text": "all done"}],
        "agents": {"helper": {"turns": child_turns}},
    }
    repl = start_repl(
        ws,
        script,
        *("--agent", "lead", "--permission-mode", "bypassPermissions"),
        width=250,
        timeout=120,
        env={"MCP_TIMEOUT": "120000"},
    )
    repl.sendline("go")
    repl.expect("asks to start MCP server 'mine'")
    assert not marker.exists()  # nothing ran before the answer
    repl.expect("Start it\\?")
    repl.sendline(answer)
    repl.expect("all done")
    repl.expect(PROMPT)
    assert finish(repl) == 0
    assert marker.exists() == (answer == "y")
