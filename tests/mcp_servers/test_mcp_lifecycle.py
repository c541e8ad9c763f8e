"""MCP servers' lifecycle through the real CLI: `.mcp.json` consent in `-p`, server processes
(and their children) gone after Ctrl-C, and after a SIGKILL of the runtime by the next start;
`agentrun mcp list|get|add|remove`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agentrun.cli.app import main
from wskit import PLAIN_AGENT, new_ws

HERE = Path(__file__).parent
DEMO: dict[str, Any] = {"command": sys.executable, "args": [str(HERE / "demo_server.py")]}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return new_ws(tmp_path, {"plain.md": PLAIN_AGENT})


def script(ws: Path, *calls: tuple[str, dict[str, Any]]) -> str:
    turns = [{"tool_calls": [{"name": n, "input": i}]} for n, i in calls] + [{"text": "done"}]
    path = ws / "script.json"
    path.write_text(json.dumps({"turns": turns}))
    return f"script:{path}"


def agentrun(ws: Path, model: str, *flags: str) -> list[str]:
    return [
        sys.executable, "-m", "agentrun", "-p", "go", "--agent", str(ws / "plain.md"),
        "--cwd", str(ws), "--model", model, "--output-format", "stream-json",
        "--permission-mode", "bypassPermissions", *flags,
    ]  # fmt: skip


def mcp_servers(stdout: str) -> list[dict[str, str]]:
    init = json.loads(stdout.splitlines()[0])
    servers: list[dict[str, str]] = init["mcp_servers"]
    return servers


def test_project_servers_need_consent_headless(ws: Path) -> None:
    (ws / ".mcp.json").write_text(json.dumps({"mcpServers": {"demo": DEMO}}))
    model = script(ws)
    out = subprocess.run(agentrun(ws, model), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert mcp_servers(out.stdout) == []
    assert "'demo'" in out.stderr and "consent" in out.stderr

    settings = Path(os.environ["AGENTRUN_HOME"]) / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"enabledMcpjsonServers": ["demo"]}))
    out = subprocess.run(agentrun(ws, model), capture_output=True, text=True, timeout=120)
    assert mcp_servers(out.stdout) == [{"name": "demo", "status": "connected"}]

    settings.write_text("{}")
    flag = f"--mcp-config={ws / '.mcp.json'}"
    out = subprocess.run(agentrun(ws, model, flag), capture_output=True, text=True, timeout=120)
    assert mcp_servers(out.stdout) == [{"name": "demo", "status": "connected"}]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pid: int, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _start_with_child(ws: Path) -> tuple[subprocess.Popen[str], int]:
    """A run whose server started a child and then hangs in a call; the child's pid."""
    cfg = json.dumps({"mcpServers": {"demo": DEMO}})
    model = script(ws, ("mcp__demo__spawn_child", {}), ("mcp__demo__hang", {"seconds": 600}))
    proc = subprocess.Popen(
        agentrun(ws, model, f"--mcp-config={cfg}"), stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        event = json.loads(line)
        if event["type"] == "user":
            child = int(event["message"]["content"][0]["content"][0]["text"])
            break
    else:
        raise AssertionError("no tool result")
    # The hang call is under way once the next assistant message is out.
    for line in proc.stdout:
        if json.loads(line)["type"] == "assistant":
            break
    assert _alive(child)
    return proc, child


def test_ctrl_c_stops_servers_and_their_children(ws: Path) -> None:
    proc, child = _start_with_child(ws)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert _wait_gone(child)


def test_a_sigkilled_runtime_leaves_no_server_past_the_next_start(ws: Path) -> None:
    proc, child = _start_with_child(ws)
    proc.kill()
    proc.wait(timeout=30)
    assert _alive(child)  # nobody could stop it
    cfg = json.dumps({"mcpServers": {"demo": DEMO}})
    out = subprocess.run(
        agentrun(ws, script(ws), f"--mcp-config={cfg}"), capture_output=True, timeout=120
    )
    assert out.returncode == 0
    assert _wait_gone(child, 10)


def test_mcp_add_list_get_remove(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cwd = ["--cwd", str(ws)]
    assert main(["mcp", *cwd, "add", "demo", DEMO["command"], *DEMO["args"]]) == 0
    assert main(["mcp", *cwd, "add", "--scope", "project", "proj", "/bin/true"]) == 0
    capsys.readouterr()
    assert main(["mcp", *cwd, "list", "--json"]) == 0
    listed = {e["name"]: e for e in map(json.loads, capsys.readouterr().out.splitlines())}
    assert listed["demo"]["status"] == "connected" and "echo" in listed["demo"]["tools"]
    assert listed["demo"]["scope"] == "user"
    assert listed["proj"]["status"] == "needs approval" and listed["proj"]["scope"] == "project"
    assert main(["mcp", *cwd, "get", "demo"]) == 0
    assert "- echo" in capsys.readouterr().out
    assert main(["mcp", *cwd, "remove", "demo"]) == 0
    assert main(["mcp", *cwd, "get", "demo"]) == 2
    assert json.loads((ws / ".mcp.json").read_text())["mcpServers"]["proj"] == {
        "command": "/bin/true",
        "args": [],
    }
