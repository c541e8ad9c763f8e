"""MCP tools end to end: real servers (mcp-server-time, mcp-server-git from the registry, and a
FastMCP server written here, over stdio and streamable HTTP), a scripted model calling them
through the session, the permission gate in front."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcpkit import results
from mcpkit import run_calls as run

from agentrun.core.events import InitEvent
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import RunResult
from agentrun.runner.api import run as agentrun_run
from wskit import PLAIN_AGENT, new_ws

HERE = Path(__file__).parent
DEMO = [sys.executable, str(HERE / "demo_server.py")]
BIN = Path(sys.executable).parent


def stdio(argv: list[str], **extra: Any) -> dict[str, Any]:
    return {"command": argv[0], "args": argv[1:], **extra}


def config(**servers: dict[str, Any]) -> dict[str, Any]:
    return {"mcpServers": servers}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return new_ws(tmp_path, {"plain.md": PLAIN_AGENT})


def init(result: RunResult) -> InitEvent:
    return next(e for e in result.events if isinstance(e, InitEvent))


def test_mcp_server_time_lists_and_calls_tools(ws: Path) -> None:
    server = stdio([str(BIN / "mcp-server-time")])
    result = run(
        ws,
        [
            ("mcp__time__get_current_time", {"timezone": "UTC"}),
            ("mcp__time__get_current_time", {"timezone": "Not/AZone"}),
        ],
        [config(time=server)],
    )
    tools = init(result).tools
    assert "mcp__time__get_current_time" in tools and "mcp__time__convert_time" in tools
    assert init(result).stream_json()["mcp_servers"] == [  # type: ignore[index]
        {"name": "time", "status": "connected"}
    ]
    ok, bad = results(result)
    assert not ok.is_error and '"timezone": "UTC"' in ok.text()
    assert bad.is_error and "Not/AZone" in bad.text()


def test_mcp_server_git_reads_a_real_repository(ws: Path) -> None:
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    server = stdio([str(BIN / "mcp-server-git"), "--repository", str(ws)])
    result = run(
        ws,
        [("mcp__git__git_status", {"repo_path": str(ws)}), ("mcp__git__git_log", {})],
        [config(git=server)],
    )
    status, missing_arg = results(result)
    assert not status.is_error and "plain.md" in status.text()  # untracked
    assert missing_arg.is_error and "repo_path" in missing_arg.text()  # schema from the server


def test_fastmcp_stdio_images_structured_and_errors(ws: Path) -> None:
    result = run(
        ws,
        [
            ("mcp__demo__echo", {"text": "hi"}),
            ("mcp__demo__picture", {}),
            ("mcp__demo__weather", {"city": "Oslo"}),
            ("mcp__demo__fail", {}),
        ],
        [config(demo=stdio(DEMO))],
    )
    echo, picture, weather, fail = results(result)
    assert echo.text() == "echo: hi"
    assert isinstance(picture.content, list)
    image = picture.content[0]
    assert image["type"] == "image" and image["source"]["media_type"] == "image/png"
    assert json.loads(weather.text()) == {"city": "Oslo", "celsius": 21}
    assert fail.is_error and "fail" in fail.text()


def test_fastmcp_over_streamable_http(ws: Path) -> None:
    sys.path.insert(0, str(HERE))
    try:
        from demo_server import build
    finally:
        sys.path.remove(str(HERE))
    from agentrun.testing.mcp import serve_mcp

    with serve_mcp(build("web")) as cfg:
        result = run(
            ws,
            [
                ("mcp__web__echo", {"text": "over http"}),
                ("ReadMcpResourceTool", {"server": "web", "uri": "note://hello"}),
            ],
            [cfg],
        )
    echo, resource = results(result)
    assert echo.text() == "echo: over http"
    assert resource.text() == "hello from a resource"


def test_output_over_the_limit_is_cut_with_a_note(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_MCP_OUTPUT_TOKENS", "100")
    result = run(ws, [("mcp__demo__big", {"n": 5000})], [config(demo=stdio(DEMO))])
    (big,) = results(result)
    assert big.text().count("x") == 400
    assert "MAX_MCP_OUTPUT_TOKENS" in big.text()


def test_a_call_past_the_tool_timeout_is_an_error(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCP_TOOL_TIMEOUT", "500")
    result = run(
        ws,
        [("mcp__demo__hang", {"seconds": 60}), ("mcp__demo__echo", {"text": "after"})],
        [config(demo=stdio(DEMO))],
    )
    hang, after = results(result)
    assert hang.is_error and "MCP_TOOL_TIMEOUT" in hang.text()
    assert after.text() == "echo: after"  # the server still answers


def test_a_server_that_crashes_mid_call(ws: Path) -> None:
    result = run(
        ws,
        [("mcp__demo__crash", {}), ("mcp__demo__echo", {"text": "x"})],
        [config(demo=stdio(DEMO))],
    )
    crash, after = results(result)
    assert crash.is_error and "demo" in crash.text()
    assert after.is_error and "not connected" in after.text()
    assert result.subtype == "success"


def test_servers_that_never_start_or_do_not_exist_fail_and_the_run_goes_on(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCP_TIMEOUT", "8000")
    cfg = config(
        slow=stdio([*DEMO, "never"]),
        missing=stdio(["/nonexistent/mcp-server"]),
        demo=stdio(DEMO),
    )
    result = run(ws, [("mcp__demo__echo", {"text": "ok"})], [cfg])
    statuses = {s["name"]: s["status"] for s in init(result).stream_json()["mcp_servers"]}  # type: ignore[index]
    assert statuses == {"slow": "failed", "missing": "failed", "demo": "connected"}
    assert results(result)[0].text() == "echo: ok"


def test_ten_servers_at_once(ws: Path) -> None:
    servers = {f"s{i}": stdio(DEMO) for i in range(10)}
    calls = [(f"mcp__s{i}__echo", {"text": str(i)}) for i in range(10)]
    result = run(ws, calls, [config(**servers)])
    assert [r.text() for r in results(result)] == [f"echo: {i}" for i in range(10)]


def test_mcp_calls_ask_by_default_and_are_denied_headless(ws: Path) -> None:
    result = run(
        ws, [("mcp__demo__echo", {"text": "x"})], [config(demo=stdio(DEMO))], mode="default"
    )
    assert results(result) == []  # never ran
    assert [d["tool_name"] for d in result.permission_denials] == ["mcp__demo__echo"]


@pytest.mark.parametrize("rule", ["mcp__demo", "mcp__demo__echo", "mcp__demo__*"])
def test_allow_rules_for_mcp_tools(ws: Path, rule: str) -> None:
    result = run(
        ws,
        [("mcp__demo__echo", {"text": "x"}), ("mcp__demo__weather", {"city": "Rome"})],
        [config(demo=stdio(DEMO))],
        mode="default",
        allowed_tools=[rule],
    )
    assert results(result)[0].text() == "echo: x"
    denied = [d["tool_name"] for d in result.permission_denials]
    assert denied == (["mcp__demo__weather"] if rule == "mcp__demo__echo" else [])


def test_deny_rule_beats_bypass(ws: Path) -> None:
    result = run(
        ws,
        [("mcp__demo__echo", {"text": "x"})],
        [config(demo=stdio(DEMO))],
        disallowed_tools=["mcp__demo__*"],
    )
    assert results(result)[0].is_error


def test_agent_tools_narrow_mcp_tools(ws: Path) -> None:
    (ws / "narrow.md").write_text(
        "---\nname: narrow\ndescription: d\ntools: Read, mcp__demo__echo\n---\nHelp.\n"
    )
    result = run(ws, [], [config(demo=stdio(DEMO))], agent="narrow.md")
    assert [t for t in init(result).tools if t.startswith("mcp__")] == ["mcp__demo__echo"]


def test_agent_file_defines_its_own_server(ws: Path) -> None:
    home_agents = Path.home() / "agents"
    home_agents.mkdir()
    command = json.dumps(DEMO[0])
    (home_agents / "own.md").write_text(
        "---\nname: own\ndescription: d\nmcpServers:\n"
        f"  - mine:\n      command: {command}\n      args: [{json.dumps(DEMO[1])}]\n"
        "---\nHelp.\n"
    )
    result = agentrun_run(
        "go",
        agent=str(home_agents / "own.md"),
        cwd=ws,
        model=ScriptedModel.from_data(
            {
                "turns": [
                    {"tool_calls": [{"name": "mcp__mine__echo", "input": {"text": "a"}}]},
                    {"text": "done"},
                ]
            }
        ),
        permission_mode="bypassPermissions",
    )
    assert results(result)[0].text() == "echo: a"


def test_no_mcp_configuration_imports_no_mcp(ws: Path) -> None:
    code = (
        "import sys, agentrun\n"
        "from agentrun.models.scripted import ScriptedModel\n"
        f"agentrun.run('hi', agent={str(ws / 'plain.md')!r}, cwd={str(ws)!r},"
        " model=ScriptedModel.from_data({'turns': [{'text': 'hi'}]}))\n"
        "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')"
        " or m.startswith('agentrun.mcp.client')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def test_git_binary_present() -> None:
    assert shutil.which("git")


@pytest.fixture
def outside() -> Iterator[Path]:
    """A writable place outside the workspace and outside /tmp (the jail has its own /tmp)."""
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="agentrun-mcp-") as d:
        os.chmod(d, 0o777)
        yield Path(d) / "outside.txt"


def test_a_sandboxed_server_cannot_write_outside_the_workspace(ws: Path, outside: Path) -> None:
    inside = ws / "inside.txt"
    # The jail shows the workspace and the system, not this checkout: the server's script
    # lives in the workspace, as a project's own server would.
    shutil.copy(HERE / "demo_server.py", ws / "demo_server.py")
    jailed = stdio([sys.executable, str(ws / "demo_server.py")], sandbox=True)
    result = run(
        ws,
        [
            ("mcp__jailed__escape", {"path": str(outside)}),
            ("mcp__jailed__escape", {"path": str(inside)}),
        ],
        [config(jailed=jailed)],
    )
    assert init(result).stream_json()["mcp_servers"] == [  # type: ignore[index]
        {"name": "jailed", "status": "connected"}
    ]
    escaped, wrote = results(result)
    assert escaped.text().startswith("refused") and not outside.exists()
    assert wrote.text() == "written" and inside.read_text() == "escaped"


def test_the_same_server_unsandboxed_can(ws: Path, outside: Path) -> None:
    """The control for the test above: without "sandbox": true the write goes through."""
    result = run(ws, [("mcp__free__escape", {"path": str(outside)})], [config(free=stdio(DEMO))])
    assert results(result)[0].text() == "written" and outside.exists()


def test_a_workspace_agent_file_s_own_server_needs_consent(ws: Path) -> None:
    """An agent file inside the repository can name any command, like .mcp.json."""
    command = json.dumps(DEMO[0])
    (ws / "own.md").write_text(
        "---\nname: own\ndescription: d\nmcpServers:\n"
        f"  - mine:\n      command: {command}\n      args: [{json.dumps(DEMO[1])}]\n"
        "---\nHelp.\n"
    )
    result = run(ws, [], [], agent="own.md")
    assert init(result).stream_json()["mcp_servers"] == []  # type: ignore[index]


def test_strict_mcp_config_keeps_only_the_given_servers(ws: Path) -> None:
    settings = Path(os.environ["AGENTRUN_HOME"]) / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps(config(user=stdio(DEMO))))
    given = [config(demo=stdio(DEMO))]
    names = [s["name"] for s in init(run(ws, [], given)).stream_json()["mcp_servers"]]  # type: ignore[index]
    assert names == ["user", "demo"]
    strict = init(run(ws, [], given, strict_mcp_config=True)).stream_json()
    assert [s["name"] for s in strict["mcp_servers"]] == ["demo"]  # type: ignore[index]


def test_variables_expand_and_an_unset_one_fails_that_server(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_SCRIPT", DEMO[1])
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    good = {"command": "${PY:-" + DEMO[0] + "}", "args": ["${DEMO_SCRIPT}"]}
    bad = {"command": DEMO[0], "args": ["${NOT_SET_ANYWHERE}"]}
    result = run(ws, [("mcp__good__echo", {"text": "v"})], [config(good=good, bad=bad)])
    statuses = {s["name"]: s["status"] for s in init(result).stream_json()["mcp_servers"]}  # type: ignore[index]
    assert statuses == {"good": "connected", "bad": "failed"}
    assert results(result)[0].text() == "echo: v"
