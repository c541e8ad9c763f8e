"""The tool specs sent to the model are a contract: byte-identical to the committed snapshot.

Changing a tool's name, description or input schema changes what every model sees. When the
change is deliberate, regenerate the snapshot and add a CHANGELOG line:

    AGENTRUN_UPDATE_SNAPSHOTS=1 python -m pytest tests/tools/test_schemas_snapshot.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from agentrun.cli.app import main
from agentrun.tools.registry import ALL_TOOL_NAMES, build_tools, specs_json, tool_specs

SNAPSHOT = Path(__file__).parent / "snapshots" / "tool_specs.json"
UPDATE_ENV = "AGENTRUN_UPDATE_SNAPSHOTS"

# Claude Code's parameter names for each tool (tool-spec.md), required ones first.
CLAUDE_CODE_PARAMETERS = {
    "Read": (["file_path"], ["offset", "limit"]),
    "Write": (["file_path", "content"], []),
    "Edit": (["file_path", "old_string", "new_string"], ["replace_all"]),
    "Bash": (["command"], ["timeout", "description", "run_in_background"]),
    "Glob": (["pattern"], ["path"]),
    "MultiEdit": (["file_path", "edits"], []),
    "LS": (["path"], ["ignore"]),
    "TodoWrite": (["todos"], []),
    "NotebookEdit": (["notebook_path", "new_source"], ["cell_id", "cell_type", "edit_mode"]),
    "BashOutput": (["bash_id"], ["filter"]),
    "KillShell": (["shell_id"], []),
    "WebFetch": (["url", "prompt"], []),
    "WebSearch": (["query"], ["allowed_domains", "blocked_domains"]),
    "TaskOutput": (["task_id"], ["block", "timeout"]),
    "Grep": (
        ["pattern"],
        [
            "path",
            "glob",
            "type",
            "output_mode",
            "-A",
            "-B",
            "-C",
            "-n",
            "-i",
            "head_limit",
            "offset",
            "multiline",
        ],
    ),
}


# Claude Code's JSON types for every parameter ("number", not "integer", for counts and lines).
CLAUDE_CODE_TYPES = {
    "file_path": "string",
    "edits": "array",
    "ignore": "array",
    "todos": "array",
    "content": "string",
    "old_string": "string",
    "new_string": "string",
    "replace_all": "boolean",
    "command": "string",
    "timeout": "number",
    "description": "string",
    "run_in_background": "boolean",
    "pattern": "string",
    "path": "string",
    "glob": "string",
    "type": "string",
    "output_mode": "string",
    "-A": "number",
    "-B": "number",
    "-C": "number",
    "-n": "boolean",
    "-i": "boolean",
    "head_limit": "number",
    "offset": "number",
    "multiline": "boolean",
    "limit": "number",
    "notebook_path": "string",
    "cell_id": "string",
    "new_source": "string",
    "cell_type": "string",
    "edit_mode": "string",
    "bash_id": "string",
    "filter": "string",
    "shell_id": "string",
    "url": "string",
    "prompt": "string",
    "query": "string",
    "allowed_domains": "array",
    "blocked_domains": "array",
    "task_id": "string",
    "block": "boolean",
}


def current_json() -> str:
    return specs_json(tool_specs(build_tools()))


def test_specs_match_snapshot() -> None:
    actual = current_json().encode("utf-8")
    if os.environ.get(UPDATE_ENV) == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_bytes(actual)
    expected = SNAPSHOT.read_bytes() if SNAPSHOT.exists() else b""
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.decode("utf-8").splitlines(keepends=True),
                actual.decode("utf-8").splitlines(keepends=True),
                fromfile="snapshot (committed)",
                tofile="current (sent to the model)",
            )
        )
        pytest.fail(
            "The tool specs sent to the model differ from tests/tools/snapshots/"
            "tool_specs.json.\nIf the change is deliberate, regenerate with\n"
            f"    {UPDATE_ENV}=1 python -m pytest tests/tools/test_schemas_snapshot.py\n"
            "and add a CHANGELOG line (model-facing text is a contract).\n\n" + diff,
            pytrace=False,
        )


@pytest.mark.parametrize("name", ALL_TOOL_NAMES)
def test_schema_has_claude_codes_parameters(name: str) -> None:
    [tool] = build_tools([name])
    required, optional = CLAUDE_CODE_PARAMETERS[name]
    schema = tool.input_schema
    assert schema["type"] == "object"
    assert schema["required"] == required
    assert set(schema["properties"]) == {*required, *optional}
    assert schema.get("additionalProperties") is False
    assert {k: p["type"] for k, p in schema["properties"].items()} == {
        k: CLAUDE_CODE_TYPES[k] for k in (*required, *optional)
    }
    assert tool.description.strip()


def test_cli_json_prints_the_snapshot_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--json", *ALL_TOOL_NAMES]) == 0
    assert capsys.readouterr().out == current_json()
    assert capsys.readouterr().out == ""


def test_cli_json_adds_the_task_tool_for_the_agents_here(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentrun.agentfile.agentfile import discover_agents
    from agentrun.subagent.spec import task_spec

    monkeypatch.chdir(tmp_path)
    assert main(["tools", "--json"]) == 0
    agents, _ = discover_agents(tmp_path)
    task = task_spec("Task", agents.values())
    assert capsys.readouterr().out == specs_json([*tool_specs(build_tools()), task])
    assert "- backend-specialist: Backend development expert" in task.description


def test_cli_json_subset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--json", "Grep", "Glob"]) == 0
    out = capsys.readouterr().out
    assert out == specs_json(tool_specs(build_tools(["Grep", "Glob"])))
    assert '"name": "Read"' not in out


def test_cli_table_lists_every_tool(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools"]) == 0
    out = capsys.readouterr().out
    for name in (*ALL_TOOL_NAMES, "Task"):
        assert f" {name} " in out
    assert "pattern*" in out and "read-only" in out


def test_cli_unknown_tool_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "Teleport"]) == 2
    assert "unknown tool Teleport" in capsys.readouterr().err


def test_cli_takes_an_old_name_for_the_tool_it_became(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--json", "KillBash", "BashOutput"]) == 0
    out = capsys.readouterr().out
    assert out == specs_json(tool_specs(build_tools(["KillShell", "BashOutput"])))
