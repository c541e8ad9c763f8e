"""query(): one prompt in a fresh session; the messages and their order."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrun.sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ResultMessage,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from sdkkit import collect, make_ws, script


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_ws(tmp_path, monkeypatch)


def test_one_shot_query_yields_init_assistant_tool_results_and_result(ws: Path) -> None:
    model = script(
        {"text": "Reading.", "tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
        {"expect": [{"is_error": False, "contains": "hello"}], "text": "It says hello."},
    )
    options = ClaudeAgentOptions(cwd=ws, model=model, allowed_tools=["Read"])
    messages = collect("What does a.txt say?", options)

    assert [type(m) for m in messages] == [
        SystemMessage,
        AssistantMessage,
        UserMessage,
        AssistantMessage,
        ResultMessage,
    ]
    init = messages[0]
    assert isinstance(init, SystemMessage) and init.subtype == "init"
    assert init.data["cwd"] == str(ws.resolve()) and "Read" in init.data["tools"]
    first = messages[1]
    assert isinstance(first, AssistantMessage)
    assert first.content[0] == TextBlock("Reading.")
    use = first.content[1]
    assert isinstance(use, ToolUseBlock) and use.name == "Read"
    assert use.input == {"file_path": "a.txt"}
    results = messages[2]
    assert isinstance(results, UserMessage) and isinstance(results.content, list)
    block = results.content[0]
    assert isinstance(block, ToolResultBlock) and block.tool_use_id == use.id
    assert not block.is_error and "hello" in str(block.content)
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    assert result.subtype == "success" and not result.is_error
    assert result.result == "It says hello." and result.num_turns == 2
    assert result.session_id == init.data["session_id"]
    assert result.structured_output is None
