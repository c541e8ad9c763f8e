"""A subagent's own MCP servers through the CLI's ``-p`` and the SDK: a workspace agent's
server never runs without consent (bypassPermissions or not, ``setting_sources=[]`` or not),
an agent defined in code needs none, and Ctrl-C leaves no server of a child running."""

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
from subagentkit import DEADLINE_S, SERVER, agent, alive, gone, make_ws, task

from agentrun.models.scripted import ScriptedModel
from agentrun.sdk import AgentDefinition, ClaudeAgentOptions, ResultMessage, UserMessage
from sdkkit import collect


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_ws(tmp_path, monkeypatch)


def planted(tmp_path: Path) -> dict[str, Any]:
    """A server whose command first touches ``tmp_path/ran``, then says its pid in ``pids``."""
    line = f'touch "{tmp_path / "ran"}"; exec "{sys.executable}" "{SERVER}" "{tmp_path / "pids"}"'
    return {"command": "/bin/sh", "args": ["-c", line]}


def helper_file(ws: Path, definition: dict[str, Any]) -> None:
    agent(ws, "helper", None, mcpServers=f"\n  - {json.dumps({'mine': definition})}")


def script_file(ws: Path, child: list[dict[str, Any]]) -> Path:
    path = ws.parent / "script.json"
    turns = [{"tool_calls": [task("helper")]}, {"text": "done"}]
    path.write_text(json.dumps({"turns": turns, "agents": {"helper": {"turns": child}}}))
    return path


def cli(ws: Path, script: Path) -> list[str]:
    return [
        sys.executable, "-m", "agentrun", "-p", "go", "--agent", "lead", "--cwd", str(ws),
        "--model", f"script:{script}", "--output-format", "stream-json",
        "--permission-mode", "bypassPermissions",
    ]  # fmt: skip


def test_print_mode_in_bypass_never_runs_a_workspace_childs_server(
    ws: Path, tmp_path: Path
) -> None:
    agent(ws, "lead", None)
    helper_file(ws, planted(tmp_path))
    call = {"name": "mcp__mine__pid", "input": {}}
    script = script_file(ws, [{"tool_calls": [call]}, {"text": "tried"}])
    out = subprocess.run(cli(ws, script), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert not (tmp_path / "ran").exists()
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    [result] = [
        b["content"]
        for x in lines
        if x["type"] == "user" and not x.get("parent_tool_use_id")
        for b in x["message"]["content"]
    ]
    assert "'mine'" in str(result) and "consent" in str(result)


def test_ctrl_c_during_a_childs_call_stops_its_server(ws: Path, tmp_path: Path) -> None:
    agent(ws, "lead", None)
    helper_file(ws, planted(tmp_path))
    settings = Path(os.environ["AGENTRUN_HOME"]) / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"enabledMcpjsonServers": ["mine"]}))
    call = {"name": "mcp__mine__hang", "input": {"seconds": 600}}
    script = script_file(ws, [{"tool_calls": [call]}, {"text": "woke"}])
    proc = subprocess.Popen(cli(ws, script), stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the child's call is under way once its message is out
            event = json.loads(line)
            if event["type"] == "assistant" and event.get("parent_tool_use_id"):
                break
        [pid] = [int(p) for p in (tmp_path / "pids").read_text().split()]
        assert alive(pid)
        proc.send_signal(signal.SIGINT)
        # (the interrupt may land in the child's loop first: it still stops the whole run)
        assert proc.wait(timeout=DEADLINE_S) == 130
    finally:
        proc.kill()
        proc.wait()
    assert gone(pid)


def sdk_run(ws: Path, child: list[dict[str, Any]], **options: Any) -> list[Any]:
    turns = [{"tool_calls": [task("helper")]}, {"text": "done"}]
    model = ScriptedModel.from_data({"turns": turns, "agents": {"helper": {"turns": child}}})
    return collect(
        "go",
        ClaudeAgentOptions(
            cwd=ws,
            model=model,
            permission_mode="bypassPermissions",
            system_prompt="Lead.",
            **options,
        ),
    )


def task_result(messages: list[Any]) -> str:
    [text] = [
        str(b.content)
        for m in messages
        if isinstance(m, UserMessage) and not m.parent_tool_use_id and isinstance(m.content, list)
        for b in m.content
    ]
    return text


@pytest.mark.parametrize("sources", [[], ["project"]])
def test_the_sdk_never_runs_a_workspace_childs_server_without_consent(
    ws: Path, tmp_path: Path, sources: list[str]
) -> None:
    helper_file(ws, planted(tmp_path))
    call = {"name": "mcp__mine__pid", "input": {}}
    messages = sdk_run(ws, [{"tool_calls": [call]}, {"text": "tried"}], setting_sources=sources)
    assert isinstance(messages[-1], ResultMessage)
    assert not (tmp_path / "ran").exists()
    said = task_result(messages)
    # [] does not even see the workspace's agent; ["project"] sees it, its server refused
    assert ("not found" in said) if not sources else ("consent" in said), said


def test_an_sdk_defined_childs_server_needs_no_consent(ws: Path, tmp_path: Path) -> None:
    call = {"name": "mcp__mine__pid", "input": {}}
    child = [{"tool_calls": [call]}, {"expect": [{"is_error": False}], "text": "got it"}]
    helper = AgentDefinition(
        description="helps", prompt="You help.", mcpServers=[{"mine": planted(tmp_path)}]
    )
    messages = sdk_run(ws, child, setting_sources=[], agents={"helper": helper})
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.subtype == "success", final
    assert task_result(messages).startswith("got it")
    [pid] = [int(p) for p in (tmp_path / "pids").read_text().split()]
    assert gone(pid)


def test_ctrl_c_while_a_childs_server_starts_stops_it_at_once(ws: Path, tmp_path: Path) -> None:
    agent(ws, "lead", None)
    pids = tmp_path / "pids"
    mute = f'echo $$ >> "{pids}"; exec sleep 600'  # never answers the MCP handshake
    for name in ("helper", "other"):  # two in one turn: they start in worker threads
        mcp = {"mine": {"command": "/bin/sh", "args": ["-c", mute]}}
        agent(ws, name, None, mcpServers=f"\n  - {json.dumps(mcp)}")
    settings = Path(os.environ["AGENTRUN_HOME"]) / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"enabledMcpjsonServers": ["mine"]}))
    script = ws.parent / "script.json"
    turns = [{"tool_calls": [task("helper"), task("other")]}, {"text": "done"}]
    never = {"turns": [{"text": "never asked"}]}
    script.write_text(json.dumps({"turns": turns, "agents": {"helper": never, "other": never}}))
    proc = subprocess.Popen(cli(ws, script), stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not pids.exists() or len(pids.read_text().split()) < 2:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        started = [int(p) for p in pids.read_text().split()]
        proc.send_signal(signal.SIGINT)
        # long before MCP_TIMEOUT (120 s here): the wait for the start stops with the run
        assert proc.wait(timeout=30) == 130
    finally:
        proc.kill()
        proc.wait()
    assert all(gone(pid) for pid in started)
