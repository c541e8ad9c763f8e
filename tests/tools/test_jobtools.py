"""BashOutput and KillShell over a real BashSession: real bash, real process trees, real /proc,
the real ``rg`` for filters."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from toolkit import agent_ws

from agentrun.core.types import ToolCall, ToolResult
from agentrun.jail.paths import Workspace
from agentrun.jail.policy import SandboxPolicy
from agentrun.jail.unconfined import UnconfinedSandbox
from agentrun.tools.base import ToolContext
from agentrun.tools.bash import BashTool
from agentrun.tools.jobtools import BashOutputTool, KillShellTool
from agentrun.tools.records import ReadRecords
from agentrun.tools.registry import ToolRunner, build_tools
from agentrun.tools.shell import BashSession
from proctools import live_with_arg, unique_sleep, wait_for

OUT, KILL, BASH = BashOutputTool(), KillShellTool(), BashTool()


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ToolContext]:
    ws = tmp_path / "ws"
    ws.mkdir()
    policy = SandboxPolicy.create(ws, mode="danger-full-access")
    sandbox = UnconfinedSandbox(policy, tmp_dir=tmp_path / "tmp")
    shell = BashSession(sandbox, cwd=ws, tmp_dir=tmp_path / "tmp")
    yield ToolContext(workspace=Workspace(policy), reads=ReadRecords(), shell=shell, strict=True)
    shell.close()
    sandbox.close()


def start(ctx: ToolContext, command: str) -> str:
    result = BASH.run({"command": command, "run_in_background": True}, ctx)
    assert not result.is_error, result.text()
    found = re.match(r"Started in the background as (bash_\d+),", result.text())
    assert found is not None
    job_id = found[1]
    # The Bash result names the id the job tools take, under their parameter names.
    assert f'BashOutput (bash_id "{job_id}") reads' in result.text()
    assert f'KillShell (shell_id "{job_id}") stops' in result.text()
    return job_id


def output(ctx: ToolContext, job_id: str, **extra: str) -> ToolResult:
    return OUT.run({"bash_id": job_id, **extra}, ctx)


def body(result: ToolResult) -> str:
    found = re.search(r"<output>\n(.*)\n</output>$", result.text(), re.S)
    assert found is not None, result.text()
    return found[1]


def status(ctx: ToolContext, job_id: str) -> str:
    found = re.match(r"<status>(\w+)</status>", output(ctx, job_id).text())
    assert found is not None
    return found[1]


def gate_file(tmp_path: Path, name: str) -> tuple[Path, str]:
    """A file the test creates to let the job go on (no sleeps: the job waits for it)."""
    path = tmp_path / name
    return path, f"while [ ! -e {path} ]; do sleep 0.01; done"


def test_new_output_only_then_completed_with_exit_code(ctx: ToolContext, tmp_path: Path) -> None:
    go, wait = gate_file(tmp_path, "go")
    job = start(ctx, f"echo one; echo two >&2; {wait}; echo three; exit 3")
    log = Path(ctx.shell.jobs.get(job).log_path)  # type: ignore[union-attr]
    assert wait_for(lambda: "two" in log.read_text(), timeout=10)
    first = output(ctx, job)
    assert first.text() == "<status>running</status>\n\n<output>\none\ntwo\n</output>"
    second = output(ctx, job)
    assert second.text() == "<status>running</status>\n\n<output>\n(no new output)\n</output>"
    go.touch()
    assert wait_for(lambda: "exited with code" in log.read_text(), timeout=10)
    assert wait_for(lambda: ctx.shell.jobs.get(job).process.poll() is not None, timeout=10)  # type: ignore[union-attr]
    last = output(ctx, job)
    assert not last.is_error
    assert last.text() == (
        "<status>completed</status>\n\n<exit_code>3</exit_code>\n\n<output>\nthree\n</output>"
    )


def test_filter_keeps_matching_lines_and_consumes_the_rest(
    ctx: ToolContext, tmp_path: Path
) -> None:
    go, wait = gate_file(tmp_path, "go")
    job = start(ctx, f"printf 'ok 1\\nERROR a\\nok 2\\nerror b\\n'; {wait}; echo ERROR c")
    log = Path(ctx.shell.jobs.get(job).log_path)  # type: ignore[union-attr]
    assert wait_for(lambda: "error b" in log.read_text(), timeout=10)
    result = output(ctx, job, filter="(?i)^error")
    assert body(result) == "ERROR a\nerror b"
    # The lines the filter left out are gone: the next read starts after them.
    assert body(output(ctx, job)) == "(no new output)"
    go.touch()
    assert wait_for(lambda: "exited with code" in log.read_text(), timeout=10)
    assert body(output(ctx, job, filter="ERROR")) == "ERROR c"


def test_filter_runs_in_rg_not_python_re(ctx: ToolContext, tmp_path: Path) -> None:
    job = start(ctx, "printf 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\\n'")
    log = Path(ctx.shell.jobs.get(job).log_path)  # type: ignore[union-attr]
    assert wait_for(lambda: "exited with code" in log.read_text(), timeout=10)
    # Exponential in a backtracking engine (36 s in Python's re for a shorter line); rg's
    # automaton answers at once.
    result = output(ctx, job, filter="^(a+)+$")
    assert not result.is_error
    assert body(result) == "(no new output)"


def test_bad_filter_is_an_error_for_the_model(ctx: ToolContext) -> None:
    job = start(ctx, "echo hi")
    result = output(ctx, job, filter="(unclosed")
    assert result.is_error
    assert result.text().startswith("filter is not a valid regular expression (")
    huge = output(ctx, job, filter="a" * 10_001)
    assert (huge.is_error, huge.text()) == (True, "filter is over 10,000 characters; shorten it.")
    nul = output(ctx, job, filter="a\0b")
    assert (nul.is_error, nul.text()) == (True, "filter must not contain a NUL character.")


@pytest.mark.parametrize("tool", [OUT, KILL], ids=["BashOutput", "KillShell"])
def test_unknown_id_is_an_error_naming_the_jobs(ctx: ToolContext, tool: object) -> None:
    key = "bash_id" if tool is OUT else "shell_id"
    run = tool.run  # type: ignore[attr-defined]
    none = run({key: "bash_9"}, ctx)
    assert (none.is_error, none.text()) == (
        True,
        "No background job with id 'bash_9'. No job was started. Start one with Bash and "
        "run_in_background: true; its result gives the id.",
    )
    start(ctx, "true")
    again = run({key: "bash_9"}, ctx)
    assert again.is_error and "The background jobs are: bash_1." in again.text()
    assert run({key: ""}, ctx).text() == f"{key} must be the id of a background job, like bash_1."


def test_kill_takes_the_whole_tree_and_is_idempotent(ctx: ToolContext) -> None:
    arg = unique_sleep()
    job = start(ctx, f"sleep {arg} & setsid sleep {arg} & (sleep {arg} &) ; sleep {arg}")
    assert wait_for(lambda: len(live_with_arg(arg)) == 4, timeout=10)
    killed = KILL.run({"shell_id": job}, ctx)
    assert not killed.is_error, killed.text()
    assert killed.text().startswith(f"Killed background job {job} (")
    assert live_with_arg(arg) == []  # no survivor, found in /proc
    assert status(ctx, job) == "killed"
    twice = KILL.run({"shell_id": job}, ctx)
    assert (twice.is_error, twice.text()) == (
        True,
        f"Background job {job} was already killed; nothing was running to kill. Its output "
        "stays readable with BashOutput.",
    )


def test_kill_of_a_finished_job_says_so(ctx: ToolContext) -> None:
    job = start(ctx, "exit 5")
    assert wait_for(lambda: ctx.shell.jobs.get(job).process.poll() is not None, timeout=10)  # type: ignore[union-attr]
    result = KILL.run({"shell_id": job}, ctx)
    assert result.is_error
    assert result.text().startswith(f"Background job {job} had already ended (exit code 5);")


def test_killbash_is_an_alias_for_killshell(ctx: ToolContext) -> None:
    arg = unique_sleep()
    tools = build_tools(["Bash", "KillBash", "BashOutput"])
    assert [t.name for t in tools] == ["Bash", "KillShell", "BashOutput"]
    runner = ToolRunner(tools, ctx, strict=True)
    job = start(ctx, f"sleep {arg}")
    assert wait_for(lambda: len(live_with_arg(arg)) == 1, timeout=10)
    [result] = runner.run_calls([ToolCall("t1", "KillBash", {"shell_id": job})])
    assert not result.is_error, result.text()
    assert live_with_arg(arg) == []


def test_a_log_swapped_for_a_symlink_is_not_followed(ctx: ToolContext, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET " * 50 + "\n")  # any part of it past the old offset shows
    go, wait = gate_file(tmp_path, "go")
    job = start(ctx, f"echo before; {wait}")
    log = Path(ctx.shell.jobs.get(job).log_path)  # type: ignore[union-attr]
    assert wait_for(lambda: "before" in log.read_text(), timeout=10)
    assert body(output(ctx, job)) == "before"
    # The command replaces its own log by a link to a file the runtime could read.
    os.unlink(log)
    os.symlink(secret, log)
    go.touch()
    text = output(ctx, job).text()
    assert "SECRET" not in text


def test_huge_output_is_cut_with_its_end_kept(ctx: ToolContext) -> None:
    job = start(ctx, "head -c 200000 /dev/zero | tr '\\0' x; echo; echo THE END")
    log = Path(ctx.shell.jobs.get(job).log_path)  # type: ignore[union-attr]
    assert wait_for(lambda: "exited with code" in log.read_text(), timeout=10)
    text = body(output(ctx, job))
    assert "bytes of output skipped here" in text
    assert text.endswith("THE END")
    assert len(text) < 31_000


# -- end to end: the real jail, the gate, the loop ---------------------------------------------
def test_jobs_in_the_jail_are_read_and_killed_with_every_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentrun.core.events import InitEvent
    from agentrun.core.types import ModelRequest
    from agentrun.models.function import FunctionModel
    from agentrun.runner.api import run

    ws = agent_ws(tmp_path, monkeypatch, "jobs", "Bash, BashOutput, KillBash")
    arg = unique_sleep()
    seen: list[str] = []
    live: list[list[int]] = []
    all_up: list[bool] = []

    def last_results(request: ModelRequest) -> list[str]:
        content = request.messages[-1]["content"]
        assert isinstance(content, list)
        return [json.dumps(b.get("content")) for b in content if b.get("type") == "tool_result"]

    background = f"echo started; sleep {arg} & setsid sleep {arg} & touch ready; sleep {arg}"
    steps: list[dict[str, Any]] = [
        {"name": "Bash", "input": {"command": background, "run_in_background": True}},
        {"name": "Bash", "input": {"command": "while [ ! -e ready ]; do sleep 0.01; done"}},
        {"name": "BashOutput", "input": {"bash_id": "bash_1"}},
        {"name": "KillShell", "input": {"shell_id": "bash_1"}},
        {"name": "BashOutput", "input": {"bash_id": "bash_1"}},
    ]

    def model(request: ModelRequest) -> dict[str, Any] | str:
        if len(request.messages) > 1:
            seen.extend(last_results(request))
            if len(seen) == 3:  # the job has had time to start its three sleeps: wait for them
                all_up.append(wait_for(lambda: len(live_with_arg(arg)) == 3, timeout=10))
            live.append(live_with_arg(arg))
        if not steps:
            return "done"
        return {"tool_calls": [steps.pop(0)]}

    result = run(
        "go",
        agent="jobs",
        cwd=ws,
        model=FunctionModel(model),
        strict=True,
        allowed_tools=["Bash"],
        permission_mode="acceptEdits",  # `touch ready` is a write
    )
    assert result.subtype == "success", result.result
    assert result.permission_denials == ()
    [init] = [e for e in result.events if isinstance(e, InitEvent)]
    assert init.tools == ("Bash", "BashOutput", "KillShell")  # KillBash is offered as KillShell
    assert (init.sandbox_mode, "landlock" in init.sandbox_enforced) == ("workspace-write", True)
    started, _waited, first, killed, after = seen
    assert "Started in the background as bash_1" in started
    assert "<status>running</status>" in first and "started" in first
    assert "Killed background job bash_1" in killed
    assert "<status>killed</status>" in after
    # Host view, in /proc: three sleeps while it ran (one in its own session), none after
    # KillShell, before the session ended.
    assert all_up == [True] and len(live[2]) == 3
    assert live[3] == [] and live[4] == []
