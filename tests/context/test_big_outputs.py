"""A big Bash output comes back as a preview plus a file; Read and Grep open that file in the
jail; a symlink planted in its place by a jailed command is not followed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import agentrun.runner.api as api
from agentrun.models.scripted import ScriptedModel

AGENT = """---
name: worker
description: Runs commands.
tools: Bash, Read, Grep
---
You run commands.
"""
FIVE_MB = "seq -f 'line %07g of the big output' 1 180000"  # 180,000 lines of 31 characters: 5.6 MB


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    root = tmp_path / "ws"
    root.mkdir()
    (root / "worker.md").write_text(AGENT)
    return root


def run(ws: Path, turns: list[dict[str, Any]]) -> tuple[api.RunResult, list[str]]:
    results: list[str] = []

    def on_event(event: Any) -> None:
        from agentrun.core.events import ToolResultsEvent

        if isinstance(event, ToolResultsEvent):
            for block in event.content:
                content = block["content"]
                results.append(content if isinstance(content, str) else content[0]["text"])

    model = ScriptedModel.from_data({"turns": turns})
    result = api.run(
        "go",
        agent=str(ws / "worker.md"),
        cwd=ws,
        model=model,
        permission_mode="bypassPermissions",
        on_event=on_event,
    )
    return result, results


def test_five_megabytes_of_bash_output_become_a_preview_and_a_readable_file(ws: Path):
    from agentrun.models.function import FunctionModel

    seen: list[str] = []

    def answer(request: Any) -> dict[str, Any]:
        last = request.messages[-1]["content"]
        if isinstance(last, list) and last and last[0].get("type") == "tool_result":
            body = last[0]["content"]
            seen.append(body if isinstance(body, str) else body[0]["text"])
        if not seen:
            return {"tool_calls": [{"name": "Bash", "input": {"command": FIVE_MB}}]}
        saved = re.search(r"the whole output is saved in (\S+)\. Read it", seen[0])
        assert saved, seen[0]
        path = saved.group(1)
        if len(seen) == 1:
            read = {"file_path": path, "offset": 179_999, "limit": 2}
            return {"tool_calls": [{"name": "Read", "input": read}]}
        if len(seen) == 2:
            grep = {"pattern": "line 0123456 ", "path": path, "output_mode": "content"}
            return {"tool_calls": [{"name": "Grep", "input": grep}]}
        return {"text": "done"}

    result = api.run(
        "go",
        agent=str(ws / "worker.md"),
        cwd=ws,
        model=FunctionModel(answer),
        permission_mode="bypassPermissions",
    )
    assert result.subtype == "success", result.result
    preview = seen[0]
    assert len(preview) < 3_000
    assert preview.startswith("line 0000001 of the big output")
    assert "5,580,000 characters" in preview  # 180,000 lines of 31 characters
    assert "line 0179999 of the big output" in seen[1] and "line 0180000" in seen[1], seen[1]
    assert "line 0123456 of the big output" in seen[2], seen[2]


def test_a_planted_symlink_is_not_followed(ws: Path, tmp_path: Path):
    target = tmp_path / "outside"
    target.mkdir()
    # The jailed command swaps the spill directory for a symlink, then prints a lot.
    command = (
        f'mv "$TMPDIR/tool-outputs" "$TMPDIR/moved" && ln -s {target} "$TMPDIR/tool-outputs"; '
        + FIVE_MB
    )
    turns = [
        {"tool_calls": [{"name": "Bash", "input": {"command": command}}]},
        {"text": "ok"},
    ]
    result, results = run(ws, turns)
    assert result.subtype == "success", result.result
    assert list(target.iterdir()) == []
    assert "characters of output cut here" in results[0]  # only cut, as before
