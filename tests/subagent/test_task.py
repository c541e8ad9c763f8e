"""The Task/Agent tool end to end: scripted (and function) parents and children, real files,
the real gate, the real transcript."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from subagentkit import agent, results_of, task

from agentrun.core.events import AssistantEvent, Event, SubagentEvent
from agentrun.core.pricing import cost_usd, resolve_alias
from agentrun.core.types import ModelRequest, Usage
from agentrun.models.function import FunctionModel
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import AgentSession, RunResult, run
from wskit import agents_ws


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return agents_ws(tmp_path, monkeypatch, {"a.txt": "hello\n"})


def go(
    ws: Path, data: dict[str, Any], *, lead: str = "lead", **options: Any
) -> tuple[RunResult, list[SubagentEvent]]:
    events: list[Event] = []
    options.setdefault("permission_mode", "bypassPermissions")
    result = run(
        "go",
        agent=lead,
        cwd=ws,
        model=ScriptedModel.from_data(data),
        strict=True,
        on_event=events.append,
        **options,
    )
    return result, [e for e in events if isinstance(e, SubagentEvent)]


def test_a_child_runs_its_own_agent_file_and_its_answer_is_the_tool_result(ws: Path) -> None:
    agent(ws, "lead", "Read, Task")
    agent(ws, "reader", "Read, Grep", body="You only read files.")
    seen: list[ModelRequest] = []

    def child(request: ModelRequest) -> Any:
        seen.append(request)
        if len(seen) == 1:
            return {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}
        return "a.txt says hello"

    lead: list[ModelRequest] = []

    def parent(request: ModelRequest) -> Any:
        lead.append(request)
        return {"tool_calls": [task("reader", "read a.txt")]} if len(lead) == 1 else "done"

    result = run(
        "go",
        agent="lead",
        cwd=ws,
        model=FunctionModel(lambda r: child(r) if "only read" in r.system else parent(r)),
        strict=True,
    )
    assert result.subtype == "success", result.result
    first = seen[0]
    assert first.system.startswith("You only read files.")
    assert [m["role"] for m in first.messages] == ["user"]  # a fresh history
    assert first.messages[0]["content"] == [{"type": "text", "text": "read a.txt"}]
    assert [t.name for t in first.tools] == ["Read"]  # Grep: not the parent's
    assert results_of(result) == [("a.txt says hello", False)]
    [result_block] = seen[1].messages[-1]["content"]
    assert result_block["content"].endswith("1\thello")  # its Read ran in the same workspace


def test_task_result_usage_and_transcript(ws: Path) -> None:
    agent(ws, "lead", "Read, Task")
    agent(ws, "reader", "Read")
    child_usage = {"input_tokens": 1000, "output_tokens": 100}
    data = {
        "turns": [
            {"tool_calls": [task("reader", "read a.txt")], "usage": {"input_tokens": 10}},
            {"text": "done", "expect": [{"equals": "a.txt says hello"}]},
        ],
        "agents": {
            "reader": {
                "turns": [
                    {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
                    {"text": "a.txt says hello", "usage": child_usage},
                ]
            }
        },
    }
    result, subs = go(ws, data)
    assert result.subtype == "success", result.result
    assert results_of(result) == [("a.txt says hello", False)]
    assert result.usage.input_tokens == 1010 and result.usage.output_tokens == 100
    sonnet = resolve_alias("sonnet")
    expected = (cost_usd(sonnet, Usage(10)) or 0.0) + (cost_usd(sonnet, Usage(1000, 100)) or 0.0)
    assert expected > 0
    assert result.total_cost_usd == pytest.approx(expected)
    # stream-json: the child's messages carry the Task call's id
    [call, _] = result.tool_calls[0]
    lines = [line for e in subs if (line := e.stream_json()) is not None]
    assert [line["type"] for line in lines] == ["assistant", "user", "assistant"]
    assert {line["parent_tool_use_id"] for line in lines} == {call.id}
    # the transcript keeps them as a sidechain, and a resume leaves them out
    path = Path(ws.parent / "home" / "sessions" / f"{result.session_id}.jsonl")
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    side = [e for e in entries if e["type"] == "sidechain"]
    assert {e["parent_tool_use_id"] for e in side} == {call.id}
    assert {e["agent"] for e in side} == {"reader"}
    assert [e["entry"]["type"] for e in side] == [
        "message",
        "message",
        "message",
        "message",
        "result",
    ]
    resumed = AgentSession(
        agent="lead",
        cwd=ws,
        resume=result.session_id,
        model=ScriptedModel.from_data({"turns": [{"text": "again"}]}),
    )
    with resumed:
        texts = json.dumps(resumed.messages)
        assert "file_path" not in texts  # the child's calls are not the parent's history
        assert "a.txt says hello" in texts  # its answer, as the Task result, is
        assert resumed.send("more").result == "again"


def test_parallel_task_calls_run_concurrently(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "worker", "Read", body="You work.")
    both = threading.Barrier(2, timeout=60)  # serial children would leave one waiting: broken
    answered = {"lead": 0}

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You work."):
            both.wait()
            return "worked"
        answered["lead"] += 1
        if answered["lead"] == 1:
            return {"tool_calls": [task("worker", "one"), task("worker", "two")]}
        return "done"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert result.subtype == "success", result.result
    assert results_of(result) == [("worked", False), ("worked", False)]


def test_a_child_never_gets_more_tools_than_its_parent(ws: Path) -> None:
    agent(ws, "lead", "Read, Task")
    agent(ws, "greedy", "Read, Write, Bash, Edit")
    data = {
        "turns": [{"tool_calls": [task("greedy")]}, {"text": "done"}],
        "agents": {
            "greedy": {
                "turns": [
                    {
                        "tool_calls": [
                            {"name": "Write", "input": {"file_path": "x.txt", "content": "x"}},
                            {"name": "Bash", "input": {"command": "echo hi > y.txt"}},
                        ],
                    },
                    {
                        "text": "could not",
                        "expect": [
                            {"is_error": True, "contains": "Available tools: Read."},
                            {"is_error": True, "contains": 'No tool named "Bash"'},
                        ],
                    },
                ]
            }
        },
    }
    result, _subs = go(ws, data)
    assert result.subtype == "success", result.result
    assert results_of(result) == [("could not", False)]
    assert not (ws / "x.txt").exists() and not (ws / "y.txt").exists()


def test_model_inherit_and_alias(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "inheritor", "Read", model="inherit")
    agent(ws, "cheap", "Read", model="haiku")
    data = {
        "model": "opus",
        "turns": [
            {"tool_calls": [task("inheritor"), task("cheap"), task("inheritor", model="sonnet")]},
            {"text": "done"},
        ],
        "agents": {
            n: {"turns": [{"text": n, "usage": {"output_tokens": 1000}}]}
            for n in ("inheritor", "cheap")
        },
    }
    result, subs = go(ws, data)
    assert result.subtype == "success", result.result
    models = {(e.agent, e.event.model) for e in subs if isinstance(e.event, AssistantEvent)}
    assert models == {
        ("inheritor", resolve_alias("opus")),  # the parent's
        ("cheap", resolve_alias("haiku")),  # its file's alias
        ("inheritor", resolve_alias("sonnet")),  # the call's model wins
    }
    spent = [resolve_alias(a) for a in ("opus", "haiku", "sonnet")]
    expected = sum(cost_usd(m, Usage(0, 1000)) or 0.0 for m in spent)
    assert result.total_cost_usd == pytest.approx(expected)


def test_a_failing_child_is_the_parents_error_result_and_the_run_goes_on(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "short", "Read", maxTurns="1")
    agent(ws, "broken", "Read")
    data = {
        "turns": [
            {"tool_calls": [task("short"), task("broken"), task("nobody")]},
            {"text": "carried on"},
        ],
        "agents": {
            "short": {
                "turns": [
                    {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]},
                    {"text": "never"},
                ]
            },
            "broken": {
                "turns": [{"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}]
            },
        },
    }
    result, _subs = go(ws, data)
    assert result.subtype == "success" and result.result == "carried on"
    [(short, e1), (broken, e2), (nobody, e3)] = results_of(result)
    assert e1 and "The short agent stopped without finishing (error_max_turns)" in short
    assert e2 and "(error_during_execution)" in broken and "only 1 turn" in broken
    assert e3 and nobody.startswith("Agent type 'nobody' not found. Available agents: ")


def test_depth_limit(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "mid", "Task")
    agent(ws, "leaf", "Task, Read")
    data = {
        "turns": [{"tool_calls": [task("mid")]}, {"text": "done"}],
        "agents": {
            "mid": {"turns": [{"tool_calls": [task("leaf")]}, {"text": "mid done"}]},
            "leaf": {
                "turns": [
                    {
                        "tool_calls": [task("leaf")],
                    },
                    {
                        "text": "leaf done",
                        "expect": [{"is_error": True, "contains": 'No tool named "Task"'}],
                    },
                ]
            },
        },
    }
    result, subs = go(ws, data)
    assert result.subtype == "success", result.result
    assert results_of(result) == [("mid done", False)]
    nested = [e for e in subs if isinstance(e.event, SubagentEvent)]
    assert {e.event.agent for e in nested if isinstance(e.event, SubagentEvent)} == {"leaf"}
    # a grandchild's stream-json line names the Task call that started it, not the top one
    top = result.tool_calls[0][0].id
    ids = {line["parent_tool_use_id"] for e in nested if (line := e.stream_json())}
    assert ids and top not in ids


def test_task_rules_and_an_agents_task_list(ws: Path) -> None:
    agent(ws, "lead", "Task(reader), Read")
    agent(ws, "reader", "Read")
    agent(ws, "writer", "Write")
    data = {
        "turns": [{"tool_calls": [task("writer"), task("reader")]}, {"text": "done"}],
        "agents": {
            "reader": {"turns": [{"text": "read"}]},
            "writer": {"turns": [{"text": "wrote"}]},
        },
    }
    result, _subs = go(ws, data)
    [(writer, e1), (reader, e2)] = results_of(result)
    assert e1 and "this agent may use Task only as Task(reader)" in writer
    assert (reader, e2) == ("read", False)
    # a deny rule names agents too (and Agent(name) covers the Task tool)
    agent(ws, "lead", "Task, Read")
    result, _subs = go(ws, data, disallowed_tools=["Agent(writer)"])
    [(writer, e1), (reader, e2)] = results_of(result)
    assert e1 and "denied by rule Agent(writer)" in writer
    assert (reader, e2) == ("read", False)


def test_the_description_lists_the_agents_it_may_start(ws: Path) -> None:
    agent(ws, "lead", "Agent(reader, helper)")
    agent(ws, "reader", "Read")
    agent(ws, "helper", None)
    agent(ws, "writer", "Write")
    with AgentSession(
        agent="lead", cwd=ws, model=ScriptedModel.from_data({"turns": [{"text": "x"}]})
    ) as s:
        [spec] = s._rt.runner.specs()
    assert spec.name == "Agent"  # the file's name for it
    assert "- reader: The reader agent. (Tools: Read)" in spec.description
    assert "- helper: The helper agent. (Tools: All tools)" in spec.description
    assert "writer" not in spec.description
    assert spec.input_schema["required"] == ["description", "prompt", "subagent_type"]


def test_a_childs_permission_mode_is_never_looser(ws: Path) -> None:
    agent(ws, "lead", "Task, Write")
    agent(ws, "bold", "Write", permissionMode="bypassPermissions")
    agent(ws, "planner", "Write", permissionMode="plan")
    write = {"name": "Write", "input": {"file_path": "out.txt", "content": "x"}}
    data = {
        "turns": [{"tool_calls": [task("bold"), task("planner")]}, {"text": "done"}],
        "agents": {
            "bold": {
                "turns": [
                    {
                        "tool_calls": [write],
                    },
                    {
                        "text": "bold stopped",
                        "expect": [{"is_error": True, "contains": "non-interactive"}],
                    },
                ]
            },
            "planner": {
                "turns": [
                    {
                        "tool_calls": [write],
                    },
                    {
                        "text": "planner stopped",
                        "expect": [{"is_error": True, "contains": "plan mode"}],
                    },
                ]
            },
        },
    }
    # the parent asks (headless: refused), so the bypassPermissions child may not write
    result, _subs = go(ws, data, permission_mode="default")
    assert results_of(result) == [("bold stopped", False), ("planner stopped", False)]
    assert not (ws / "out.txt").exists()
    denied = [d["tool_name"] for d in result.permission_denials]
    assert denied == []  # the children's denials are theirs: the parent's calls all ran


def test_a_childs_asks_go_to_the_parents_approver(ws: Path) -> None:
    agent(ws, "lead", "Task, Write")
    agent(ws, "writer", "Write")
    asked: list[str] = []

    def approver(call: Any, decision: Any) -> str:
        asked.append(call.name)
        return "allow"

    data = {
        "turns": [{"tool_calls": [task("writer")]}, {"text": "done"}],
        "agents": {
            "writer": {
                "turns": [
                    {
                        "tool_calls": [
                            {"name": "Write", "input": {"file_path": "out.txt", "content": "x"}}
                        ]
                    },
                    {"text": "wrote"},
                ]
            }
        },
    }
    result, _subs = go(ws, data, permission_mode="default", approver=approver)
    assert results_of(result) == [("wrote", False)]
    assert asked == ["Write"] and (ws / "out.txt").read_text() == "x"


def test_a_script_without_the_agents_script_is_an_error_result(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "reader", "Read")
    result, _ = go(ws, {"turns": [{"tool_calls": [task("reader")]}, {"text": "done"}]})
    [(text, is_error)] = results_of(result)
    assert is_error and "no 'agents' entry for 'reader'" in text


@pytest.mark.parametrize(
    "agents, message",
    [
        ({"x": {}}, "agent 'x''s script has no 'turns' list"),
        ({"x": {"turns": []}}, "'turns' is empty"),
        ({"x": {"turns": [], "y": 1}}, "unknown key 'y'"),
        ([1], "'agents' must be a mapping"),
    ],
)
def test_script_agents_errors(agents: Any, message: str) -> None:
    from agentrun.core.errors import ScriptFormatError

    with pytest.raises(ScriptFormatError, match=message):
        ScriptedModel.from_data({"turns": [{"text": "x"}], "agents": agents})


def test_the_parents_rules_and_limits_hold_in_the_child(ws: Path) -> None:
    agent(ws, "lead", "Task, Write, Bash(git status:*)")
    agent(ws, "child", "Write, Bash")
    data = {
        "turns": [{"tool_calls": [task("child")]}, {"text": "done"}],
        "agents": {
            "child": {
                "turns": [
                    {
                        "tool_calls": [
                            {"name": "Write", "input": {"file_path": "secret.txt", "content": "x"}},
                            {"name": "Bash", "input": {"command": "echo hi > bash.txt"}},
                            {"name": "Write", "input": {"file_path": "ok.txt", "content": "ok"}},
                        ]
                    },
                    {
                        "text": "tried",
                        "expect": [
                            {"is_error": True, "contains": "denied by rule Write(secret.txt)"},
                            {"is_error": True, "contains": "only as Bash(git status:*)"},
                            {"is_error": False},
                        ],
                    },
                ]
            }
        },
    }
    # the session's deny rule and the lead's own Bash limit are not in the child's file
    result, _ = go(ws, data, disallowed_tools=["Write(secret.txt)"])
    assert results_of(result) == [("tried", False)]
    assert not (ws / "secret.txt").exists() and not (ws / "bash.txt").exists()
    assert (ws / "ok.txt").read_text() == "ok"


def test_the_parents_deadline_stops_the_child(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "slow", "Read", body="You are slow.")
    child_calls: list[float] = []
    started = time.monotonic()

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You are slow."):
            child_calls.append(time.monotonic())
            while time.monotonic() < started + 3:  # past the parent's 0.5 s deadline
                time.sleep(0.05)
            if len(child_calls) == 5:
                return "gave up"  # (a child that went on would stop here)
            return {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}
        return {"tool_calls": [task("slow")]}

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), timeout_s=0.5)
    assert result.subtype == "error_timeout"
    assert len(child_calls) == 1  # no model call after the deadline
