"""Background subagents end to end: ``run_in_background`` / ``background: true`` launches,
the ``<task-notification>`` the parent reads, headless waiting, interrupts, budget, stream-json
and resume. Scripted and function models, the real gate, jail and transcript; ordering is
proved with events, never with sleeps."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from subagentkit import agent, bg_threads, runner_agents, runner_turn, task, wait_for

from agentrun.core.events import AssistantEvent, Event, ResultEvent, SubagentEvent
from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import AgentSession, run
from agentrun.subagent.background import FRAME
from wskit import agents_ws

WAIT_S = 60.0  # generous: a loaded machine still meets it; a broken launch never does

NOTIFICATION = re.compile(
    re.escape(FRAME) + r"<task-notification>\n"
    r"<task-id>(?P<id>agent_\d+)</task-id>\n"
    r"<status>(?P<status>\w+)</status>\n"
    r"<summary>(?P<summary>[^\n]*)</summary>\n"
    r"<result>(?P<result>.*)</result>\n"
    r"<usage><subagent_tokens>(?P<tokens>\d+)</subagent_tokens>"
    r"<tool_uses>(?P<tool_uses>\d+)</tool_uses>"
    r"<duration_ms>(?P<ms>\d+)</duration_ms></usage>\n"
    r"</task-notification>",
    re.S,
)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return agents_ws(tmp_path, monkeypatch, {"a.txt": "hello\n"})


def texts(request: ModelRequest) -> list[str]:
    """Every text and tool result the request's last user message carries."""
    out = []
    for block in request.messages[-1]["content"]:
        if block["type"] == "text":
            out.append(block["text"])
        elif block["type"] == "tool_result":
            content = block["content"]
            out.append(content if isinstance(content, str) else json.dumps(content))
    return out


def notification(request: ModelRequest) -> re.Match[str]:
    found = [m for t in texts(request) if (m := NOTIFICATION.fullmatch(t))]
    assert len(found) == 1, texts(request)
    return found[0]


def test_a_launch_returns_at_once_the_parent_works_on_and_p_waits_for_the_result(
    ws: Path,
) -> None:
    agent(ws, "lead", "Read, Task")
    agent(ws, "reader", "Read", body="You only read files.")
    parent_went_on = threading.Event()
    lead: list[ModelRequest] = []
    child: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You only read files."):
            child.append(request)
            if len(child) == 1:
                # the child cannot go on until the parent has had its next turn: a Task that
                # waited for its child would never get there
                assert parent_went_on.wait(WAIT_S)
                return {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}
            return "a.txt says hello"
        lead.append(request)
        if len(lead) == 1:
            return {"tool_calls": [task("reader", "read a.txt", run_in_background=True)]}
        if len(lead) == 2:
            parent_went_on.set()
            return "I will wait for the reader."
        return "The reader says hello."

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert result.subtype == "success", result.result
    assert result.result == "The reader says hello."  # the run went on after the notification
    assert len(lead) == 3
    [launched] = texts(lead[1])
    assert "agentId: agent_1" in launched and "background" in launched
    note = notification(lead[2])
    assert note["id"] == "agent_1"
    assert note["status"] == "completed"
    assert note["summary"] == 'Agent "run reader" finished'
    assert note["result"] == "a.txt says hello"
    assert note["tool_uses"] == "1"
    assert not bg_threads()


def test_background_true_in_the_agent_file_forces_the_background(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "bg", "Read", body="You are bg.", background="true")
    lead: list[ModelRequest] = []
    release = threading.Event()

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You are bg."):
            assert release.wait(WAIT_S)
            return "bg done"
        lead.append(request)
        if len(lead) == 1:
            return {"tool_calls": [task("bg")]}  # the call does not ask for the background
        release.set()
        return "waiting" if len(lead) == 2 else "finished"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert result.result == "finished"
    assert "agentId: agent_1" in texts(lead[1])[0]
    assert notification(lead[2])["result"] == "bg done"


def test_a_failing_child_is_told_as_failed(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "short", "Read", body="You are short.", maxTurns="1")
    lead: list[ModelRequest] = []
    parent_went_on = threading.Event()

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You are short."):
            # it ends only once the parent is past its launch turn: its notification is
            # then in the parent's third request, never already in the second
            assert parent_went_on.wait(WAIT_S)
            return {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}
        lead.append(request)
        if len(lead) == 1:
            return {"tool_calls": [task("short", run_in_background=True)]}
        parent_went_on.set()
        return "noted" if len(lead) == 3 else "waiting"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert result.result == "noted"
    note = notification(lead[2])
    assert note["status"] == "failed"
    assert note["summary"].startswith('Agent "run short" failed: error_max_turns')
    assert note["result"] == ""


def test_task_output_non_blocking_timeout_and_blocking(ws: Path) -> None:
    agent(ws, "lead", "Task, TaskOutput")
    agent(ws, "slow", "Read", body="You are slow.")
    release = threading.Event()
    lead: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You are slow."):
            assert release.wait(WAIT_S)
            return "slow result"
        lead.append(request)
        n = len(lead)
        if n == 1:
            return {"tool_calls": [task("slow", run_in_background=True)]}
        if n == 2:
            return {
                "tool_calls": [
                    {"name": "TaskOutput", "input": {"task_id": "agent_1", "block": False}}
                ]
            }
        if n == 3:
            # an old name; a short wait that times out while the child is held
            return {
                "tool_calls": [
                    {"name": "AgentOutputTool", "input": {"task_id": "agent_1", "timeout": 50}}
                ]
            }
        if n == 4:
            release.set()
            return {"tool_calls": [{"name": "TaskOutput", "input": {"task_id": "agent_1"}}]}
        return "done"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert result.result == "done", result.result
    [now] = texts(lead[2])
    assert "<status>running</status>" in now and "retrieval_status" not in now
    [timed_out] = texts(lead[3])
    assert "<status>running</status>" in timed_out
    assert "<retrieval_status>timeout</retrieval_status>" in timed_out
    blocked = texts(lead[4])[0]
    assert "<status>completed</status>" in blocked
    assert "<output>slow result</output>" in blocked
    # the notification still comes, in the same request (the agent had ended by then)
    assert notification(lead[4])["result"] == "slow result"
    assert len(lead) == 5


def test_task_output_errors_are_for_the_model(ws: Path) -> None:
    agent(ws, "lead", "Task, TaskOutput")
    lead: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        lead.append(request)
        calls = [
            {"task_id": "agent_9"},
            {"task_id": "agent_1", "timeout": 10**9},
            {"task_id": "agent_1", "block": "yes"},
        ]
        if len(lead) <= len(calls):
            return {"tool_calls": [{"name": "TaskOutput", "input": calls[len(lead) - 1]}]}
        return "done"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer))
    assert result.result == "done"
    said = [texts(r)[0] for r in lead[1:]]
    assert "No background job with id 'agent_9'" in said[0]
    assert "600000" in said[1]
    assert "block" in said[2]


def test_kill_shell_stops_a_background_agent(ws: Path) -> None:
    agent(ws, "lead", "Task, KillShell")
    agent(ws, "slow", "Read", body="You are slow.")
    release, in_call = threading.Event(), threading.Event()
    child: list[ModelRequest] = []
    lead: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You are slow."):
            child.append(request)
            in_call.set()
            assert release.wait(WAIT_S)
            if len(child) > 1:
                return "went on after the kill"  # (a child that went on would end here)
            return {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}
        lead.append(request)
        if len(lead) == 1:
            return {"tool_calls": [task("slow", run_in_background=True)]}
        if len(lead) == 2:
            assert in_call.wait(WAIT_S)  # killed while its first model call is under way
            return {"tool_calls": [{"name": "KillShell", "input": {"shell_id": "agent_1"}}]}
        release.set()
        return "waiting" if len(lead) == 3 else "it was stopped"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert result.result == "it was stopped"
    [killed] = texts(lead[2])
    assert killed.startswith("Stopped background agent agent_1")
    note = notification(lead[3])
    assert note["status"] == "killed"
    assert note["summary"] == 'Agent "run slow" was stopped'
    assert len(child) == 1  # no model call after the kill


def test_interrupt_kills_the_background_agent_and_its_jailed_command(ws: Path) -> None:
    runner_agents(ws)
    lead: list[ModelRequest] = []
    marker = f"sleep {4000 + os.getpid() % 1000}.5"

    def answer(request: ModelRequest) -> Any:
        if (child := runner_turn(request, marker)) is not None:
            return child
        lead.append(request)
        if len(lead) == 1:
            return {"tool_calls": [task("runner", run_in_background=True)]}
        return "waiting" if len(lead) == 2 else "told"

    session = AgentSession(
        agent="lead", cwd=ws, model=FunctionModel(answer), permission_mode="bypassPermissions"
    )
    try:

        def interrupt_once_running() -> None:
            wait_for(ws / "started", WAIT_S)
            session.interrupt()

        stopper = threading.Thread(target=interrupt_once_running)
        stopper.start()
        first = session.send("go")  # waits for the child at its turn's end, until interrupted
        stopper.join()
        assert (ws / "started").exists()
        assert first.stop_reason == "interrupted"
        background = session._rt.task_tool.delegation.background  # type: ignore[union-attr]
        assert background is not None
        entry = background.get("agent_1")
        assert entry is not None and entry.done.wait(WAIT_S)
        assert entry.status == "killed"
        # the REPL way: its notification comes with the next prompt
        second = session.send("and now?")
        assert second.result == "told"
        assert notification(lead[-1])["status"] == "killed"
    finally:
        session.close()
    assert not bg_threads()
    assert not sleepers(marker)


def sleepers(marker: str) -> list[int]:
    """The processes whose command line runs ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmdline and "touch" not in cmdline:
                found.append(int(entry.name))
    return found


def test_closing_the_session_stops_a_running_background_agent(ws: Path) -> None:
    runner_agents(ws)
    marker = f"sleep {5000 + os.getpid() % 1000}.5"

    def answer(request: ModelRequest) -> Any:
        if (child := runner_turn(request, marker)) is not None:
            return child
        if len(request.messages) == 1:
            return {"tool_calls": [task("runner", run_in_background=True)]}
        return "back to the user"

    session = AgentSession(
        agent="lead", cwd=ws, model=FunctionModel(answer), permission_mode="bypassPermissions"
    )
    session.wait_background = False  # the REPL: the prompt comes back while it runs
    try:
        result = session.send("go")
        assert result.result == "back to the user"
        wait_for(ws / "started", WAIT_S)
        assert bg_threads()  # still running after the prompt came back
    finally:
        session.close()
    assert not bg_threads()
    assert not sleepers(marker)


DOLLAR = {"input_tokens": 0, "output_tokens": 100_000}  # $1.00 at the sonnet alias's price
FREE = {"input_tokens": 0, "output_tokens": 0}


def test_the_runs_budget_stops_a_background_child_and_counts_its_cost(ws: Path) -> None:
    agent(ws, "lead", "Task, Read")
    agent(ws, "spender", "Read")
    read = {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}], "usage": DOLLAR}
    model = ScriptedModel.from_data(
        {
            "turns": [
                {"tool_calls": [task("spender", run_in_background=True)], "usage": DOLLAR},
                {"text": "waiting", "usage": FREE},
                {"text": "never reached", "usage": FREE},
            ],
            "agents": {
                "spender": {"turns": [read, read, read, {"text": "spent", "usage": DOLLAR}]}
            },
        }
    )
    # the lead spends $1, leaving $1.50: the child stops after its second $1 turn; its $2 then
    # count toward the run's limit, which stops the lead before another request
    result = run("go", agent="lead", cwd=ws, model=model, max_budget_usd=2.5)
    assert result.subtype == "error_max_budget_usd"
    assert result.total_cost_usd == pytest.approx(3.0)
    assert result.num_turns == 2
    path = Path(os.environ["AGENTRUN_HOME"]) / "sessions" / f"{result.session_id}.jsonl"
    told = [m for m in NOTIFICATION.finditer(path.read_text().replace("\\n", "\n"))]
    assert [m["status"] for m in told] == ["failed"]
    assert "error_max_budget_usd" in told[0]["summary"]


def test_stream_json_tags_transcript_and_resume(ws: Path) -> None:
    agent(ws, "lead", "Read, Task")
    agent(ws, "reader", "Read", body="You only read files.")
    events: list[Event] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You only read files."):
            if len(request.messages) == 1:
                return {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}
            return "a.txt says hello"
        if len(request.messages) == 1:
            return {"tool_calls": [task("reader", run_in_background=True)]}
        return "waiting" if "task-notification" not in json.dumps(request.messages) else "told"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), on_event=events.append)
    assert result.result == "told"
    [task_call_id] = {
        b["id"]
        for e in events
        if isinstance(e, AssistantEvent)
        for b in e.message["content"]
        if b["type"] == "tool_use" and b["name"] == "Task"
    }
    subs = [e for e in events if isinstance(e, SubagentEvent)]
    lines = [line for e in subs if (line := e.stream_json()) is not None]
    assert [line["type"] for line in lines] == ["assistant", "user", "assistant"]
    assert {line["parent_tool_use_id"] for line in lines} == {task_call_id}
    path = Path(os.environ["AGENTRUN_HOME"]) / "sessions" / f"{result.session_id}.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    side = [e for e in entries if e["type"] == "sidechain"]
    assert side and {e["parent_tool_use_id"] for e in side} == {task_call_id}
    with AgentSession(
        agent="lead",
        cwd=ws,
        resume=result.session_id,
        model=ScriptedModel.from_data({"turns": [{"text": "again"}]}),
    ) as resumed:
        history = json.dumps(resumed.messages)
        assert "<task-notification>" in history  # the parent read it: it is its history
        assert "file_path" not in history  # the child's own calls are not
        assert resumed.send("more").result == "again"
        assert not bg_threads()  # a resume restarts nothing


def test_task_rules_hold_for_a_background_launch(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "reader", "Read", body="You only read files.")
    child: list[ModelRequest] = []
    lead: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You only read files."):
            child.append(request)
            return "ran"
        lead.append(request)
        return {"tool_calls": [task("reader", run_in_background=True)]} if len(lead) == 1 else "ok"

    result = run(
        "go",
        agent="lead",
        cwd=ws,
        model=FunctionModel(answer),
        disallowed_tools=["Task(reader)"],
        permission_mode="bypassPermissions",
    )
    assert result.result == "ok"
    assert child == []  # never started
    [said] = texts(lead[1])
    assert "denied" in said and "agentId" not in said


def test_a_background_childs_approval_questions_are_denied(ws: Path) -> None:
    agent(ws, "lead", "Task, Write")
    agent(ws, "writer", "Write", body="You write.")
    asked: list[str] = []
    child: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You write."):
            child.append(request)
            if len(request.messages) == 1:  # each child's first turn
                write = {"file_path": "out.txt", "content": "x"}
                return {"tool_calls": [{"name": "Write", "input": write}]}
            [result] = request.messages[-1]["content"]
            return "could not write" if result.get("is_error") else "wrote"
        if len(request.messages) == 1:
            return {"tool_calls": [task("writer")]}  # the foreground: its Write is asked
        if len(request.messages) == 3:
            return {"tool_calls": [task("writer", run_in_background=True)]}
        return "ok"

    def approver(call: Any, decision: Any) -> str:
        asked.append(call.name)
        return "deny"  # the foreground child is asked (and denied here)

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), approver=approver)
    assert result.result == "ok", result.result
    assert asked == ["Write"]  # the background child's Write was never put to the user ...
    assert not (ws / "out.txt").exists()  # ... and did not run
    assert notification_texts(result.session_id)[-1]["result"] == "could not write"
    assert len(child) == 4  # both children wrote, were refused, and answered


def notification_texts(session_id: str) -> list[re.Match[str]]:
    path = Path(os.environ["AGENTRUN_HOME"]) / "sessions" / f"{session_id}.jsonl"
    found = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if entry["type"] == "message" and entry["message"]["role"] == "user":
            for block in entry["message"]["content"]:
                if block["type"] == "text" and (m := NOTIFICATION.fullmatch(block["text"])):
                    found.append(m)
    return found


def test_concurrent_background_children_share_the_runs_budget(ws: Path) -> None:
    agent(ws, "lead", "Task, Read")
    agent(ws, "spender1", "Read")
    agent(ws, "spender2", "Read")
    read = {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}], "usage": DOLLAR}
    spend = {"turns": [read, read, read, {"text": "spent", "usage": DOLLAR}]}
    launches = [task(name, run_in_background=True) for name in ("spender1", "spender2")]
    model = ScriptedModel.from_data(
        {
            "turns": [
                {"tool_calls": launches, "usage": DOLLAR},
                {"text": "waiting", "usage": FREE},
                {"text": "still waiting", "usage": FREE},
                {"text": "never reached", "usage": FREE},
            ],
            "agents": {"spender1": spend, "spender2": spend},
        }
    )
    # $1.50 is left after the lead's turn: each child alone would spend $2 of it (one call
    # past the line); together they stop once their $2 between them crosses it
    result = run("go", agent="lead", cwd=ws, model=model, max_budget_usd=2.5)
    assert result.subtype == "error_max_budget_usd"
    assert result.total_cost_usd == pytest.approx(3.0)  # every dollar spent is counted
    path = Path(os.environ["AGENTRUN_HOME"]) / "sessions" / f"{result.session_id}.jsonl"
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    answers = [
        e
        for e in entries
        if e["type"] == "sidechain"
        and e["entry"]["type"] == "message"
        and e["entry"]["message"]["role"] == "assistant"
    ]
    assert len(answers) == 2  # two $1 calls between them, not two each


def test_the_deadline_ends_a_wait_for_background_agents_as_a_timeout(ws: Path) -> None:
    agent(ws, "lead", "Task")
    agent(ws, "slow", "Read", body="You are slow.")
    release = threading.Event()

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You are slow."):
            assert release.wait(WAIT_S)  # held until the parent's run has ended
            return "too late"
        if len(request.messages) == 1:
            return {"tool_calls": [task("slow", run_in_background=True)]}
        return "waiting"

    def on_event(event: Event) -> None:
        if isinstance(event, ResultEvent):
            release.set()

    result = run(
        "go", agent="lead", cwd=ws, model=FunctionModel(answer), timeout_s=1.0, on_event=on_event
    )
    assert result.subtype == "error_timeout"
    assert not bg_threads()


def test_a_subagents_own_task_runs_in_the_foreground(ws: Path) -> None:
    agent(ws, "lead", "Task, Read")
    agent(ws, "mid", "Task, Read", body="You are mid.")
    agent(ws, "leaf", "Read", body="You are leaf.", background="true")
    mid: list[ModelRequest] = []

    def answer(request: ModelRequest) -> Any:
        if request.system.startswith("You are leaf."):
            return "leaf answer"
        if request.system.startswith("You are mid."):
            mid.append(request)
            if len(mid) == 1:
                return {"tool_calls": [task("leaf", run_in_background=True)]}
            return "mid answer"
        if len(request.messages) == 1:
            return {"tool_calls": [task("mid", run_in_background=True)]}
        return "waiting" if "task-notification" not in json.dumps(request.messages) else "told"

    result = run("go", agent="lead", cwd=ws, model=FunctionModel(answer), strict=True)
    assert result.result == "told"
    assert texts(mid[1]) == ["leaf answer"]  # its Task's result is the leaf's answer itself
