"""What a ``-p`` run loads: the optional parts (hooks, subagents, compaction, the shell
parsers of the permission rules) only when the session has them, and each settings file read
once however many parts read settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# A one-turn `agentrun -p` in this interpreter; prints which modules it loaded and how many
# times each settings file was opened (an audit hook sees every open()).
_RUN = """
import json, sys
opened = []
def audit(event, args):
    if event == "open" and isinstance(args[0], str) and args[0].endswith("settings.json"):
        opened.append(args[0])
sys.addaudithook(audit)
from agentrun.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps({"modules": sorted(sys.modules), "opened": opened}), file=sys.stderr)
"""

# Loaded only by a session that has them configured.
_OPTIONAL = {
    "hooks": ["agentrun.hooks.runner", "agentrun.hooks.answer", "agentrun.hooks.table"],
    "subagents": ["agentrun.subagent.task", "agentrun.subagent.offer"],
    "compaction": ["agentrun.context.compaction"],
    "shell parsers": [
        "agentrun.permissions.bashview",
        "agentrun.permissions.shellparse",
        "agentrun.permissions.shellwords",
    ],
    "stdlib": ["logging"],
    # the events of tool calls, hooks, compaction and subagents
    "events": ["agentrun.core.moreevents"],
}


def _run(ws: Path, tmp_path: Path, *extra: str) -> dict[str, list[str]]:
    script = tmp_path / "one-turn.yaml"
    script.write_text('turns:\n  - text: "hello"\n')
    argv = ["-p", "hi", "--model", f"script:{script}", "--output-format", "json"]
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *argv, "--cwd", str(ws), *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(done.stdout)["result"] == "hello", done.stderr
    return json.loads(done.stderr.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _loaded(out: dict[str, list[str]], group: str) -> list[str]:
    return [m for m in _OPTIONAL[group] if m in out["modules"]]


def test_an_unconfigured_run_loads_no_optional_part(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    out = _run(ws, tmp_path)
    assert {group: _loaded(out, group) for group in _OPTIONAL} == {g: [] for g in _OPTIONAL}


def test_each_part_loads_when_configured(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".claude" / "agents").mkdir(parents=True)
    marker = tmp_path / "started"
    hook = {"type": "command", "command": f"touch {marker}"}
    settings = {
        "hooks": {"SessionStart": [{"hooks": [hook]}]},
        "permissions": {"deny": ["Bash(rm:*)"]},
    }
    (ws / ".claude" / "settings.json").write_text(json.dumps(settings))
    (ws / ".claude" / "agents" / "lead.md").write_text(
        "---\nname: lead\ndescription: delegates\ntools: Read, Task\n---\nYou lead.\n"
    )
    out = _run(ws, tmp_path, "--agent", "lead")
    assert marker.exists()  # the SessionStart hook ran
    assert _loaded(out, "hooks") == _OPTIONAL["hooks"]
    assert _loaded(out, "subagents") == _OPTIONAL["subagents"]
    assert _loaded(out, "events") == _OPTIONAL["events"]  # the hook's event


def test_each_settings_file_is_read_once(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".claude").mkdir(parents=True)
    (ws / ".agentrun").mkdir()
    settings = {"permissions": {"deny": ["Read(./secret)"]}, "hooks": {}}
    for path in (ws / ".claude" / "settings.json", ws / ".agentrun" / "settings.json"):
        path.write_text(json.dumps(settings))
    opened = _run(ws, tmp_path)["opened"]
    # Both are read: by the gate (rules) and by the hooks, yet each is opened once.
    assert sorted(opened) == sorted(
        str(p) for p in (ws / ".claude" / "settings.json", ws / ".agentrun" / "settings.json")
    )


# A session with MCP servers and a real model: the SDK's import starts while the servers do.
_MCP_SESSION = """
import json, sys, time
from agentrun.runner.runtime import Runtime, RunOptions
servers = {"demo": {"command": sys.executable, "args": [sys.argv[2]]}}
rt = Runtime.open(RunOptions(agent=sys.argv[3], cwd=sys.argv[1], model="claude-sonnet-5-5",
                             mcp_config=[{"mcpServers": servers}]))
loaded = "anthropic" in sys.modules
rt.close()
print(json.dumps({"sdk_loaded_by_assembly": loaded, "servers": rt.mcp_servers}))
"""


def test_the_sdk_loads_while_mcp_servers_start(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    agent = tmp_path / "plain.md"
    agent.write_text("---\nname: plain\ndescription: d\n---\nHelp.\n")
    server = Path(__file__).parent / "mcp_servers" / "demo_server.py"
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
        "MCP_TIMEOUT": "60000",
    }
    done = subprocess.run(
        [sys.executable, "-c", _MCP_SESSION, str(ws), str(server), str(agent)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["servers"] == [["demo", "connected"]], done.stderr
    # No request was made: only the preload, alongside the servers' start, imported it.
    assert out["sdk_loaded_by_assembly"] is True


# The console script's start-up, observed: collections while the session is built, and
# whether collection is back on when the run starts its work.
_GC_RUN = """
import gc, json, sys
from agentrun.cli.app import entry
from agentrun.runner import api
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(1))
seen = {}
send = api.AgentSession.send
def observed(self, prompt):
    seen.update(before=len(collections), enabled=gc.isenabled())
    return send(self, prompt)
api.AgentSession.send = observed
sys.argv[0] = "agentrun"
try:
    entry()
except SystemExit:
    pass
print(json.dumps(seen), file=sys.stderr)
"""


def test_start_up_pauses_garbage_collection_and_the_run_resumes_it(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    script = tmp_path / "one-turn.yaml"
    script.write_text('turns:\n  - text: "hello"\n')
    argv = ["-p", "hi", "--model", f"script:{script}", "--output-format", "json", "--cwd", str(ws)]
    done = subprocess.run(
        [sys.executable, "-c", _GC_RUN, *argv], capture_output=True, text=True, timeout=120
    )
    assert json.loads(done.stdout)["result"] == "hello", done.stderr
    seen = json.loads(done.stderr.strip().splitlines()[-1])
    assert seen == {"before": 0, "enabled": True}
