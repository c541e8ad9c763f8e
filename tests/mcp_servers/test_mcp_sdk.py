"""The ``sdk`` server kind: an in-process server (``create_sdk_mcp_server``, or any ``mcp``
``Server`` / ``MCPServer``) served over the in-memory transport, behind the same permission
gate, result conversion and call timeout as every MCP server; refused from any file or JSON."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from mcpkit import results, run_calls

from agentrun.core.errors import ConfigError
from agentrun.core.events import InitEvent
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import RunResult
from agentrun.runner.api import run as agentrun_run
from agentrun.sdk.tools import McpSdkServerConfig, create_sdk_mcp_server, tool
from wskit import PLAIN_AGENT, new_ws

RAN: list[str] = []
CANCELLED = threading.Event()
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
    "RU5ErkJggg=="
)


@tool("add", "Add two numbers", {"a": float, "b": float})
async def add(args: dict[str, Any]) -> dict[str, Any]:
    RAN.append("add")
    return {"content": [{"type": "text", "text": f"Sum: {args['a'] + args['b']}"}]}


@tool("divide", "Divide a by b", {"a": float, "b": float})
async def divide(args: dict[str, Any]) -> dict[str, Any]:
    RAN.append("divide")
    return {"content": [{"type": "text", "text": f"Quotient: {args['a'] / args['b']}"}]}


@tool("picture", "A one-pixel picture", {})
async def picture(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "content": [
            {"type": "text", "text": "a pixel:"},
            {"type": "image", "data": PNG, "mimeType": "image/png"},
        ]
    }


@tool("big", "Much text", {"n": int})
async def big(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": "x" * args["n"]}]}


@tool("hang", "Never answers", {})
async def hang(args: dict[str, Any]) -> dict[str, Any]:
    RAN.append("hang")
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        CANCELLED.set()
        raise
    return {"content": []}


@tool(
    "locate",
    "Nested input",
    {
        "type": "object",
        "properties": {
            "point": {
                "type": "object",
                "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                "required": ["x", "y"],
            }
        },
        "required": ["point"],
    },
)
async def locate(args: dict[str, Any]) -> dict[str, Any]:
    RAN.append("locate")
    return {"content": [{"type": "text", "text": f"at {args['point']['x']}"}]}


@pytest.fixture(autouse=True)
def _fresh() -> None:
    RAN.clear()
    CANCELLED.clear()


def calc() -> McpSdkServerConfig:
    return create_sdk_mcp_server("calculator", tools=[add, divide, picture, big, hang, locate])


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return new_ws(tmp_path, {"plain.md": PLAIN_AGENT})


def run(
    ws: Path,
    calls: list[tuple[str, dict[str, Any]]],
    servers: dict[str, Any] | None = None,
    *,
    mode: str = "bypassPermissions",
    **options: Any,
) -> RunResult:
    """``calls`` through ``servers`` (the calculator when not given)."""
    mcp = [{"mcpServers": servers if servers is not None else {"calc": calc()}}]
    return run_calls(ws, calls, mcp, mode=mode, **options)


# -- the permission gate ------------------------------------------------------------------------


def test_an_sdk_tool_is_asked_for_and_denied_headless(ws: Path) -> None:
    result = run(ws, [("mcp__calc__add", {"a": 1, "b": 2})], mode="default")
    assert results(result) == []
    assert [d["tool_name"] for d in result.permission_denials] == ["mcp__calc__add"]
    assert RAN == []


@pytest.mark.parametrize("rule", ["mcp__calc", "mcp__calc__add", "mcp__calc__*"])
def test_an_allow_rule_lets_it_run(ws: Path, rule: str) -> None:
    result = run(
        ws,
        [("mcp__calc__add", {"a": 1, "b": 2}), ("mcp__calc__divide", {"a": 4, "b": 2})],
        mode="default",
        allowed_tools=[rule],
    )
    assert results(result)[0].text() == "Sum: 3"
    denied = [d["tool_name"] for d in result.permission_denials]
    assert denied == (["mcp__calc__divide"] if rule == "mcp__calc__add" else [])


def test_an_approver_answers_the_ask(ws: Path) -> None:
    asked: list[str] = []

    def approver(call: Any, decision: Any) -> str:
        asked.append(call.name)
        return "allow"

    result = run(ws, [("mcp__calc__add", {"a": 1, "b": 2})], mode="default", approver=approver)
    assert asked == ["mcp__calc__add"] and results(result)[0].text() == "Sum: 3"


def test_a_deny_rule_wins_over_bypass_and_allow(ws: Path) -> None:
    result = run(
        ws,
        [("mcp__calc__divide", {"a": 1, "b": 1}), ("mcp__calc__add", {"a": 1, "b": 1})],
        allowed_tools=["mcp__calc"],
        disallowed_tools=["mcp__calc__divide"],
    )
    divided, added = results(result)
    assert divided.is_error and added.text() == "Sum: 2"
    assert RAN == ["add"]  # the denied handler never ran


def test_a_wildcard_deny_rule_denies_every_tool(ws: Path) -> None:
    result = run(
        ws,
        [("mcp__calc__divide", {"a": 1, "b": 1})],
        disallowed_tools=["mcp__calc__*"],
    )
    assert all(r.is_error for r in results(result))
    assert RAN == []


# -- what comes back ----------------------------------------------------------------------------


def test_images_and_text_come_back_as_blocks(ws: Path) -> None:
    (shown,) = results(run(ws, [("mcp__calc__picture", {})]))
    assert isinstance(shown.content, list)
    text, image = shown.content
    assert text == {"type": "text", "text": "a pixel:"}
    assert image["source"] == {"type": "base64", "media_type": "image/png", "data": PNG}


JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\0" * 60).decode()


@tool("pictures", "Images good and bad", {})
async def pictures(args: dict[str, Any]) -> dict[str, Any]:
    big_png = base64.b64encode(base64.b64decode(PNG) + b"\0" * (5 * 1024 * 1024)).decode()
    images = [
        ("!!!notbase64" * 100_000, "text/html"),  # 1.2 MB of text said to be a page
        ("!!!notbase64", "image/png"),
        (base64.b64encode(b"<html></html>").decode(), "image/png"),  # base64, not an image
        (big_png, "image/png"),  # a PNG over Read's 5 MB
        (PNG, "image/png"),
        (JPEG, "image/png"),  # a JPEG said to be a PNG: sent as what its bytes are
    ]
    return {"content": [{"type": "image", "data": d, "mimeType": m} for d, m in images]}


def test_only_real_images_within_the_limit_come_back_as_images(ws: Path) -> None:
    server = create_sdk_mcp_server("pics", tools=[pictures])
    (shown,) = results(run(ws, [("mcp__pics__pictures", {})], {"pics": server}))
    assert isinstance(shown.content, list)
    page, bad, html, big, png, jpeg = shown.content
    assert page == {
        "type": "text",
        "text": "[image ('text/html') not shown: that is not an image type]",
    }
    assert bad["text"] == "[image ('image/png') not shown: its data is not valid base64]"
    assert "is not a PNG, JPEG, GIF or WebP" in html["text"]
    assert "over the 5 MB limit for images" in big["text"]
    assert png["source"] == {"type": "base64", "media_type": "image/png", "data": PNG}
    assert jpeg["source"] == {"type": "base64", "media_type": "image/jpeg", "data": JPEG}
    assert len(json.dumps(shown.content)) < 4096  # nothing big reached the transcript


def test_output_over_the_limit_is_cut(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_MCP_OUTPUT_TOKENS", "100")
    (cut,) = results(run(ws, [("mcp__calc__big", {"n": 5000})]))
    assert cut.text().count("x") == 400 and "MAX_MCP_OUTPUT_TOKENS" in cut.text()


def test_input_only_the_server_can_check_is_refused_naming_the_field(ws: Path) -> None:
    bad, good = results(
        run(
            ws,
            [
                ("mcp__calc__locate", {"point": {"x": 1}}),
                ("mcp__calc__locate", {"point": {"x": 1, "y": 2}}),
            ],
        )
    )
    assert bad.is_error and "field 'point'" in bad.text() and "'y'" in bad.text()
    assert good.text() == "at 1"
    assert RAN == ["locate"]


def test_a_hanging_handler_obeys_the_tool_timeout_and_the_run_goes_on(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCP_TOOL_TIMEOUT", "500")
    hung, after = results(run(ws, [("mcp__calc__hang", {}), ("mcp__calc__add", {"a": 2, "b": 2})]))
    assert hung.is_error and "MCP_TOOL_TIMEOUT" in hung.text()
    assert after.text() == "Sum: 4"
    assert CANCELLED.wait(30), "the abandoned handler was never cancelled"


def test_a_blocking_plain_function_holds_up_nothing_else(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def wait(args: dict[str, Any]) -> dict[str, Any]:  # a plain def that blocks
        release.wait(120)
        return {"content": [{"type": "text", "text": "late"}]}

    def shout(args: dict[str, Any]) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": args["text"].upper()}]}

    plain = create_sdk_mcp_server(
        "plain",
        tools=[tool("wait", "Blocks", {})(wait), tool("shout", "Shouts", {"text": str})(shout)],  # type: ignore[arg-type]
    )
    monkeypatch.setenv("MCP_TOOL_TIMEOUT", "500")
    try:
        waited, shouted, added = results(
            run(
                ws,
                [
                    ("mcp__plain__wait", {}),
                    ("mcp__plain__shout", {"text": "hi"}),
                    ("mcp__calc__add", {"a": 1, "b": 1}),
                ],
                {"plain": plain, "calc": calc()},
            )
        )
    finally:
        release.set()
    assert waited.is_error and "MCP_TOOL_TIMEOUT" in waited.text()
    assert shouted.text() == "HI" and added.text() == "Sum: 2"


def test_a_handler_calling_sys_exit_is_an_error_result_not_the_end_of_mcp(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @tool("quit", "Exits", {})
    async def quit(args: dict[str, Any]) -> dict[str, Any]:
        sys.exit(3)

    monkeypatch.setenv("MCP_TOOL_TIMEOUT", "20000")
    servers = {"quit": create_sdk_mcp_server("quit", tools=[quit]), "calc": calc()}
    exited, added = results(
        run(ws, [("mcp__quit__quit", {}), ("mcp__calc__add", {"a": 1, "b": 1})], servers)
    )
    assert exited.is_error and "SystemExit" in exited.text()
    assert added.text() == "Sum: 2"


def test_a_hand_built_server_calling_sys_exit_stops_only_its_own_call(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mcp.types as mt
    from mcp.server import Server

    async def listing(ctx: Any, params: Any) -> mt.ListToolsResult:
        schema = {"type": "object", "properties": {}}
        return mt.ListToolsResult(tools=[mt.Tool(name="quit", input_schema=schema)])

    async def quit(ctx: Any, params: Any) -> mt.CallToolResult:
        sys.exit(3)

    own = Server("own", on_list_tools=listing, on_call_tool=quit)
    monkeypatch.setenv("MCP_TOOL_TIMEOUT", "3000")
    servers = {"own": {"type": "sdk", "name": "own", "instance": own}, "calc": calc()}
    exited, added = results(
        run(ws, [("mcp__own__quit", {}), ("mcp__calc__add", {"a": 1, "b": 1})], servers)
    )
    assert exited.is_error
    assert added.text() == "Sum: 2"


def test_any_mcp_server_object_can_be_served(ws: Path) -> None:
    from mcp.server.mcpserver import MCPServer

    fast = MCPServer("fast")

    @fast.tool()
    def shout(text: str) -> str:
        return text.upper()

    servers = {"fast": {"type": "sdk", "name": "fast", "instance": fast}}
    (shouted,) = results(run(ws, [("mcp__fast__shout", {"text": "hi"})], servers))
    assert shouted.text() == "HI"


def test_a_server_that_fails_to_list_is_reported_and_the_run_goes_on(ws: Path) -> None:
    from mcp.server import Server

    async def refuse(ctx: Any, params: Any) -> Any:
        raise RuntimeError("cannot list")

    broken = {"type": "sdk", "name": "broken", "instance": Server("broken", on_list_tools=refuse)}
    result = run(ws, [("mcp__calc__add", {"a": 1, "b": 2})], {"broken": broken, "calc": calc()})
    init = next(e for e in result.events if isinstance(e, InitEvent))
    assert init.mcp_servers == (("broken", "failed"), ("calc", "connected"))
    assert results(result)[0].text() == "Sum: 3"


# -- where an sdk server may come from ----------------------------------------------------------

SDK_JSON = {"mcpServers": {"calc": {"type": "sdk", "name": "calculator"}}}


def test_refused_from_json_text(ws: Path) -> None:
    with pytest.raises(ConfigError, match=r"'calc'.*cannot come from a file or JSON"):
        agentrun_run(
            "go",
            agent=str(ws / "plain.md"),
            cwd=ws,
            model=_done(),
            mcp_config=[json.dumps(SDK_JSON)],
        )


def test_refused_from_a_config_file_and_from_mcp_json(ws: Path) -> None:
    path = ws / "servers.json"
    path.write_text(json.dumps(SDK_JSON))
    with pytest.raises(ConfigError, match=r"'calc' in .*servers\.json.*cannot come from"):
        agentrun_run("go", agent=str(ws / "plain.md"), cwd=ws, model=_done(), mcp_config=[path])
    (ws / ".mcp.json").write_text(json.dumps(SDK_JSON))
    with pytest.raises(ConfigError, match=r"'calc' in .*\.mcp\.json"):
        agentrun_run("go", agent=str(ws / "plain.md"), cwd=ws, model=_done())


def test_refused_from_an_agent_file(ws: Path) -> None:
    (ws / "inline.md").write_text(
        "---\nname: inline\ndescription: d\nmcpServers:\n"
        "  - calc: {type: sdk, name: calculator}\n---\nHelp.\n"
    )
    with pytest.raises(ConfigError, match=r"'calc' in the agent file.*cannot come from"):
        agentrun_run("go", agent=str(ws / "inline.md"), cwd=ws, model=_done())


def test_a_python_mapping_needs_a_real_server_object(ws: Path) -> None:
    servers = {"calc": {"type": "sdk", "name": "calculator", "instance": object()}}
    with pytest.raises(ConfigError, match=r"'calc'.*mcp Server.*not object"):
        run(ws, [], servers)


def test_refused_on_the_command_line(ws: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = ws / "done.yaml"
    done.write_text("turns:\n  - text: done\n")
    proc = subprocess.run(
        [
            "agentrun",
            "-p",
            "go",
            "--agent",
            str(ws / "plain.md"),
            "--model",
            f"script:{done}",
            "--mcp-config",
            json.dumps(SDK_JSON),
        ],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "'calc'" in proc.stderr and "cannot come from a file or JSON" in proc.stderr


def _done() -> ScriptedModel:
    return ScriptedModel.from_data({"turns": [{"text": "done"}]})
