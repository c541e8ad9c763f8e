"""FunctionModel: a Python function answers each request, seeing what the tools returned."""

from __future__ import annotations

from typing import Any

import pytest

from agentrun.core.errors import ModelError
from agentrun.core.types import ModelRequest, ModelResponse, ToolSpec, Usage
from agentrun.models.function import FunctionModel

REQ = ModelRequest(
    "m", "the system", [{"role": "user", "content": "hi"}], [ToolSpec("Read", "d", {})]
)


def test_str_becomes_end_turn_text_and_streams() -> None:
    seen: list[ModelRequest] = []
    deltas: list[str] = []

    def fn(request: ModelRequest) -> str:
        seen.append(request)
        return "hello"

    model = FunctionModel(fn)
    response = model.complete(REQ, on_text=deltas.append)
    assert (response.text(), response.stop_reason, deltas) == ("hello", "end_turn", ["hello"])
    assert seen == [REQ]  # system, messages and tools all reach the function
    assert model.calls == 1


def test_scripted_turn_dict() -> None:
    answer = {
        "text": "Reading",
        "tool_calls": [{"name": "Read", "input": {"file_path": "a"}}],
        "usage": {"input_tokens": 5},
    }
    response = FunctionModel(lambda r: answer).complete(REQ)
    assert response.stop_reason == "tool_use"
    assert response.usage == Usage(input_tokens=5)
    assert response.tool_uses() == [
        {
            "type": "tool_use",
            "id": "toolu_script_001_01",
            "name": "Read",
            "input": {"file_path": "a"},
        }
    ]


def test_messages_shape_dict_gets_ids() -> None:
    answer: dict[str, Any] = {"content": [{"type": "tool_use", "name": "Read", "input": {}}]}
    model = FunctionModel(lambda r: answer)
    model.complete(REQ)
    response = model.complete(REQ)
    assert response.stop_reason == "tool_use"
    assert response.content[0]["id"] == "toolu_fn_002_01"


def test_model_response_passes_through() -> None:
    given = ModelResponse([{"type": "text", "text": "x"}], "refusal")
    assert FunctionModel(lambda r: given).complete(REQ) is given


def test_reacts_to_tool_results() -> None:
    def fn(request: ModelRequest) -> Any:
        last = request.messages[-1]["content"]
        if isinstance(last, list) and last[0].get("type") == "tool_result":
            return f"the file says {last[0]['content']}"
        return {"tool_calls": [{"name": "Read", "input": {"file_path": "x"}}]}

    model = FunctionModel(fn)
    first = model.complete(REQ)
    tool_id = first.tool_uses()[0]["id"]
    follow = ModelRequest(
        "m",
        "s",
        [
            *REQ.messages,
            first.to_message(),
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": "42"}],
            },
        ],
    )
    assert model.complete(follow).text() == "the file says 42"


def test_wrong_return_type_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="returned int"):
        FunctionModel(lambda r: 3).complete(REQ)  # type: ignore[arg-type,return-value]


def test_malformed_answer_is_a_model_error_naming_it() -> None:
    model = FunctionModel(lambda r: {"tool_calls": [{"input": {}}]})
    with pytest.raises(ModelError, match=r"answer 1 cannot be read \(KeyError: 'name'\)"):
        model.complete(REQ)
    typo = FunctionModel(lambda r: {"text": "x", "stop_reason": "end_trun"})
    with pytest.raises(ModelError, match="stop_reason 'end_trun' is not one of"):
        typo.complete(REQ)


def test_the_function_cannot_change_the_conversation() -> None:
    def fn(request: ModelRequest) -> str:
        request.messages[0]["content"] = "rewritten"
        request.messages.append({"role": "user", "content": "extra"})
        return "ok"

    request = ModelRequest("m", "s", [{"role": "user", "content": "hi"}])
    FunctionModel(fn).complete(request)
    assert request.messages == [{"role": "user", "content": "hi"}]


def test_each_message_is_copied_once_and_a_replaced_one_again() -> None:
    """Copies are made per new message, not per turn (a per-turn deep copy of the history
    made long sessions quadratic); a message the loop replaced (a merge) is copied afresh."""
    seen: list[ModelRequest] = []

    def fn(request: ModelRequest) -> str:
        seen.append(request)
        return "ok"

    model = FunctionModel(fn)
    first: dict[str, Any] = {"role": "user", "content": "hi"}
    answer: dict[str, Any] = {"role": "assistant", "content": "ok"}
    model.complete(ModelRequest("m", "s", [first]))
    model.complete(ModelRequest("m", "s", [first, answer, {"role": "user", "content": "more"}]))
    merged = {"role": "user", "content": [{"type": "text", "text": "more, merged"}]}
    model.complete(ModelRequest("m", "s", [first, answer, merged]))
    assert seen[1].messages[0] is seen[0].messages[0]  # reused, not copied again
    assert seen[2].messages[1] is seen[1].messages[1]
    assert seen[2].messages[2] == merged and seen[2].messages[2] is not merged
    assert seen[2].messages[2] is not seen[1].messages[2]
