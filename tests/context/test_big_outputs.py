"""A big Bash output comes back as a preview plus a file; Read and Grep open that file in the
jail; a symlink planted in its place by a jailed command is not followed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from contextkit import note_result, run_worker

import agentrun.runner.api as api
from agentrun.models.scripted import ScriptedModel
from wskit import new_ws

AGENT = """---
name: worker
description: Runs commands.
tools: Bash, Read, Grep
---
You run commands.
"""
SAVED = re.compile(r"the whole output is saved in (\S+)\. Read it")
FIVE_MB = "seq -f 'line %07g of the big output' 1 180000"  # 180,000 lines of 31 characters: 5.6 MB


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    root = new_ws(tmp_path, {"worker.md": AGENT})
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
    result = run_worker(ws, model=model, on_event=on_event)
    return result, results


def test_five_megabytes_of_bash_output_become_a_preview_and_a_readable_file(ws: Path):
    from agentrun.models.function import FunctionModel

    seen: list[str] = []

    def answer(request: Any) -> dict[str, Any]:
        if not note_result(request, seen):
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

    result = run_worker(ws, model=FunctionModel(answer))
    assert result.subtype == "success", result.result
    preview = seen[0]
    assert len(preview) < 3_000
    assert preview.startswith("line 0000001 of the big output")
    assert "5,580,000 characters" in preview  # 180,000 lines of 31 characters
    assert "line 0179999 of the big output" in seen[1] and "line 0180000" in seen[1], seen[1]
    assert "line 0123456 of the big output" in seen[2], seen[2]


def test_the_spill_directory_cannot_be_swapped_for_a_symlink(ws: Path, tmp_path: Path):
    target = tmp_path / "outside"
    target.mkdir()
    # The jailed command tries to swap the spill directory for a symlink, then prints a lot.
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
    # A mount point cannot be moved: the output went whole to the real directory.
    assert "Device or resource busy" in results[0]
    assert "/tool-outputs/bash-" in results[0] and SAVED.search(results[0])


def test_a_saved_output_is_read_only_to_jailed_commands(ws: Path):
    from agentrun.models.function import FunctionModel

    seen: list[str] = []
    attack = (
        'f="$1"; d=$(dirname "$f"); '
        'echo forged > "$f"; echo $?; '
        'echo more >> "$f"; echo $?; '
        'rm -f "$f"; echo $?; '
        'touch "$d/planted"; echo $?; '
        'ln -s /etc/passwd "$d/link"; echo $?; '
        'chmod 600 "$f"; echo $?; '
        'rm -rf "$d"; echo $?; '
        'mv "$d" "$d.gone"; echo $?'
    )

    def answer(request: Any) -> dict[str, Any]:
        if not note_result(request, seen):
            return {"tool_calls": [{"name": "Bash", "input": {"command": FIVE_MB}}]}
        saved = SAVED.search(seen[0])
        assert saved, seen[0]
        path = saved.group(1)
        if len(seen) == 1:
            command = f"bash -c '{attack}' _ {path} 2>/dev/null"
            return {"tool_calls": [{"name": "Bash", "input": {"command": command}}]}
        if len(seen) == 2:
            write = {"file_path": path, "content": "forged by Write"}
            return {"tool_calls": [{"name": "Write", "input": write}]}
        return {"text": "done"}

    agent = ws / "writer.md"
    agent.write_text(AGENT.replace("tools: Bash, Read, Grep", "tools: Bash, Read, Grep, Write"))
    result = run_worker(ws, agent=agent, model=FunctionModel(answer))
    assert result.subtype == "success", result.result
    saved = SAVED.search(seen[0])
    assert saved
    # Every attempt failed (exit status 1 each), and Write was refused.
    assert [line for line in seen[1].splitlines() if line.strip()] == ["1"] * 8, seen[1]
    assert seen[2].startswith(("Cannot", "Permission", "Access")) or "denied" in seen[2].lower(), (
        seen[2]
    )


def test_a_hundred_thousand_line_grep_is_a_preview_and_a_file_read_in_the_jail(ws: Path):
    from agentrun.models.function import FunctionModel

    lines = "".join(f"needle {i:06d} in the haystack\n" for i in range(100_000))
    (ws / "hay.txt").write_text(lines)
    seen: list[str] = []

    def answer(request: Any) -> dict[str, Any]:
        if not note_result(request, seen):
            grep = {"pattern": "needle", "output_mode": "content", "head_limit": 0}
            return {"tool_calls": [{"name": "Grep", "input": grep}]}
        saved = SAVED.search(seen[0])
        assert saved, seen[0][-500:]
        if len(seen) == 1:
            read = {"file_path": saved.group(1), "offset": 99_999, "limit": 2}
            return {"tool_calls": [{"name": "Read", "input": read}]}
        return {"text": "done"}

    result = run_worker(ws, model=FunctionModel(answer))
    assert result.subtype == "success", result.result
    assert len(seen[0]) < 3_000
    assert seen[0].startswith("hay.txt:1:needle 000000 in the haystack")
    assert "99999\thay.txt:99999:needle 099998" in seen[1], seen[1]
    assert "100000\thay.txt:100000:needle 099999" in seen[1], seen[1]


def test_a_read_of_many_lines_is_a_preview_and_a_file(ws: Path):
    (ws / "long.txt").write_text("".join(f"row {i:05d} " + "x" * 60 + "\n" for i in range(3000)))
    turns = [
        {"tool_calls": [{"name": "Read", "input": {"file_path": "long.txt", "limit": 3000}}]},
        {"text": "ok"},
    ]
    result, results = run(ws, turns)
    assert result.subtype == "success", result.result
    saved = SAVED.search(results[0])
    assert saved, results[0][-300:]
    assert len(results[0]) < 3_000
    whole = Path(saved.group(1))
    assert not whole.exists()  # gone with the session's tmp dir
    # Under Read's own limit the lines stay in the context, as in Claude Code.
    read = {"file_path": "long.txt", "limit": 1000}  # about 19,000 tokens
    turns[0] = {"tool_calls": [{"name": "Read", "input": read}]}
    result, results = run(ws, turns)
    assert "row 00999" in results[0] and SAVED.search(results[0]) is None


def test_the_threshold_is_a_setting(ws: Path):
    # 1,200 lines: about 23,000 characters, past Grep's own cap and under the default threshold
    (ws / "a.txt").write_text("".join(f"match {i}\n" for i in range(1200)))
    grep = {"pattern": "match", "output_mode": "content", "head_limit": 0}
    turns = [{"tool_calls": [{"name": "Grep", "input": grep}]}, {"text": "ok"}]
    outputs = {}
    for chars in (0, 5_000, 30_000):
        results: list[str] = []

        def on_event(event: Any, results: list[str] = results) -> None:
            from agentrun.core.events import ToolResultsEvent

            if isinstance(event, ToolResultsEvent):
                results.append(str(event.content[0]["content"]))

        run_worker(
            ws,
            model=ScriptedModel.from_data({"turns": turns}),
            on_event=on_event,
            max_output_chars=chars,
        )
        outputs[chars] = results[0]
    assert "Output cut at 20,000 characters" in outputs[0]  # no spill: cut, as before
    assert SAVED.search(outputs[5_000]) and len(outputs[5_000]) < 3_000
    assert SAVED.search(outputs[30_000]) is None and "match 1199" in outputs[30_000]


def test_the_threshold_from_the_settings_files(ws: Path):
    from agentrun.core.errors import ConfigError

    (ws / "a.txt").write_text("".join(f"match {i}\n" for i in range(1200)))
    (ws / ".claude").mkdir()
    settings = ws / ".claude" / "settings.json"
    settings.write_text('{"maxOutputChars": 5000}')
    grep = {"pattern": "match", "output_mode": "content", "head_limit": 0}
    result, results = run(ws, [{"tool_calls": [{"name": "Grep", "input": grep}]}, {"text": "ok"}])
    assert result.subtype == "success", result.result
    assert SAVED.search(results[0]) and len(results[0]) < 3_000
    settings.write_text('{"maxOutputChars": "big"}')
    with pytest.raises(ConfigError, match=r"settings.json: maxOutputChars: 'big' is not 0"):
        run(ws, [{"text": "ok"}])


def test_a_big_mcp_result_is_a_preview_and_a_file(ws: Path):
    pytest.importorskip("mcp")
    from mcp.server.mcpserver import MCPServer

    from agentrun.testing.mcp import serve_mcp

    server = MCPServer("big")

    @server.tool()
    def dump(n: int) -> str:
        """n numbered lines."""
        return "".join(f"record {i}\n" for i in range(n))

    turns = [
        {"tool_calls": [{"name": "mcp__big__dump", "input": {"n": 20_000}}]},
        {},
        {"text": "ok"},
    ]
    results: list[str] = []
    saved_path: list[str] = []

    def on_event(event: Any) -> None:
        from agentrun.core.events import ToolResultsEvent

        if isinstance(event, ToolResultsEvent):
            results.append(str(event.content[0]["content"]))

    from agentrun.models.function import FunctionModel

    def answer(request: Any) -> dict[str, Any]:
        step = len(results)
        if step == 1 and not saved_path:
            found = SAVED.search(results[0])
            assert found, results[0][-300:]
            saved_path.append(found.group(1))
        turn = dict(turns[step])
        if step == 1:
            grep = {"pattern": "record 19999$", "path": saved_path[0], "output_mode": "count"}
            turn = {"tool_calls": [{"name": "Grep", "input": grep}]}
        return turn

    agent = ws / "mcp-user.md"
    agent.write_text(AGENT.replace("tools: Bash, Read, Grep", "tools: Grep, mcp__big__dump"))
    with serve_mcp(server) as config:
        result = run_worker(
            ws, agent=agent, model=FunctionModel(answer), mcp_config=[config], on_event=on_event
        )
    assert result.subtype == "success", result.result
    assert results[0].startswith("record 0\nrecord 1\n") and len(results[0]) < 3_000
    whole = sum(len(f"record {i}\n") for i in range(20_000))
    assert f"{whole:,} characters" in results[0]  # whole, not cut at MAX_MCP_OUTPUT_TOKENS
    assert ":1" in results[1], results[1]
