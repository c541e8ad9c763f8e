"""What ClaudeAgentOptions become: inline agents, structured output, partial messages, MCP
servers passed through, streamed prompts; options agentrun cannot honour raise, naming them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from agentrun.sdk import (
    AgentDefinition,
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    ToolResultBlock,
    ToolUseBlock,
    UnsupportedOptionError,
)
from sdkkit import collect, make_ws, results, script

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer", "minimum": 0}},
    "required": ["city", "population"],
}


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_ws(tmp_path, monkeypatch)


def test_inline_agents_are_started_by_the_task_tool(ws: Path) -> None:
    model = script(
        {
            "tool_calls": [
                {
                    "name": "Task",
                    "input": {
                        "description": "review",
                        "prompt": "Review a.txt",
                        "subagent_type": "reviewer",
                    },
                }
            ]
        },
        {"expect": [{"is_error": False, "contains": "Looks fine."}], "text": "Reviewed."},
        agents={
            "reviewer": {
                "turns": [
                    {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
                    {"text": "Looks fine."},
                ]
            }
        },
    )
    options = ClaudeAgentOptions(
        cwd=ws,
        model=model,
        allowed_tools=["Read", "Task"],
        agents={
            "reviewer": AgentDefinition(
                description="Reviews files", prompt="You review.", tools=["Read"]
            )
        },
    )
    messages = collect("review it", options)
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.subtype == "success", final
    assert final.result == "Reviewed."
    init = messages[0]
    assert isinstance(init, SystemMessage) and "Task" in init.data["tools"]
    task_id = next(
        b.id
        for m in messages
        if isinstance(m, AssistantMessage)
        for b in m.content
        if isinstance(b, ToolUseBlock) and b.name == "Task"
    )
    inner = [m for m in messages if getattr(m, "parent_tool_use_id", None) == task_id]
    assert any(
        isinstance(m, AssistantMessage) and isinstance(m.content[0], ToolUseBlock) for m in inner
    )


def test_structured_output_that_matches_the_schema_is_the_result(ws: Path) -> None:
    model = script(
        {"tool_calls": [{"name": "StructuredOutput", "input": {"city": "Paris"}}]},
        {
            "expect": [{"is_error": True, "contains": "population"}],
            "tool_calls": [
                {"name": "StructuredOutput", "input": {"city": "Paris", "population": -1}}
            ],
        },
        {
            "expect": [{"is_error": True, "contains": "at least 0"}],
            "tool_calls": [
                {"name": "StructuredOutput", "input": {"city": "Paris", "population": 2100000}}
            ],
        },
        {"expect": [{"is_error": False}], "text": "Done."},
    )
    options = ClaudeAgentOptions(
        cwd=ws, model=model, output_format={"type": "json_schema", "schema": SCHEMA}
    )
    final = collect("Biggest French city?", options)[-1]
    assert isinstance(final, ResultMessage) and final.subtype == "success", final
    assert final.structured_output == {"city": "Paris", "population": 2100000}


def test_a_run_without_valid_structured_output_is_an_error(ws: Path) -> None:
    model = script(
        {"tool_calls": [{"name": "StructuredOutput", "input": {"city": 3, "population": 1}}]},
        {"text": "I give up."},
    )
    options = ClaudeAgentOptions(
        cwd=ws, model=model, output_format={"type": "json_schema", "schema": SCHEMA}
    )
    messages = collect("Biggest French city?", options)
    (invalid,) = results(messages)
    assert invalid.is_error and "city" in str(invalid.content)
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.is_error
    assert final.subtype == "error_max_structured_output_retries"
    assert final.structured_output is None


def test_partial_messages_stream_text_before_the_assistant_message(ws: Path) -> None:
    options = ClaudeAgentOptions(
        cwd=ws, model=script({"text": "Hello there."}), include_partial_messages=True
    )
    messages = collect("hi", options)
    kinds = [type(m).__name__ for m in messages]
    assert kinds == ["SystemMessage", "StreamEvent", "AssistantMessage", "ResultMessage"]
    event = messages[1]
    assert isinstance(event, StreamEvent)
    assert event.event["type"] == "content_block_delta"
    assert event.event["delta"] == {"type": "text_delta", "text": "Hello there."}
    without = collect("hi", ClaudeAgentOptions(cwd=ws, model=script({"text": "Hi."})))
    assert not any(isinstance(m, StreamEvent) for m in without)


def test_a_streamed_prompt_is_answered_message_by_message(ws: Path) -> None:
    async def prompts() -> AsyncIterator[dict[str, Any]]:
        for text in ("one", "two"):
            yield {"type": "user", "message": {"role": "user", "content": text}}

    options = ClaudeAgentOptions(cwd=ws, model=script({"text": "1"}, {"text": "2"}))
    messages = collect(prompts(), options)
    finals = [m for m in messages if isinstance(m, ResultMessage)]
    assert [f.result for f in finals] == ["1", "2"]
    assert finals[0].session_id == finals[1].session_id


def test_mcp_servers_are_passed_to_the_runtime(ws: Path) -> None:
    server = {"type": "stdio", "command": sys.executable, "args": ["-m", "mcp_server_time"]}
    turns = [
        {"tool_calls": [{"name": "mcp__time__get_current_time", "input": {"timezone": "UTC"}}]},
        {"expect": [{"is_error": False, "contains": "UTC"}], "text": "Done."},
    ]
    options = ClaudeAgentOptions(
        cwd=ws,
        model=script(*turns),
        mcp_servers={"time": server},
        allowed_tools=["mcp__time"],
    )
    messages = collect("what time is it?", options)
    init = messages[0]
    assert isinstance(init, SystemMessage)
    assert {"name": "time", "status": "connected"} in init.data["mcp_servers"]
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.subtype == "success", final


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cli_path", "/usr/bin/claude"),
        ("extra_args", {"debug-to-stderr": None}),
        ("plugins", [{"type": "local", "path": "/x"}]),
        ("sandbox", {"enabled": False}),
        ("setting_sources", ["everything"]),
        ("fork_session", True),  # without resume
        ("thinking", {"type": "disabled"}),
    ],
)
def test_an_option_agentrun_cannot_honour_raises_naming_it(
    ws: Path, field: str, value: Any
) -> None:
    options = ClaudeAgentOptions(cwd=ws, model=script({"text": "never"}))
    setattr(options, field, value)
    with pytest.raises(UnsupportedOptionError, match=f"ClaudeAgentOptions.{field}") as raised:
        collect("hi", options)
    assert raised.value.option == field


def test_importing_the_sdk_imports_neither_anthropic_nor_mcp() -> None:
    code = (
        "import sys, agentrun.sdk\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('anthropic', 'mcp'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_env_reaches_bash_in_the_jail_but_never_an_anthropic_variable(ws: Path) -> None:
    command = 'echo "greeting=$GREETING key=${ANTHROPIC_API_KEY:-none} home=$HOME"'
    turns = [
        {"tool_calls": [{"name": "Bash", "input": {"command": command}}]},
        {"expect": [{"is_error": False, "contains": "greeting=hi key=none"}], "text": "Done."},
    ]
    options = ClaudeAgentOptions(
        cwd=ws,
        model=script(*turns),
        permission_mode="bypassPermissions",
        env={"GREETING": "hi", "ANTHROPIC_API_KEY": "sk-ant-secret"},
    )
    messages = collect("env", options)
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.subtype == "success", final
    (result,) = results(messages)
    assert "sk-ant-secret" not in str(result.content)
    assert str(ws) not in str(result.content).split("home=")[1]  # HOME is the session's own


def test_setting_sources_choose_which_settings_files_are_read(ws: Path) -> None:
    (ws / ".claude").mkdir()
    settings = {"permissions": {"deny": ["Read(./a.txt)"]}}
    (ws / ".claude" / "settings.json").write_text(json.dumps(settings))
    hook = {"hooks": [{"type": "command", "command": "touch hook-ran"}]}
    local = {"hooks": {"PreToolUse": [hook]}}
    (ws / ".claude" / "settings.local.json").write_text(json.dumps(local))
    turns = [{"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}, {"text": "ok"}]

    def read_result(sources: list[Any] | None) -> ToolResultBlock:
        options = ClaudeAgentOptions(
            cwd=ws, model=script(*turns), allowed_tools=["Read"], setting_sources=sources
        )
        (result,) = results(collect("read", options))
        return result

    assert not read_result([]).is_error  # SDK isolation: no settings file at all
    assert not (ws / "hook-ran").exists()
    assert not read_result(["local"]).is_error
    assert (ws / "hook-ran").exists()  # the local file's hook ran, its project deny did not hold
    (ws / "hook-ran").unlink()
    assert read_result(["project"]).is_error is True
    assert not (ws / "hook-ran").exists()
    assert read_result(None).is_error is True  # None: every file, as the CLI reads them
    assert (ws / "hook-ran").exists()
