"""Nothing a model, a tool or a workspace file says reaches the terminal raw from ``-p``.

Text output and every stderr notice show control characters visibly (as interactive mode does);
json and stream-json keep exact values, with every control character escaped (JSON escapes C0
itself; DEL and C1, such as U+009B, an 8-bit CSI, would otherwise be written raw).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentrun.cli.app import main
from agentrun.cli.termsafe import json_line, safe
from wskit import isolated_ws

CLEAR = "\x1b[2J"
OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # set the clipboard to "rm -rf ~"
CSI8 = "\x9b31m"  # an 8-bit CSI
NASTY = f"a{CLEAR}b{OSC52}c{CSI8}d\x7fe\x85f"
RAW = ("\x1b", "\x07", "\x9b", "\x7f", "\x85")


def raw_controls(text: str) -> list[str]:
    return [c for c in RAW if c in text]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolated_ws(tmp_path, monkeypatch, name="work")


def run(ws: Path, capsys: pytest.CaptureFixture[str], turns: list[Any], *argv: str) -> tuple:
    path = ws.parent / "script.json"
    path.write_text(json.dumps({"turns": turns}))
    code = main(["--cwd", str(ws), "-p", "x", "--model", f"script:{path}", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_safe_and_json_line() -> None:
    assert raw_controls(safe(NASTY)) == []
    assert safe("tab\tand\nnewline") == "tab\tand\nnewline"
    assert safe(CLEAR) == "␛[2J"
    line = json_line({"t": NASTY})
    assert raw_controls(line) == [] and json.loads(line) == {"t": NASTY}
    assert "é漢" in json_line("é漢")  # readable text stays as it is


def test_final_text_in_text_format(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(ws, capsys, [{"text": NASTY}])
    assert code == 0 and err == ""
    assert raw_controls(out) == [] and out == safe(NASTY) + "\n"


@pytest.mark.parametrize("fmt", ["json", "stream-json"])
def test_json_formats_keep_exact_values_and_no_raw_controls(
    ws: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    turns = [
        {"text": NASTY, "tool_calls": [{"name": "Read", "input": {"file_path": f"no{OSC52}"}}]},
        {"text": NASTY},
    ]
    code, out, err = run(ws, capsys, turns, "--output-format", fmt)
    assert code == 0
    assert raw_controls(out) == [] and raw_controls(err) == []
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[-1]["result"] == NASTY
    if fmt == "stream-json":
        result = next(line for line in lines if line["type"] == "user")
        block = result["message"]["content"][0]
        assert block["is_error"] is True and OSC52 in block["content"]


def test_denied_command_notice(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = f"echo {OSC52}{CSI8} > x"
    turns = [{"tool_calls": [{"name": "Bash", "input": {"command": command}}]}, {"text": "ok"}]
    code, out, err = run(ws, capsys, turns)
    assert code == 0
    assert "agentrun: denied Bash(echo ␛]52;c;" in err
    assert raw_controls(err) == [] and raw_controls(out) == []


@pytest.mark.parametrize("verbose", [False, True])
def test_tool_error_and_run_error(
    ws: Path, capsys: pytest.CaptureFixture[str], verbose: bool
) -> None:
    turns = [
        {"tool_calls": [{"name": "Read", "input": {"file_path": f"missing{CLEAR}"}}]},
        {"expect": [{"is_error": False}], "text": "never"},
    ]
    code, out, err = run(ws, capsys, turns, *(["--verbose"] if verbose else []))
    assert code == 1 and out == ""
    # The failed expectation quotes the tool error; --verbose also renders the call.
    assert "missing␛[2J" in err if verbose else "missing" in err
    assert raw_controls(err.replace("\x1b[", "") if verbose else err) == []  # rich's styles aside


def test_agent_file_warning(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    agents = ws / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "evil.md").write_text(
        f"---\nname: evil\ndescription: d\ntools: Read, Bogus{OSC52}\n---\nBe evil.\n"
    )
    # Warned about, then refused as a rule: either way quoted visibly.
    _, out, err = run(ws, capsys, [{"text": "hi"}], "--agent", "evil")
    assert "Bogus␛]52" in err and raw_controls(err) == [] and raw_controls(out) == []


def test_config_error(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--cwd", str(ws), "-p", "x", "--model", f"script:{ws}/no{OSC52}.json"])
    _, err = capsys.readouterr()
    assert code == 2 and "no␛]52" in err and raw_controls(err) == []
