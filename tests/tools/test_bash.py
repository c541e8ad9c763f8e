"""BashTool: Claude Code's Bash schema, input handling, and the run through a real BashSession."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from agentrun.core.errors import SandboxUnavailableError
from agentrun.core.protocols import SpawnedProcess
from agentrun.core.types import ToolResult
from agentrun.jail.paths import Workspace
from agentrun.jail.policy import SandboxPolicy
from agentrun.jail.unconfined import UnconfinedSandbox
from agentrun.tools.base import ToolContext
from agentrun.tools.bash import BashTool, _timeout_ms
from agentrun.tools.records import ReadRecords
from agentrun.tools.shell import BashSession
from wskit import new_ws


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return new_ws(tmp_path)


@pytest.fixture
def ctx(tmp_path: Path, ws: Path) -> Iterator[ToolContext]:
    policy = SandboxPolicy.create(ws, mode="danger-full-access")
    sandbox = UnconfinedSandbox(policy, tmp_dir=tmp_path / "tmp")
    shell = BashSession(sandbox, cwd=ws, tmp_dir=tmp_path / "tmp")
    yield ToolContext(workspace=Workspace(policy), reads=ReadRecords(), shell=shell)
    shell.close()
    sandbox.close()


def test_name_schema_and_flags_are_claude_codes() -> None:
    tool = BashTool()
    assert (tool.name, tool.read_only) == ("Bash", False)
    schema = tool.input_schema
    assert schema["required"] == ["command"]
    assert schema["additionalProperties"] is False
    assert {name: prop["type"] for name, prop in schema["properties"].items()} == {
        "command": "string",
        "timeout": "number",
        "description": "string",
        "run_in_background": "boolean",
    }
    assert "600000" in schema["properties"]["timeout"]["description"]


def test_description_tells_the_model_what_it_needs() -> None:
    text = BashTool().description
    for fact in (
        "working directory carries over",
        "120,000",
        "600,000",
        "30,000 characters",
        "run_in_background: true",
        "log file",
        "prefer the Read, Grep, Glob, Edit and Write tools",
    ):
        assert fact in text, fact


def test_runs_the_command_in_the_session(ctx: ToolContext, ws: Path) -> None:
    result = BashTool().run({"command": "echo hi; pwd"}, ctx)
    assert result == ToolResult(f"hi\n{ws}")


def test_description_is_ignored(ctx: ToolContext) -> None:
    plain = BashTool().run({"command": "echo same"}, ctx)
    described = BashTool().run({"command": "echo same", "description": "Print same"}, ctx)
    assert plain == described == ToolResult("same")


def test_non_zero_exit_is_an_error_result(ctx: ToolContext) -> None:
    assert BashTool().run({"command": "echo no >&2; exit 5"}, ctx) == ToolResult(
        "Exit code 5\nno", is_error=True
    )


def test_cd_persists_across_tool_calls(ctx: ToolContext, ws: Path) -> None:
    (ws / "pkg").mkdir()
    BashTool().run({"command": "cd pkg"}, ctx)
    assert BashTool().run({"command": "pwd"}, ctx).content == str(ws / "pkg")


def test_without_a_shell_bash_is_unavailable(ws: Path) -> None:
    bare = ToolContext(workspace=Workspace(SandboxPolicy.create(ws)), reads=ReadRecords())
    assert BashTool().run({"command": "true"}, bare) == ToolResult(
        "Bash is not available in this session.", is_error=True
    )


@pytest.mark.parametrize(
    "command", [None, "", "   ", 42], ids=["missing", "empty", "blank", "not-a-string"]
)
def test_command_must_be_a_non_empty_string(ctx: ToolContext, command: object) -> None:
    payload = {} if command is None else {"command": command}
    assert BashTool().run(payload, ctx) == ToolResult(
        "`command` must be a non-empty string.", is_error=True
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 120_000),
        (5_000, 5_000),
        (1500.2, 1501),
        (600_000, 600_000),
        (600_001, 600_000),
        (10**12, 600_000),
        (0.5, 1),
    ],
    ids=["default", "int", "float-rounds-up", "max", "over-max", "huge", "sub-ms"],
)
def test_timeout_is_clamped_to_the_maximum(value: object, expected: int) -> None:
    assert _timeout_ms(value) == expected


@pytest.mark.parametrize(
    "value",
    [0, -5, "1000", True, math.nan, math.inf, [1000]],
    ids=["zero", "negative", "string", "bool", "nan", "inf", "list"],
)
def test_nonsense_timeouts_are_errors_naming_the_parameter(ctx: ToolContext, value: object) -> None:
    result = BashTool().run({"command": "true", "timeout": value}, ctx)
    assert result.is_error
    assert result.text().startswith("`timeout` must be")
    assert "'" not in result.text() and "True" not in result.text()  # JSON, not Python's repr


def test_timeout_reaches_the_session(ctx: ToolContext) -> None:
    start = time.monotonic()
    result = BashTool().run({"command": "echo early; sleep 30", "timeout": 1200}, ctx)
    assert time.monotonic() - start < 3
    assert result == ToolResult(
        "Command timed out after 1.2 s and was killed, with every process it started.\nearly",
        is_error=True,
    )


def test_context_cancel_interrupts_the_call(ctx: ToolContext) -> None:
    threading.Timer(0.2, ctx.cancel.set).start()
    start = time.monotonic()
    result = BashTool().run({"command": "sleep 30"}, ctx)
    assert time.monotonic() - start < 2
    assert result.is_error
    assert result.text().startswith("Command was interrupted by the user")


def test_background_flag_starts_a_job_with_a_log(ctx: ToolContext) -> None:
    start = time.monotonic()
    result = BashTool().run(
        {"command": "echo from-the-job; sleep 30", "run_in_background": True, "timeout": 1},
        ctx,
    )
    assert time.monotonic() - start < 1
    assert not result.is_error
    log = Path(re.search(r"is written to (\S+\.log):", result.text())[1])
    deadline = time.monotonic() + 3
    while "from-the-job" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.01)
    # The model's way to check on it later: an ordinary Bash call.
    assert BashTool().run({"command": f"cat {log}"}, ctx).content == "from-the-job"


def test_background_flag_must_be_a_boolean(ctx: ToolContext) -> None:
    assert BashTool().run({"command": "true", "run_in_background": "yes"}, ctx) == ToolResult(
        "`run_in_background` must be true or false.", is_error=True
    )


class BrokenJail:
    """The real Sandbox protocol, failing closed the way the kernel jail does."""

    mode = "workspace-write"
    enforced: tuple[str, ...] = ()

    def spawn(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: int
    ) -> SpawnedProcess:
        raise SandboxUnavailableError("user namespaces are disabled", layer="userns")

    def close(self) -> None:
        pass


def test_sandbox_unavailable_is_an_error_result(tmp_path: Path, ws: Path) -> None:
    shell = BashSession(BrokenJail(), cwd=ws, tmp_dir=tmp_path / "tmp")
    ctx = ToolContext(
        workspace=Workspace(SandboxPolicy.create(ws)), reads=ReadRecords(), shell=shell
    )
    result = BashTool().run({"command": "true"}, ctx)
    assert result.is_error
    assert result.text().startswith("Bash cannot run: the sandbox layer 'userns' is not available")
    shell.close()
