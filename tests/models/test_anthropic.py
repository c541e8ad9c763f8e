"""The Anthropic adapter through the real SDK against a real local server (FakeAnthropicServer)."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import agentrun.runner.api as api
from agentrun.core.errors import MissingApiKeyError, ModelError
from agentrun.core.pricing import cost_usd
from agentrun.core.types import ModelRequest, Usage
from agentrun.models.anthropic import AnthropicModel, build_params
from agentrun.models.function import FunctionModel
from agentrun.testing.fake_server import Drop, Fail, FakeAnthropicServer
from agentrun.tools.registry import build_tools

KEY = "sk-ant-test-0123456789abcdef"
AGENT = """---
name: reader
description: Reads files.
tools: Read, Glob
---
You are a careful reader of code.
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "app.py").write_text("def main():\n    return 1\n")
    (ws / "reader.md").write_text(AGENT)
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.delenv("ANTHROPIC_MODEL", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    return ws


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    with FakeAnthropicServer() as srv:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", srv.url)
        yield srv


def text(t: str, stop: str = "end_turn") -> dict[str, Any]:
    return {"content": [{"type": "text", "text": t}], "stop_reason": stop}


def read_call(tool_id: str, path: str = "app.py") -> dict[str, Any]:
    return {
        "content": [
            {"type": "text", "text": "Reading."},
            {"type": "tool_use", "id": tool_id, "name": "Read", "input": {"file_path": path}},
        ],
        "stop_reason": "tool_use",
    }


def run(ws: Path, prompt: str = "Read app.py", **kw: Any) -> api.RunResult:
    kw.setdefault("model", "sonnet")
    return api.run(prompt, agent=str(ws / "reader.md"), cwd=ws, strict=True, **kw)


def test_requests_carry_system_tools_cache_markers_and_paired_ids(workspace: Path, server: Any):
    thinking = {"type": "thinking", "thinking": "Let me look.", "signature": "c2lnbmF0dXJl=="}
    redacted = {"type": "redacted_thinking", "data": "RW5jcnlwdGVkIHJlYXNvbmluZw+/=="}
    first = read_call("toolu_A")
    first["content"][:0] = [thinking, redacted]
    server.add(first, text("It returns 1."))
    result = run(workspace)
    assert (result.subtype, result.result, result.num_turns) == ("success", "It returns 1.", 2)

    one, two = (r.body for r in server.requests)
    headers = server.requests[0].headers
    # Newer SDKs send the key as a bearer token, older ones as x-api-key.
    assert KEY in (headers.get("x-api-key") or headers["authorization"])
    assert one["model"] == "claude-sonnet-5-5" and one["stream"] is True
    system = one["system"][0]["text"]
    assert system.startswith("You are a careful reader of code.\n\n<env>\n")
    assert f"Working directory: {workspace.resolve()}\n" in system
    assert "Model: claude-sonnet-5-5\nSandbox: workspace-write." in system
    assert "Network: none." in system.split("</env>")[0]
    assert one["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert [t["name"] for t in one["tools"]] == ["Read", "Glob"]
    assert one["tools"][0]["input_schema"]["required"] == ["file_path"]
    # The schemas go out exactly as the tools define them (Claude Code's), nothing added.
    offered = [{k: v for k, v in t.items() if k != "cache_control"} for t in one["tools"]]
    assert offered == [
        {"name": t.name, "description": t.description, "input_schema": t.input_schema}
        for t in build_tools(["Read", "Glob"])
    ]
    assert "cache_control" not in one["tools"][0]
    assert one["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert one["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Read app.py", "cache_control": {"type": "ephemeral"}}
            ],
        }
    ]
    # The thinking block goes back byte for byte; the tool_result answers the tool_use id.
    assistant, results = two["messages"][1], two["messages"][2]
    assert assistant["content"][:2] == [thinking, redacted]
    assert [b["tool_use_id"] for b in results["content"]] == ["toolu_A"]
    assert "def main" in results["content"][0]["content"]
    assert results["content"][-1]["cache_control"] == {"type": "ephemeral"}
    # At most four breakpoints in any request.
    marks = str(two).count("'cache_control'")
    assert marks <= 4


def test_system_prompt_carries_memory_and_appended_text(workspace: Path, server: Any):
    (workspace / "AGENTS.md").write_text("Run the tests with make test.\n")
    server.add(text("ok"), text("ok"))
    run(workspace, append_system_prompt="Answer in one line.")
    run(workspace, append_system_prompt="Answer in one line.")
    first, second = (r.body["system"] for r in server.requests)
    assert first == second  # the same inputs give the same bytes: the prefix caches
    (block,) = first
    body, env = block["text"].split("\n\n", 1)
    assert body == "You are a careful reader of code."
    assert f"Today's date: {dt.date.today().isoformat()}\n" in env
    assert env.split("</env>", 1)[1] == (
        f"\n\nContents of {workspace.resolve() / 'AGENTS.md'} (project instructions):\n\n"
        "Run the tests with make test.\n\nAnswer in one line."
    )


def assert_tool_results_pair(messages: list[dict[str, Any]]) -> None:
    """Every assistant tool_use is answered, in order, first thing in the next user message."""
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        ids = [b["id"] for b in message["content"] if b["type"] == "tool_use"]
        if ids:
            answers = messages[i + 1]["content"]
            assert [b.get("tool_use_id") for b in answers[: len(ids)]] == ids


def test_second_request_reads_the_first_from_cache(workspace: Path, server: Any):
    two_calls = read_call("toolu_1")
    two_calls["content"].append(
        {"type": "tool_use", "id": "toolu_1b", "name": "Glob", "input": {"pattern": "*.py"}}
    )
    server.add(two_calls, read_call("toolu_2"), text("done"))
    result = run(workspace)
    assert result.subtype == "success"
    for request in server.requests:
        assert_tool_results_pair(request.body["messages"])
        # Breakpoints: the last tool, the system prompt, the newest message and (once there is
        # one) the user message before it; never more than the API's four.
        marks = json.dumps(request.body).count('"cache_control"')
        assert marks == min(4, 2 + len(request.body["messages"]) // 2 + 1), request.body
        assert request.body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
        assert request.body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert len(server.requests[-1].body["messages"]) == 5
    assert result.usage.cache_read_input_tokens > 0
    assert result.usage.cache_creation_input_tokens > 0


def test_usage_matches_reported_cost(workspace: Path, server: Any):
    server.add(read_call("toolu_1"), text("done"))
    result = run(workspace)
    assistant_usages = [e.usage for e in result.events if type(e).__name__ == "AssistantEvent"]
    total = sum(assistant_usages, Usage())
    assert result.usage == total
    assert total.output_tokens > 0 and total.cache_read_input_tokens > 0
    assert result.total_cost_usd == pytest.approx(cost_usd("claude-sonnet-5-5", total))
    expected = (
        total.input_tokens * 2
        + total.cache_creation_input_tokens * 2.5
        + total.cache_read_input_tokens * 0.2
        + total.output_tokens * 10
    ) / 1e6
    assert result.total_cost_usd == pytest.approx(expected)


@pytest.mark.parametrize("status", [529, 408, 409, 503])
def test_retryable_status_then_success(workspace: Path, server: Any, status: int):
    server.add(Fail(status, "Overloaded", retry_after=0.01), text("ok"))
    result = run(workspace)
    assert (result.subtype, result.result) == ("success", "ok")
    assert len(server.requests) == 2


def test_retry_count_is_configurable(workspace: Path, server: Any):
    server.add(Fail(529, "Overloaded", retry_after=0.01), text("never sent"))
    result = run(workspace, max_retries=0)
    assert (result.subtype, len(server.requests)) == ("error_during_execution", 1)
    assert result.result == "Anthropic API error 529: Overloaded"


def test_connection_failures_are_retried_by_the_sdk_only(workspace: Path):
    """A refused or reset connection: the SDK's own retries, never multiplied by ours."""
    attempts = 0
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def reset_every_connection() -> None:
        nonlocal attempts
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            attempts += 1
            conn.recv(65536)
            conn.close()

    threading.Thread(target=reset_every_connection, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    model = AnthropicModel("claude-sonnet-5-5", api_key=KEY, base_url=url, max_retries=1)
    request = ModelRequest("claude-sonnet-5-5", "sys", [{"role": "user", "content": "hi"}])
    try:
        with pytest.raises(ModelError, match="connection failed after 2 attempt"):
            model.complete(request)
    finally:
        listener.close()
    assert attempts == 2


def test_error_event_mid_stream_is_retried(workspace: Path, server: Any):
    server.add(Drop(after=4, error_type="overloaded_error"), text("complete answer"))
    result = run(workspace)
    assert (result.subtype, result.result) == ("success", "complete answer")
    assert len(server.requests) == 2


def test_error_events_mid_stream_end_the_run_with_their_status(workspace: Path, server: Any):
    server.add(*(Drop(after=2, error_type="overloaded_error") for _ in range(3)))
    result = run(workspace)
    assert (result.subtype, result.result) == (
        "error_during_execution",
        "Anthropic API error 529: Overloaded",
    )
    assert len(server.requests) == 3
    server.requests.clear()
    server.add(Drop(after=2, error_type="invalid_request_error", error_message="bad"))
    result = run(workspace)
    assert result.result == "Anthropic API error 400: bad"
    assert len(server.requests) == 1  # not retryable


def test_retries_share_one_budget_and_back_off(workspace: Path, server: Any):
    """The SDK's retries before a stream opens and ours after it breaks come out of the same
    budget (they used to multiply: 9 requests for a budget of 3), and ours wait first."""
    server.add(*(x for _ in range(3) for x in (Fail(529, "busy", retry_after=0.01), Drop(after=2))))
    started = time.monotonic()
    result = run(workspace)  # the default of 2 retries: a budget of 3 attempts
    assert result.subtype == "error_during_execution"
    # attempt 1: 529 (SDK retry) + cut stream; 2: 529 + cut; 3: no SDK retry left, 529
    assert len(server.requests) == 5
    assert time.monotonic() - started >= 0.9 * (0.5 * 0.75 + 1.0 * 0.75)  # two backoffs


def test_429_honours_retry_after(workspace: Path, server: Any):
    server.add(Fail(429, "slow down", retry_after=0.3), text("ok"))
    started = time.monotonic()
    result = run(workspace)
    assert result.subtype == "success"
    assert time.monotonic() - started >= 0.3
    assert len(server.requests) == 2


def test_connection_dropped_mid_stream_is_retried(workspace: Path, server: Any):
    deltas: list[str] = []
    server.add(Drop(after=4), text("complete answer"))
    result = run(workspace, on_event=lambda e: deltas.append(getattr(e, "text", "")))
    assert (result.subtype, result.result) == ("success", "complete answer")
    assert len(server.requests) == 2
    # Live text shows the cut attempt's words, then the whole retried answer (the renderer
    # settles on the final message); the conversation holds only the complete answer.
    assert "".join(deltas) == "This answer never arrives in full" + "complete answer"


def test_final_failure_ends_run_after_saving_transcript(workspace: Path, server: Any):
    server.add(*(Fail(500, "boom", retry_after=0.01) for _ in range(3)))
    result = run(workspace)
    assert (result.subtype, result.is_error) == ("error_during_execution", True)
    assert "500" in result.result and "boom" in result.result
    assert len(server.requests) == 3  # the first try and the SDK's two retries
    saved = workspace.parent / "home" / "sessions" / f"{result.session_id}.jsonl"
    entries = [json.loads(line) for line in saved.read_text().splitlines()]
    assert [e["type"] for e in entries] == ["session", "message", "result"]
    assert entries[1]["message"]["content"] == [{"type": "text", "text": "Read app.py"}]
    assert (entries[-1]["subtype"], entries[-1]["result"]) == (
        "error_during_execution",
        "Anthropic API error 500: boom",
    )


def test_wall_clock_limit_ends_a_slow_api_call(workspace: Path, monkeypatch: pytest.MonkeyPatch):
    release = threading.Event()

    def slow(request: ModelRequest) -> str:
        release.wait(10)
        return "too late"

    with FakeAnthropicServer(model=FunctionModel(slow)) as slow_server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", slow_server.url)
        started = time.monotonic()
        result = run(workspace, timeout_s=0.5)
        elapsed = time.monotonic() - started
        release.set()
    assert (result.subtype, result.is_error, result.num_turns) == ("error_timeout", True, 0)
    assert elapsed < 5  # importing the SDK aside, the deadline ends the call


def test_adapter_closes_and_reopens(server: Any):
    server.add(text("one"), text("two"))
    model = AnthropicModel("claude-sonnet-5-5", api_key=KEY, base_url=server.url)
    request = ModelRequest("claude-sonnet-5-5", "sys", [{"role": "user", "content": "hi"}])
    assert model.complete(request).text() == "one"
    model.close()
    model.close()  # idempotent
    assert model.complete(request).text() == "two"
    model.close()


def test_adapter_raises_model_error_with_status(server: Any):
    server.add(Fail(400, "bad request"))
    model = AnthropicModel("claude-sonnet-5-5", api_key=KEY, base_url=server.url, max_retries=0)
    request = ModelRequest("claude-sonnet-5-5", "sys", [{"role": "user", "content": "hi"}])
    with pytest.raises(ModelError) as info:
        model.complete(request)
    assert info.value.status == 400
    assert "bad request" in str(info.value)


def test_max_tokens_mid_answer_continues(workspace: Path, server: Any):
    server.add(text("The answer is fo", stop="max_tokens"), text("rty-two."))
    result = run(workspace)
    assert (result.subtype, result.result) == ("success", "The answer is forty-two.")
    second = server.requests[1].body["messages"]
    assert second[1]["content"][0]["text"] == "The answer is fo"
    assert second[2]["content"][0]["text"].startswith("Your answer was cut off")


def test_pause_turn_is_sent_back_as_is(workspace: Path, server: Any):
    server.add(text("Searching… ", stop="pause_turn"), text("found it."))
    result = run(workspace)
    assert result.result == "Searching… found it."
    last = server.requests[1].body["messages"][-1]
    assert last["role"] == "assistant"
    assert last["content"][0]["text"] == "Searching… "


@pytest.mark.parametrize("reason", ["refusal", "model_context_window_exceeded"])
def test_refusal_and_full_context_stop(workspace: Path, server: Any, reason: str):
    server.add(text("I can't go on.", stop=reason), text("never sent"))
    result = run(workspace)
    assert (result.subtype, result.stop_reason, result.is_error) == (
        "error_during_execution",
        reason,
        True,
    )
    assert len(server.requests) == 1


def test_missing_key_is_config_error_before_any_request(
    workspace: Path, server: Any, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(MissingApiKeyError):
        run(workspace)
    assert server.requests == []


def test_build_params_marks_at_most_four_breakpoints_and_skips_thinking():
    messages = [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [{"type": "text", "text": "b"}]},
        {"role": "user", "content": [{"type": "text", "text": "c"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "d"},
                {"type": "thinking", "thinking": "t", "signature": "s"},
            ],
        },
    ]
    request = ModelRequest("m", "sys", messages)
    params = build_params(request)
    assert params["messages"][-1]["content"] == [
        {"type": "text", "text": "d", "cache_control": {"type": "ephemeral"}},
        {"type": "thinking", "thinking": "t", "signature": "s"},
    ]
    assert params["messages"][1]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert request.messages[1]["content"][0] == {"type": "text", "text": "b"}  # not mutated
    assert str(params).count("cache_control") == 3  # system + two messages (no tools)
    assert "cache_control" not in str(build_params(request, cache=False))


def test_fake_server_json_answers_and_cache_accounting(server: Any):
    import anthropic

    client = anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0)
    mark = {"type": "ephemeral"}
    system = [{"type": "text", "text": "S" * 400, "cache_control": mark}]
    first = [
        {"role": "user", "content": [{"type": "text", "text": "Q" * 400, "cache_control": mark}]}
    ]
    server.add(text("a1"), text("a2"))
    one = client.messages.create(model="m", max_tokens=5, system=system, messages=first)  # type: ignore[arg-type]
    assert one.content[0].text == "a1"  # type: ignore[union-attr]
    assert (one.usage.cache_read_input_tokens, one.usage.input_tokens) == (0, 0)
    written = one.usage.cache_creation_input_tokens
    assert written and written > 200
    second = [
        {"role": "user", "content": [{"type": "text", "text": "Q" * 400}]},
        {"role": "assistant", "content": [{"type": "text", "text": "a1"}]},
        {"role": "user", "content": [{"type": "text", "text": "more", "cache_control": mark}]},
    ]
    two = client.messages.create(model="m", max_tokens=5, system=system, messages=second)  # type: ignore[arg-type]
    # The whole first request is read from the cache; the new tail is written at the new mark.
    assert two.usage.cache_read_input_tokens == written
    assert two.usage.cache_creation_input_tokens > 0
    assert two.usage.input_tokens == 0
    # Without a breakpoint at the end only the system prefix can be read (as with the real API).
    second[2]["content"][0].pop("cache_control")
    server.add(text("a3"))
    three = client.messages.create(model="m", max_tokens=5, system=system, messages=second)  # type: ignore[arg-type]
    assert 0 < three.usage.cache_read_input_tokens < written
    assert three.usage.input_tokens > 0
    assert server.requests[1].body.get("stream") in (None, False)


USE = {"type": "tool_use", "id": "toolu_X", "name": "Read", "input": {}}
ANSWER = {"type": "tool_result", "tool_use_id": "toolu_X", "content": "x"}
MARK = {"type": "ephemeral"}


@pytest.mark.parametrize(
    ("messages", "system", "error"),
    [
        ([{"role": "assistant", "content": "hi"}], None, "first message must use the user role"),
        (
            [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": []},
                {"role": "user", "content": "b"},
            ],
            None,
            "messages.1: all messages must have non-empty content",
        ),
        (
            [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": [USE]},
                {"role": "user", "content": "b"},
            ],
            None,
            "messages.2: `tool_use` ids were found without `tool_result` blocks "
            "immediately after: toolu_X",
        ),
        (
            [{"role": "user", "content": [ANSWER]}],
            None,
            "unexpected `tool_use_id` found in `tool_result` blocks: toolu_X",
        ),
        (
            [{"role": "user", "content": [{"type": "text", "text": "q", "cache_control": MARK}]}],
            [{"type": "text", "text": f"s{i}", "cache_control": MARK} for i in range(4)],
            "A maximum of 4 blocks with cache_control may be provided. Found 5.",
        ),
    ],
    ids=["assistant-first", "empty-message", "unanswered-tool-use", "stray-result", "five-marks"],
)
def test_fake_server_rejects_what_the_api_rejects(
    server: Any, messages: list[Any], system: Any, error: str
) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=server.url, api_key=KEY, max_retries=0)
    server.add(text("served"))
    extra = {"system": system} if system else {}
    with pytest.raises(anthropic.BadRequestError, match=re.escape(error)):
        client.messages.create(model="m", max_tokens=5, messages=messages, **extra)
    # A rejected request leaves the queued reply for the next one; validate=False lets it by.
    with FakeAnthropicServer([text("lenient")], validate=False) as lenient:
        loose = anthropic.Anthropic(base_url=lenient.url, api_key=KEY, max_retries=0)
        reply = loose.messages.create(model="m", max_tokens=5, messages=messages, **extra)
        assert reply.content[0].text == "lenient"  # type: ignore[union-attr]
    ok = client.messages.create(
        model="m", max_tokens=5, messages=[{"role": "user", "content": "fine"}]
    )
    assert ok.content[0].text == "served"  # type: ignore[union-attr]


def test_a_failing_serving_model_is_reported_not_retried(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the model behind the fake server raises (a script past its end), the client gets
    one 400 naming it, not a dropped connection the SDK retries."""
    from agentrun.models.scripted import ScriptedModel
    from agentrun.testing.fake_server import FakeAnthropicServer

    script = ScriptedModel.from_data({"turns": [{"text": "only turn"}]})
    with FakeAnthropicServer(model=script) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        first = run(workspace)
        second = run(workspace)
    assert first.subtype == "success"
    assert second.subtype == "error_during_execution"
    assert "fake server's model failed" in second.result and "turn 2" in second.result
    assert len(server.requests) == 2


def test_models_made_alike_share_one_client_and_its_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch worker's tasks reuse one SDK client (TLS context, connection pool); a task whose
    environment names another key or URL gets its own, talking to its own server."""
    reply = {"content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}
    request = ModelRequest(
        model="claude-sonnet-4-5", system="", messages=[{"role": "user", "content": "hi"}]
    )
    with FakeAnthropicServer() as one, FakeAnthropicServer() as two:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", one.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-one")
        first, second = AnthropicModel("claude-sonnet-4-5"), AnthropicModel("claude-sonnet-4-5")
        for model in (first, second):
            one.add(reply)
            assert model.complete(request).content[0]["text"] == "hi"
        assert first._client is second._client
        monkeypatch.setenv("ANTHROPIC_BASE_URL", two.url)
        third = AnthropicModel("claude-sonnet-4-5")
        two.add(reply)
        assert third.complete(request).content[0]["text"] == "hi"
        assert third._client is not first._client
        assert (len(one.requests), len(two.requests)) == (2, 1)
