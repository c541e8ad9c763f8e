"""The Python API (run, AgentSession, RunResult) and the CLI's exit codes for each limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import agentrun
from agentrun.cli.app import main
from agentrun.core.errors import ConfigError
from agentrun.core.events import InitEvent, ResultEvent, ToolEndEvent
from agentrun.core.types import ModelRequest, ToolCall, Usage
from agentrun.models.function import FunctionModel
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import AgentSession, RunResult
from wskit import RESULT_KEYS, new_ws


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return new_ws(tmp_path, {"app.py": "def main():\n    return 1\n"})


def script(*turns: dict[str, Any]) -> ScriptedModel:
    return ScriptedModel.from_data({"turns": list(turns)})


def write_script(ws: Path, *turns: dict[str, Any]) -> str:
    path = ws.parent / "script.json"
    path.write_text(json.dumps({"turns": list(turns)}))
    return f"script:{path}"


READ = {"tool_calls": [{"name": "Read", "input": {"file_path": "app.py"}}]}


def test_run_returns_everything(ws: Path) -> None:
    model = script(READ, {"expect": [{"contains": "return 1"}], "text": "It returns 1."})
    result = agentrun.run("What does main return?", cwd=ws, model=model, strict=True)
    model.assert_complete()
    assert isinstance(result, RunResult)
    assert (result.subtype, result.is_error, result.result, result.stop_reason) == (
        "success",
        False,
        "It returns 1.",
        "end_turn",
    )
    assert result.num_turns == 2 and result.total_cost_usd == 0.0 and result.usage == Usage()
    init = result.events[0]
    assert isinstance(init, InitEvent)
    assert (init.session_id, init.cwd, init.agent) == (
        result.session_id,
        str(ws.resolve()),
        "backend-specialist",
    )
    assert init.tools == ("Read", "Write", "Edit", "Bash", "Glob", "Grep")
    assert isinstance(result.events[-1], ResultEvent)
    assert [c.name for c, _ in result.tool_calls] == ["Read"]
    transcript = ws.parent / "home" / "sessions" / f"{result.session_id}.jsonl"
    kinds = [json.loads(line)["type"] for line in transcript.read_text().splitlines()]
    assert kinds == ["session", "message", "message", "message", "message", "result"]


def test_stream_json_lines_have_design_md_fields(ws: Path) -> None:
    model = script(READ, {"text": "It returns 1.", "usage": {"output_tokens": 7}})
    result = agentrun.run("go", cwd=ws, model=model, permission_mode="acceptEdits")
    lines = [line for e in result.events if (line := e.stream_json()) is not None]
    assert [(line["type"], line.get("subtype")) for line in lines] == [
        ("system", "init"),
        ("assistant", None),
        ("user", None),
        ("assistant", None),
        ("result", "success"),
    ]
    init, call, results, answer, final = lines
    assert list(init) == [
        "type",
        "subtype",
        "session_id",
        "cwd",
        "model",
        "tools",
        "permissionMode",
        "agent",
        "sandbox",
        "mcp_servers",
    ]
    assert (init["permissionMode"], init["model"], init["cwd"]) == (
        "acceptEdits",
        "claude-sonnet-5-5",
        str(ws.resolve()),
    )
    assert list(init["sandbox"]) == ["mode", "enforced"]
    assert init["sandbox"]["mode"] == "workspace-write"
    assert answer == {
        "type": "assistant",
        "message": {
            "id": "msg_script_002",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-5-5",
            "content": [{"type": "text", "text": "It returns 1."}],
            "stop_reason": "end_turn",
            "usage": Usage(output_tokens=7).to_dict(),
        },
        "session_id": result.session_id,
    }
    assert call["message"]["content"][0]["type"] == "tool_use"
    assert list(results) == ["type", "message", "session_id"]
    assert results["message"]["role"] == "user"
    assert [b["type"] for b in results["message"]["content"]] == ["tool_result"]
    assert tuple(final) == RESULT_KEYS
    assert (final["result"], final["num_turns"], final["session_id"]) == (
        "It returns 1.",
        2,
        result.session_id,
    )
    assert final["usage"] == Usage(output_tokens=7).to_dict()
    assert final["total_cost_usd"] == pytest.approx(7 * 10 / 1e6)
    assert final["permission_denials"] == []


def test_session_sends_several_prompts_and_totals(ws: Path) -> None:
    seen: list[int] = []

    def fn(request: ModelRequest) -> Any:
        seen.append(len(request.messages))
        return {"text": f"answer {len(seen)}", "usage": {"output_tokens": 1_000_000}}

    with AgentSession(cwd=ws, model=FunctionModel(fn)) as session:
        first = session.send("one")
        second = session.send("two")
        assert (first.result, second.result) == ("answer 1", "answer 2")
        assert first.session_id == second.session_id == session.session_id
        assert seen == [1, 3]  # the second request carries the whole conversation
        assert session.usage == Usage(output_tokens=2_000_000)
        assert session.cost == pytest.approx(20.0)
        assert second.total_cost_usd == pytest.approx(10.0)


def test_resume_and_continue_carry_on_the_same_session(ws: Path) -> None:
    first = agentrun.run("remember 7", cwd=ws, model=script({"text": "noted"}))
    seen: list[list[Any]] = []

    def fn(request: ModelRequest) -> str:
        seen.append(request.messages)
        return "it was 7"

    resumed = agentrun.run("what was it?", cwd=ws, model=FunctionModel(fn), resume=first.session_id)
    assert resumed.session_id == first.session_id
    assert seen[0] == [
        {"role": "user", "content": [{"type": "text", "text": "remember 7"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "noted"}]},
        {"role": "user", "content": [{"type": "text", "text": "what was it?"}]},
    ]
    continued = agentrun.run("again", cwd=ws, model=FunctionModel(fn), continue_session=True)
    assert continued.session_id == first.session_id
    assert len(seen[1]) == 5


def test_unknown_resume_and_nothing_to_continue_are_config_errors(ws: Path) -> None:
    with pytest.raises(ConfigError, match="no session 'nope'"):
        agentrun.run("x", cwd=ws, model=script({"text": "x"}), resume="nope")
    with pytest.raises(ConfigError, match="no saved session to continue"):
        agentrun.run("x", cwd=ws, model=script({"text": "x"}), continue_session=True)


def test_headless_ask_is_denied_listed_and_told(ws: Path) -> None:
    bash = {"tool_calls": [{"name": "Bash", "input": {"command": "touch made"}}]}
    model = script(
        bash, {"expect": [{"is_error": True, "contains": "non-interactive"}], "text": "ok"}
    )
    result = agentrun.run("go", cwd=ws, model=model)
    assert result.subtype == "success"
    assert result.permission_denials == (
        {
            "tool_name": "Bash",
            "tool_use_id": "toolu_script_001_01",
            "tool_input": {"command": "touch made"},
        },
    )
    assert not (ws / "made").exists()


def test_approver_allows(ws: Path) -> None:
    asked: list[str] = []

    def approver(call: ToolCall, reason: str) -> Any:
        asked.append(call.name)
        return "allow"

    write = {"tool_calls": [{"name": "Write", "input": {"file_path": "new.txt", "content": "x"}}]}
    model = script(write, {"expect": [{"is_error": False}], "text": "ok"})
    result = agentrun.run("go", cwd=ws, model=model, approver=approver)
    assert (result.subtype, asked, (ws / "new.txt").read_text()) == ("success", ["Write"], "x")


def test_interrupted_model_call_leaves_session_usable(ws: Path) -> None:
    calls = 0

    def fn(request: ModelRequest) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyboardInterrupt
        return "back"

    with AgentSession(cwd=ws, model=FunctionModel(fn)) as session:
        interrupted = session.send("one")
        assert (interrupted.subtype, interrupted.stop_reason) == (
            "error_during_execution",
            "interrupted",
        )
        assert session.send("two").result == "back"


def test_tool_end_events_carry_results(ws: Path) -> None:
    model = script(READ, {"text": "ok"})
    result = agentrun.run("go", cwd=ws, model=model)
    (end,) = [e for e in result.events if isinstance(e, ToolEndEvent)]
    assert "return 1" in end.result.text() and end.duration_ms >= 0


# -- limits through the CLI: each its subtype and exit code -------------------------------------


def cli_json(
    ws: Path, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, dict[str, Any]]:
    code = main(["-p", "go", "--cwd", str(ws), "--output-format", "json", *argv])
    return code, json.loads(capsys.readouterr().out)


def test_cli_max_turns(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_script(ws, READ, READ, READ)
    code, out = cli_json(ws, capsys, "--model", spec, "--max-turns", "2")
    assert (code, out["subtype"], out["is_error"], out["num_turns"]) == (
        1,
        "error_max_turns",
        True,
        2,
    )


def test_cli_budget(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    costly = {**READ, "usage": {"input_tokens": 1_000_000}}
    spec = write_script(ws, costly, costly, costly)
    code, out = cli_json(ws, capsys, "--model", spec, "--max-budget-usd", "3")
    assert (code, out["subtype"], out["total_cost_usd"]) == (1, "error_max_budget_usd", 4.0)


def test_budget_on_a_model_without_a_price_is_a_config_error(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ScriptedModel.from_data({"model": "claude-mystery-1", "turns": [{"text": "x"}]})
    with pytest.raises(ConfigError, match="price of model 'claude-mystery-1' is unknown"):
        agentrun.run("go", cwd=ws, model=model, max_budget_usd=1.0)
    assert model.used == 0
    assert agentrun.run("go", cwd=ws, model=model).total_cost_usd is None  # no budget: it runs
    path = ws.parent / "mystery.json"
    path.write_text(json.dumps({"model": "claude-mystery-1", "turns": [{"text": "x"}]}))
    code = main(
        ["-p", "go", "--cwd", str(ws), "--model", f"script:{path}", "--max-budget-usd", "1"]
    )
    assert code == 2
    assert "--max-budget-usd cannot be enforced" in capsys.readouterr().err


def test_cli_wall_clock(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sleep = {"tool_calls": [{"name": "Bash", "input": {"command": "sleep 20"}}]}
    spec = write_script(ws, sleep, {"text": "never"})
    code, out = cli_json(
        ws, capsys, "--model", spec, "--timeout", "0.5", "--permission-mode", "bypassPermissions"
    )
    assert (code, out["subtype"], out["is_error"]) == (1, "error_timeout", True)
    assert out["duration_ms"] < 10_000


def test_cli_script_exhausted_and_success(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli_json(ws, capsys, "--model", write_script(ws, READ))
    assert (code, out["subtype"]) == (1, "error_during_execution")
    assert "asked for turn 2" in out["result"]
    code, out = cli_json(ws, capsys, "--model", write_script(ws, {"text": "fine"}))
    assert (code, out["subtype"], out["result"]) == (0, "success", "fine")


def test_cli_bad_script_is_exit_2(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = ws.parent / "bad.yaml"
    bad.write_text("turns:\n  - txt: hi\n")
    assert main(["-p", "go", "--cwd", str(ws), "--model", f"script:{bad}"]) == 2
    assert f"{bad}:2:" in capsys.readouterr().err


def test_cli_missing_key_is_exit_2(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-p", "go", "--cwd", str(ws), "--model", "sonnet"]) == 2
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().err


def test_an_empty_answer_leaves_next_send_valid(ws: Path) -> None:
    seen: list[Any] = []

    def fn(request: ModelRequest) -> Any:
        seen.append(request.messages)
        return {"content": []} if len(seen) == 1 else "fine"

    with AgentSession(cwd=ws, model=FunctionModel(fn)) as session:
        assert session.send("one").subtype == "success"
        assert session.send("two").result == "fine"
        session_id = session.session_id
    assert seen[1] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        }
    ]
    resumed: list[Any] = []
    agentrun.run("three", cwd=ws, model=FunctionModel(lambda r: resumed.append(r) or "x"),
                 resume=session_id)  # fmt: skip
    assert [m["role"] for m in resumed[0].messages] == ["user", "assistant", "user"]


def test_refusal_with_a_tool_call_leaves_next_send_valid(ws: Path) -> None:
    from agentrun.core.types import ModelResponse

    seen: list[Any] = []

    def fn(request: ModelRequest) -> Any:
        seen.append(request.messages)
        if len(seen) == 1:
            use = {"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": "x"}}
            return ModelResponse([use], "refusal")
        return "fine"

    with AgentSession(cwd=ws, model=FunctionModel(fn)) as session:
        refused = session.send("one")
        assert (refused.subtype, refused.stop_reason) == ("error_during_execution", "refusal")
        assert session.send("two").result == "fine"
    follow_up = seen[1][2]["content"]
    assert (follow_up[0]["tool_use_id"], follow_up[0]["is_error"]) == ("t1", True)
    assert follow_up[1] == {"type": "text", "text": "two"}


def test_the_agent_files_disallowed_rules_are_enforced(ws: Path) -> None:
    """`disallowedTools: Bash(rm:*)` in the agent file holds like --disallowedTools, even in
    bypassPermissions mode; plain Bash calls still run."""
    agent = ws.parent / "careful.md"
    agent.write_text(
        "---\nname: careful\ndescription: Never deletes.\n"
        "tools: Read, Bash\ndisallowedTools: Bash(rm:*)\n---\nBe careful.\n"
    )
    (ws / "keep.txt").write_text("precious\n")
    model = script(
        {"tool_calls": [{"name": "Bash", "input": {"command": "rm keep.txt"}}]},
        {
            "expect": [{"is_error": True, "contains": "denied"}],
            "tool_calls": [{"name": "Bash", "input": {"command": "echo still here"}}],
        },
        {"expect": [{"is_error": False, "contains": "still here"}], "text": "Kept it."},
    )
    result = agentrun.run(
        "clean up",
        agent=str(agent),
        cwd=ws,
        model=model,
        permission_mode="bypassPermissions",
        sandbox="danger-full-access",
        strict=True,
    )
    model.assert_complete()
    assert result.subtype == "success"
    assert (ws / "keep.txt").read_text() == "precious\n"
    assert [d["tool_input"] for d in result.permission_denials] == [{"command": "rm keep.txt"}]


def test_a_call_to_an_unknown_tool_is_not_a_permission_matter(ws: Path) -> None:
    model = script(
        {"tool_calls": [{"name": "WebFetch", "input": {"url": "https://example.com"}}]},
        {"expect": [{"is_error": True, "contains": "Read"}], "text": "No fetching."},
    )
    result = agentrun.run("fetch", cwd=ws, model=model, strict=True)
    model.assert_complete()
    assert result.subtype == "success" and result.permission_denials == ()
    (call, outcome) = result.tool_calls[0]
    assert call.name == "WebFetch" and "WebFetch" in outcome.text()
    assert "approval" not in outcome.text() and "ermission" not in outcome.text()


def test_a_sessions_directory_given_in_code_is_hidden_from_the_tools(ws: Path) -> None:
    """A custom sessions_root inside the workspace holds transcripts: neither the file tools
    nor jailed Bash may read them (like $AGENTRUN_HOME)."""
    store = ws / "transcripts"
    store.mkdir()
    (store / "old.jsonl").write_text('{"secret": "TRANSCRIPT-SECRET"}\n')
    model = script(
        {"tool_calls": [{"name": "Read", "input": {"file_path": "transcripts/old.jsonl"}}]},
        {
            "expect": [{"is_error": True, "not_contains": "TRANSCRIPT-SECRET"}],
            "tool_calls": [{"name": "Bash", "input": {"command": "cat transcripts/old.jsonl"}}],
        },
        {"expect": [{"not_contains": "TRANSCRIPT-SECRET"}], "text": "Could not read it."},
    )
    result = agentrun.run(
        "read the old transcript",
        cwd=ws,
        model=model,
        permission_mode="bypassPermissions",
        sessions_root=store,
        strict=True,
    )
    model.assert_complete()
    assert result.subtype == "success"
    assert (store / f"{result.session_id}.jsonl").is_file()  # the store itself still works
