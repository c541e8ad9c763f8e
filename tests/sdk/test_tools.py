"""In-process tools (``tool``, ``create_sdk_mcp_server``): the schemas they list, their server
answering through the ``mcp`` SDK's own in-memory client, and a calculator server driven by a
scripted model and by the fake Messages API through a whole session."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, NotRequired, TypedDict

import pytest

from agentrun.core.events import InitEvent
from agentrun.core.types import ToolResult
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import RunResult
from agentrun.runner.api import run as agentrun_run
from agentrun.sdk.tools import McpSdkServerConfig, SdkMcpTool, create_sdk_mcp_server, tool
from agentrun.testing import FakeAnthropicServer
from wskit import PLAIN_AGENT, new_ws

CALLS: list[tuple[str, dict[str, Any]]] = []


@tool("add", "Add two numbers", {"a": float, "b": float})
async def add(args: dict[str, Any]) -> dict[str, Any]:
    CALLS.append(("add", args))
    return {"content": [{"type": "text", "text": f"Sum: {args['a'] + args['b']}"}]}


@tool("multiply", "Multiply two numbers", {"a": float, "b": float})
async def multiply(args: dict[str, Any]) -> dict[str, Any]:
    CALLS.append(("multiply", args))
    return {"content": [{"type": "text", "text": f"Product: {args['a'] * args['b']}"}]}


@tool("divide", "Divide a by b", {"a": float, "b": float})
async def divide(args: dict[str, Any]) -> dict[str, Any]:
    CALLS.append(("divide", args))
    return {"content": [{"type": "text", "text": f"Quotient: {args['a'] / args['b']}"}]}


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    CALLS.clear()


def calculator() -> McpSdkServerConfig:
    return create_sdk_mcp_server("calculator", version="2.0.0", tools=[add, multiply, divide])


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return new_ws(tmp_path, {"plain.md": PLAIN_AGENT})


def results(result: RunResult) -> list[ToolResult]:
    return [r for _, r in result.tool_calls]


def run_calls(
    ws: Path, calls: list[tuple[str, dict[str, Any]]], servers: dict[str, Any], **options: Any
) -> RunResult:
    turns: list[dict[str, Any]] = [
        {"tool_calls": [{"name": n, "input": i} for n, i in calls]},
        {"text": "done"},
    ]
    options.setdefault("permission_mode", "bypassPermissions")
    return agentrun_run(
        "go",
        agent=str(ws / "plain.md"),
        cwd=ws,
        model=ScriptedModel.from_data({"turns": turns}),
        mcp_config=[{"mcpServers": servers}],
        **options,
    )


# -- the decorator and the schemas --------------------------------------------------------------


def test_the_decorator_keeps_the_definition() -> None:
    assert isinstance(add, SdkMcpTool)
    assert (add.name, add.description, add.input_schema) == (
        "add",
        "Add two numbers",
        {"a": float, "b": float},
    )

    async def direct() -> dict[str, Any]:
        return await add.handler({"a": 1, "b": 2})

    assert asyncio.run(direct()) == {"content": [{"type": "text", "text": "Sum: 3"}]}


# The call form: this module's annotations are strings, which hide NotRequired from TypedDict.
Search = TypedDict(  # noqa: UP013
    "Search",
    {"query": Annotated[str, "What to look for"], "limit": NotRequired[int], "tags": list[str]},
)


def listed(*tools: SdkMcpTool[Any]) -> dict[str, Any]:
    """What the server lists, asked through the mcp SDK's own client, in memory."""
    from mcp import Client

    config = create_sdk_mcp_server("s", tools=list(tools))

    async def go() -> dict[str, Any]:
        async with Client(config["instance"], mode="legacy", cache=None) as client:
            found = (await client.list_tools()).tools
            return {t.name: t.input_schema for t in found}

    return asyncio.run(go())


async def _noop(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": []}


def test_schema_from_a_dict_of_types() -> None:
    declared = {
        "text": str,
        "count": int,
        "ratio": float,
        "flag": bool,
        "names": list[str],
        "maybe": int | None,
        "either": int | str,
        "meta": dict[str, Any],
        "note": Annotated[str, "A note"],
    }
    schema = listed(tool("t", "d", declared)(_noop))["t"]
    assert schema == {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "count": {"type": "integer"},
            "ratio": {"type": "number"},
            "flag": {"type": "boolean"},
            "names": {"type": "array", "items": {"type": "string"}},
            "maybe": {"type": "integer"},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "meta": {"type": "object"},
            "note": {"type": "string", "description": "A note"},
        },
        "required": list(declared),
    }


def test_schema_from_a_typeddict() -> None:
    schema = listed(tool("t", "d", Search)(_noop))["t"]
    assert schema == {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to look for"},
            "limit": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["query", "tags"],
    }


def test_a_json_schema_is_listed_as_given() -> None:
    given = {
        "type": "object",
        "properties": {"x": {"type": "number", "minimum": 0}},
        "required": ["x"],
        "additionalProperties": False,
    }
    assert listed(tool("t", "d", given)(_noop))["t"] == given


def test_annotations_are_listed() -> None:
    from mcp import Client
    from mcp.types import ToolAnnotations

    hinted = tool("a", "d", {}, ToolAnnotations(read_only_hint=True))(_noop)
    as_dict = tool("b", "d", {}, {"destructiveHint": True})(_noop)
    config = create_sdk_mcp_server("s", tools=[hinted, as_dict])

    async def go() -> dict[str, Any]:
        async with Client(config["instance"], mode="legacy", cache=None) as client:
            return {t.name: t.annotations for t in (await client.list_tools()).tools}

    found = asyncio.run(go())
    assert found["a"] is not None and found["a"].read_only_hint is True
    assert found["b"] is not None and found["b"].destructive_hint is True


# -- the server, through the mcp SDK's client ---------------------------------------------------


def call(config: McpSdkServerConfig, name: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    from mcp import Client

    async def go() -> tuple[bool, str]:
        async with Client(config["instance"], mode="legacy", cache=None) as client:
            result = await client.call_tool(name, arguments)
            text = " ".join(getattr(c, "text", "") for c in result.content)
            return bool(result.is_error), text

    return asyncio.run(go())


def test_the_server_validates_input_before_the_handler_runs() -> None:
    server = calculator()
    assert call(server, "add", {"a": 1, "b": 2}) == (False, "Sum: 3")
    bad, text = call(server, "add", {"a": "one", "b": 2})
    assert bad and "field 'a'" in text and "'one' is not of type 'number'" in text
    missing, text = call(server, "add", {"a": 1})
    assert missing and "'b' is a required property" in text
    assert [name for name, _ in CALLS] == ["add"]  # neither bad call reached the handler


def test_an_exception_and_an_unknown_tool_are_error_results() -> None:
    server = calculator()
    failed, text = call(server, "divide", {"a": 1, "b": 0})
    assert failed and "ZeroDivisionError" in text and "division by zero" in text
    unknown, text = call(server, "sqrt", {"a": 4})
    assert unknown and "sqrt" in text and "not found" in text


def test_a_handler_answering_something_else_than_a_dict_is_an_error_result() -> None:
    @tool("odd", "d", {})
    async def odd(args: dict[str, Any]) -> Any:
        return "not a dict"

    failed, text = call(create_sdk_mcp_server("s", tools=[odd]), "odd", {})
    assert failed and "str" in text and "content" in text


def test_importing_the_tools_module_imports_neither_mcp_nor_anthropic() -> None:
    code = (
        "import sys, agentrun.sdk.tools\n"
        "bad = [m for m in ('mcp', 'anthropic', 'jsonschema') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# -- a whole session: the calculator, scripted -------------------------------------------------


def test_a_scripted_model_uses_the_calculator(ws: Path) -> None:
    result = run_calls(
        ws,
        [
            ("mcp__calc__add", {"a": 2, "b": 3}),
            ("mcp__calc__multiply", {"a": 4, "b": 2.5}),
            ("mcp__calc__divide", {"a": 1, "b": 0}),
            ("mcp__calc__add", {"a": "two", "b": 3}),
            ("mcp__calc__multiply", {"a": 6, "b": 7}),
        ],
        {"calc": calculator()},
    )
    init = next(e for e in result.events if isinstance(e, InitEvent))
    assert {"mcp__calc__add", "mcp__calc__multiply", "mcp__calc__divide"} <= set(init.tools)
    assert init.mcp_servers == (("calc", "connected"),)
    added, product, divided, bad, after = results(result)
    assert (added.is_error, added.text()) == (False, "Sum: 5")
    assert product.text() == "Product: 10.0"
    assert divided.is_error and "division by zero" in divided.text()
    assert bad.is_error and '"a"' in bad.text()
    assert after.text() == "Product: 42"  # the run went on after the exception
    assert result.subtype == "success" and result.result == "done"
    assert [name for name, _ in CALLS] == ["add", "multiply", "divide", "multiply"]


def test_the_same_server_serves_two_runs_in_a_row(ws: Path) -> None:
    server = calculator()
    for n in (1, 2):
        result = run_calls(ws, [("mcp__calc__add", {"a": n, "b": n})], {"calc": server})
        assert results(result)[0].text() == f"Sum: {2 * n}"


def test_the_calculator_through_the_fake_messages_api(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def tool_use(id: str, name: str, input: dict[str, Any]) -> dict[str, Any]:
        return {"type": "tool_use", "id": id, "name": name, "input": input}

    replies = [
        {
            "content": [
                {"type": "text", "text": "Calculating."},
                tool_use("toolu_1", "mcp__calc__add", {"a": 20, "b": 22}),
                tool_use("toolu_2", "mcp__calc__divide", {"a": 1, "b": 0}),
            ],
            "stop_reason": "tool_use",
        },
        {"content": [{"type": "text", "text": "42, and 1/0 failed."}], "stop_reason": "end_turn"},
    ]
    with FakeAnthropicServer(replies) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789abcdef")
        result = agentrun_run(
            "What is 20 + 22?",
            agent=str(ws / "plain.md"),
            cwd=ws,
            model="sonnet",
            mcp_config=[{"mcpServers": {"calc": calculator()}}],
            allowed_tools=["mcp__calc"],
        )
        first, second = (r.body for r in api.requests)
    offered = {t["name"]: t for t in first["tools"]}
    assert offered["mcp__calc__add"]["description"] == "Add two numbers"
    assert offered["mcp__calc__add"]["input_schema"]["required"] == ["a", "b"]
    answers = {
        b["tool_use_id"]: b
        for b in second["messages"][-1]["content"]
        if b.get("type") == "tool_result"
    }
    assert "Sum: 42" in str(answers["toolu_1"]["content"])
    assert answers["toolu_2"].get("is_error") is True
    assert "division by zero" in str(answers["toolu_2"]["content"])
    assert result.result == "42, and 1/0 failed."
