"""Interactive: a project's `.mcp.json` server is asked about once (and remembered), and
`/mcp` lists the session's servers and tools."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pexpect

from repl import PROMPT, start_repl
from wskit import PLAIN_AGENT, new_ws

HERE = Path(__file__).parent
DEMO = {"command": sys.executable, "args": [str(HERE / "demo_server.py")]}


def spawn(ws: Path, home: Path) -> pexpect.spawn:
    return start_repl(
        ws,
        {"turns": [{"text": "hi"}]},
        *("--agent", str(ws / "plain.md")),
        home=home,
        width=250,  # the prompt names the tmp path: no wrap inside the text matched
        timeout=120,
        env={"MCP_TIMEOUT": "120000"},
        wait=False,
    )


def test_consent_is_asked_once_and_mcp_lists_servers(tmp_path: Path) -> None:
    # What is approved is the whole definition: its env (and headers, cwd) are shown as written.
    demo = {**DEMO, "env": {"DEMO_TRACE": "${USER:-nobody}-trace"}}
    ws = new_ws(
        tmp_path, {"plain.md": PLAIN_AGENT, ".mcp.json": json.dumps({"mcpServers": {"demo": demo}})}
    )
    home = tmp_path / "home"
    home.mkdir()
    child = spawn(ws, home)
    child.expect("asks to start MCP server 'demo'")
    child.expect("defined as:")
    child.expect('"DEMO_TRACE": "\\$\\{USER:-nobody\\}-trace"')
    child.expect("Start it\\?")
    child.sendline("y")
    child.expect("Ctrl-D exits")
    child.expect(PROMPT)
    child.sendline("/mcp")
    child.expect("demo: connected, 9 tools")
    child.expect("mcp__demo__echo")
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # Remembered: the next session starts it without asking.
    child = spawn(ws, home)
    index = child.expect(["asks to start", "Ctrl-D exits"])
    assert index == 1
    child.expect(PROMPT)
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    child.close()
