"""Rendering of events, through a Console writing to a buffer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from agentrun.cli.render import Renderer, diff_lines, footer_text, format_cost, key_argument
from agentrun.core.events import (
    AssistantEvent,
    InitEvent,
    PermissionDeniedEvent,
    ResultEvent,
    TextDelta,
    ToolEndEvent,
    ToolStartEvent,
)
from agentrun.core.types import ToolCall, ToolResult, Usage


def make(tmp_path: Path, *, color: bool = False) -> tuple[Renderer, io.StringIO]:
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=80,
        force_terminal=color,
        color_system="truecolor" if color else None,
        legacy_windows=False,
    )
    return Renderer(console, cwd=tmp_path, model="claude-sonnet-5-5"), buf


def run_tool(r: Renderer, call: ToolCall, result: ToolResult, effect: object = None) -> None:
    r.on_event(ToolStartEvent(call))
    if callable(effect):
        effect()
    r.on_event(ToolEndEvent(call, result, 3.0))


@pytest.mark.parametrize(
    ("name", "tool_input", "expected"),
    [
        ("Read", {"file_path": "TMP/src/app.py"}, "src/app.py"),
        ("Bash", {"command": "pytest -q\necho done"}, "pytest -q …"),
        ("Bash", {"command": "x" * 100}, "x" * 69 + "…"),
        ("Grep", {"pattern": "def main", "path": "src"}, "def main in src"),
        ("Glob", {"pattern": "**/*.py"}, "**/*.py"),
        ("mcp__x__y", {"query": "q"}, "q"),
        ("NotebookEdit", {"new_source": "x", "notebook_path": "TMP/nb/a.ipynb"}, "nb/a.ipynb"),
        ("BashOutput", {"filter": "err", "bash_id": "bash_2"}, "bash_2"),
        ("KillShell", {"shell_id": "bash_3"}, "bash_3"),
    ],
)
def test_key_argument(tmp_path: Path, name: str, tool_input: dict[str, str], expected: str) -> None:
    tool_input = {k: v.replace("TMP", str(tmp_path)) for k, v in tool_input.items()}
    assert key_argument(ToolCall("t1", name, tool_input), tmp_path) == expected


def test_format_cost_and_footer() -> None:
    assert format_cost(None) == "cost unknown"
    assert format_cost(0.01234) == "$0.0123"
    assert format_cost(12.5) == "$12.50"
    usage = Usage(input_tokens=1000, output_tokens=50, cache_read_input_tokens=234)
    assert footer_text(model="m", turns=1, usage=usage, cost=0.5) == (
        "m · 1 turn · 1,234 in / 50 out tokens · $0.5000"
    )


def test_tool_line_with_preview(tmp_path: Path) -> None:
    r, buf = make(tmp_path)
    out = "\n".join(f"line {i}" for i in range(1, 8))
    run_tool(r, ToolCall("t1", "Bash", {"command": "seq 7"}), ToolResult(out))
    assert buf.getvalue() == (
        "● Bash(seq 7)\n  ⎿  line 1\n     line 2\n     line 3\n     … +4 lines\n"
    )


def test_tool_error_is_red(tmp_path: Path) -> None:
    r, buf = make(tmp_path, color=True)
    run_tool(r, ToolCall("t1", "Read", {"file_path": "nope"}), ToolResult("no such file", True))
    assert "\x1b[31m  ⎿  no such file" in buf.getvalue()


def test_edit_shows_real_diff_with_line_numbers(tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_text("a = 1\nb = 2\nc = 3\nd = 4\n")
    r, buf = make(tmp_path)
    call = ToolCall(
        "t1", "Edit", {"file_path": str(target), "old_string": "b = 2", "new_string": "b = 20"}
    )
    run_tool(
        r, call, ToolResult("updated"), lambda: target.write_text("a = 1\nb = 20\nc = 3\nd = 4\n")
    )
    assert buf.getvalue() == (
        "● Edit(app.py)\n"
        "  ⎿  Updated: 1 line added, 1 removed\n"
        "    1   a = 1\n"
        "    2 - b = 2\n"
        "    2 + b = 20\n"
        "    3   c = 3\n"
        "    4   d = 4\n"
    )


def test_diff_is_coloured(tmp_path: Path) -> None:
    r, buf = make(tmp_path, color=True)
    target = tmp_path / "new.txt"
    call = ToolCall("t1", "Write", {"file_path": "new.txt", "content": "hello\n"})
    run_tool(r, call, ToolResult("created"), lambda: target.write_text("hello\n"))
    out = buf.getvalue()
    assert "Wrote 1 line\x1b" in out
    assert "\x1b[32m+ hello" in out  # green addition


def test_diff_lines_truncates() -> None:
    lines = diff_lines("", "\n".join(str(i) for i in range(100)))
    assert len(lines) == 41
    assert lines[-1].plain == "   … 60 more diff lines"


def test_streamed_text_settles_as_markdown(tmp_path: Path) -> None:
    r, buf = make(tmp_path)
    for piece in ["# Title\n\n", "Some **bold", "** text."]:
        r.on_event(TextDelta(piece))
    message = {
        "role": "assistant",
        "content": [{"type": "text", "text": "# Title\n\nSome **bold** text."}],
    }
    r.on_event(AssistantEvent("s", message, Usage(), "end_turn"))
    out = buf.getvalue()
    assert "Some bold text." in out
    assert "**" not in out and "# Title" not in out


def test_unstreamed_text_printed_once(tmp_path: Path) -> None:
    r, buf = make(tmp_path)
    message = {"role": "assistant", "content": [{"type": "text", "text": "Done `x`."}]}
    r.on_event(AssistantEvent("s", message, Usage(), "end_turn"))
    assert [line.rstrip() for line in buf.getvalue().splitlines()] == ["Done x."]


def test_permission_denied_and_error_result(tmp_path: Path) -> None:
    r, buf = make(tmp_path)
    r.on_event(
        PermissionDeniedEvent(
            ToolCall("t1", "Bash", {"command": "rm x"}), "denied by rule Bash(rm:*)"
        )
    )
    r.on_event(ResultEvent("error_max_turns", True, "", 3, 10, 0.0, Usage(), "s", []))
    r.on_event(ResultEvent("error_during_execution", True, "API said no", 1, 5, None, Usage(), "s"))
    r.on_event(ResultEvent("error_max_budget_usd", True, "Mid-way.", 1, 5, 1.5, Usage(), "s"))
    assert buf.getvalue() == (
        "● Bash(rm x)\n  ⎿  denied by rule Bash(rm:*)\n"
        "✗ error_max_turns: stopped at the turn limit (3 turns, $0.0000)\n"
        "✗ error_during_execution: API said no\n"
        "✗ error_max_budget_usd: stopped at the budget (1 turn, $1.50)\n"
    )


def test_header_and_footer(tmp_path: Path) -> None:
    r, buf = make(tmp_path)
    r.header(
        InitEvent(
            "s",
            "/w",
            "claude-sonnet-5-5",
            ("Read",),
            "default",
            "be",
            "workspace-write",
            ("landlock",),
        )
    )
    r.footer(turns=2, usage=Usage(input_tokens=10, output_tokens=5), cost=0.001)
    assert buf.getvalue() == (
        "claude-sonnet-5-5 · sandbox workspace-write (landlock) · permissions default\n"
        "─ claude-sonnet-5-5 · 2 turns · 10 in / 5 out tokens · $0.0010\n"
    )


def test_approval_preview_for_edit(tmp_path: Path) -> None:
    r, buf = make(tmp_path)
    r.approval_preview(
        ToolCall("t1", "Edit", {"file_path": "a.py", "old_string": "x = 1", "new_string": "x = 2"})
    )
    assert buf.getvalue() == "● Edit(a.py)\n    1 - x = 1\n    1 + x = 2\n"


def test_approval_preview_uses_the_files_line_numbers(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import os\n\n\ndef f():\n    x = 1\n")
    r, buf = make(tmp_path)
    edit = {"file_path": "a.py", "old_string": "x = 1", "new_string": "x = 2"}
    r.approval_preview(ToolCall("t1", "Edit", edit))
    assert buf.getvalue() == (
        "● Edit(a.py)\n    3   \n    4   def f():\n    5 -     x = 1\n    5 +     x = 2\n"
    )


@pytest.mark.parametrize(
    ("name", "tool_input", "output", "expected"),
    [
        ("Read", {"file_path": "a.py"}, "     1\ta\n     2\tb\n", "  ⎿  Read 2 lines\n"),
        ("Glob", {"pattern": "*.py"}, "a.py\nb.py\nc.py", "  ⎿  Found 3 files\n"),
        ("Glob", {"pattern": "*.rs"}, "No files found", "  ⎿  No files found\n"),
        (
            "Bash",
            {"command": "cat f"},
            "def f():\n\treturn 1",
            "  ⎿  def f():\n         return 1\n",
        ),
    ],
)
def test_result_previews(
    tmp_path: Path, name: str, tool_input: dict[str, str], output: str, expected: str
) -> None:
    r, buf = make(tmp_path)
    run_tool(r, ToolCall("t1", name, tool_input), ToolResult(output))
    assert buf.getvalue().split("\n", 1)[1] == expected


def test_streamed_text_on_a_terminal_goes_live(tmp_path: Path) -> None:
    r, buf = make(tmp_path, color=True)
    for piece in ["Some **bo", "ld** text."]:
        r.on_event(TextDelta(piece))
    assert "Some" in buf.getvalue()  # shown before the message is complete
    message = {"role": "assistant", "content": [{"type": "text", "text": "Some **bold** text."}]}
    r.on_event(AssistantEvent("s", message, Usage(), "end_turn"))
    final = buf.getvalue().rsplit("\x1b[2K", 1)[1]  # what the live region settled on
    assert "\x1b[1mbold\x1b[0m" in final and "**" not in final
    assert "\n" in final


def test_approved_edit_diff_is_not_shown_twice(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text("x = 1\n")
    r, buf = make(tmp_path)
    call = ToolCall(
        "t1", "Edit", {"file_path": "a.py", "old_string": "x = 1", "new_string": "x = 2"}
    )
    r.approval_preview(call)
    run_tool(r, call, ToolResult("ok"), lambda: target.write_text("x = 2\n"))
    assert buf.getvalue() == (
        "● Edit(a.py)\n    1 - x = 1\n    1 + x = 2\n"
        "● Edit(a.py)\n  ⎿  Updated: 1 line added, 1 removed\n"
    )


def test_close_marks_running_calls_interrupted(tmp_path: Path) -> None:
    r, buf = make(tmp_path)
    r.on_event(ToolStartEvent(ToolCall("t1", "Bash", {"command": "sleep 30"})))
    r.on_event(
        ResultEvent(
            "error_during_execution", True, "x", 1, 5, 0.0, Usage(), "s", stop_reason="interrupted"
        )
    )
    r.close()
    r.close()  # idempotent
    assert buf.getvalue() == "● Bash(sleep 30)\n  ⎿  interrupted\n"


def test_live_refresh_thread_never_takes_sigint(tmp_path: Path) -> None:
    # a Ctrl-C landing on rich's thread would be lost by readline's select() in the main thread
    import threading

    r, _ = make(tmp_path, color=True)
    r.on_event(ToolStartEvent(ToolCall("t1", "Bash", {"command": "sleep 1"})))
    try:
        live = [t for t in threading.enumerate() if type(t).__name__ == "_RefreshThread"]
        assert live, "the spinner runs in rich's refresh thread"
        status = Path(f"/proc/self/task/{live[0].native_id}/status").read_text()
        blocked = int(status.split("SigBlk:")[1].split()[0], 16)
        assert blocked & (1 << (2 - 1)), "SIGINT (2) must be blocked in the refresh thread"
        own = Path(f"/proc/self/task/{threading.get_native_id()}/status").read_text()
        assert not int(own.split("SigBlk:")[1].split()[0], 16) & 2, "main thread unchanged"
    finally:
        r.close()


def test_terminal_control_sequences_from_tools_and_the_model_are_made_visible() -> None:
    """Bash output, file contents and model text are untrusted: an OSC 52 (clipboard) or any
    other escape sequence in them must reach the terminal as visible text, not as ESC."""
    import io

    from rich.console import Console

    from agentrun.cli.render import Renderer
    from agentrun.core.events import AssistantEvent, ToolEndEvent, ToolStartEvent
    from agentrun.core.types import ToolCall, ToolResult, Usage

    osc52 = "\x1b]52;c;cm0gLXJmIH4=\x07"
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100, color_system=None)
    r = Renderer(console)
    call = ToolCall("t1", "Bash", {"command": f"echo {osc52}"})
    r.on_event(ToolStartEvent(call))
    r.on_event(ToolEndEvent(call, ToolResult(f"out {osc52} \x9b2J\rspoof"), 3.0))
    message = {"role": "assistant", "content": [{"type": "text", "text": f"Done {osc52}"}]}
    r.on_event(AssistantEvent("s", message, Usage(), "end_turn"))
    r.close()
    shown = buf.getvalue()
    assert "\x1b]" not in shown and "\x9b" not in shown and "\rspoof" not in shown
    assert "␛]52;c;cm0gLXJmIH4=" in shown  # visible, so the user sees what was attempted


def test_parallel_calls_are_shown_in_call_order_whatever_order_they_finish(
    tmp_path: Path,
) -> None:
    """Read/Glob/Grep of one turn run together; the screen lists them as stream-json does."""
    r, buf = make(tmp_path)
    calls = [ToolCall(f"t{i}", "Grep", {"pattern": f"p{i}"}) for i in range(3)]
    for call in calls:
        r.on_event(ToolStartEvent(call))
    r.on_event(ToolEndEvent(calls[2], ToolResult("third"), 1.0))
    r.on_event(ToolEndEvent(calls[1], ToolResult("second"), 2.0))
    assert buf.getvalue() == ""  # both wait for the first call
    r.on_event(ToolEndEvent(calls[0], ToolResult("first"), 3.0))
    assert buf.getvalue() == (
        "● Grep(p0)\n  ⎿  first\n● Grep(p1)\n  ⎿  second\n● Grep(p2)\n  ⎿  third\n"
    )


def test_close_shows_finished_calls_in_order_and_the_rest_interrupted(tmp_path: Path) -> None:
    r, buf = make(tmp_path)
    slow, fast = ToolCall("a", "Glob", {"pattern": "*.py"}), ToolCall("b", "Grep", {"pattern": "x"})
    r.on_event(ToolStartEvent(slow))
    r.on_event(ToolStartEvent(fast))
    r.on_event(ToolEndEvent(fast, ToolResult("hit"), 1.0))
    r.close()
    assert buf.getvalue() == "● Glob(*.py)\n  ⎿  interrupted\n● Grep(x)\n  ⎿  hit\n"


@pytest.mark.timeout(20)
def test_snapshots_never_block_nor_leave_the_working_directory(tmp_path: Path) -> None:
    """The diff preview is read by the unconfined runtime from files jailed code controls: a
    FIFO (which would block the session forever), a symlink to a file outside, a directory
    swapped for a symlink and a huge sparse file all give no preview, never their content."""
    import os

    ws = tmp_path / "ws"
    ws.mkdir()
    secret = tmp_path / "shadow"
    secret.write_text("root:SECRET-HASH:19000\n")
    os.mkfifo(ws / "fifo")
    (ws / "link").symlink_to(secret)
    (ws / "dir").symlink_to(tmp_path)  # ws/dir/shadow is the secret through a swapped dir
    with open(ws / "sparse", "wb") as f:
        f.truncate(1 << 30)
    (ws / "ok.txt").write_text("one\n")
    r, buf = make(ws)
    for n, name in enumerate(["fifo", "link", "dir/shadow", str(ws / "link"), "sparse", "ok.txt"]):
        write = ToolCall(f"w{n}", "Write", {"file_path": name, "content": "new\n"})
        r.approval_preview(write)
        edit = {"file_path": name, "old_string": "root", "new_string": "x"}
        run_tool(r, ToolCall(f"e{n}", "Edit", edit), ToolResult("ok"))
    r.close()
    shown = buf.getvalue()
    assert "SECRET" not in shown
    assert "- one" in shown  # a plain file in the workspace still gets its diff


def test_no_escape_sequence_from_a_hostile_stream_reaches_the_terminal(tmp_path: Path) -> None:
    """Every model- or tool-derived string (tool names, inputs, results, text, denial reasons,
    the model name) is made safe: walk a hostile stream through the Renderer on a terminal and
    find no ESC or C1 control but the ones rich itself writes (cursor and spinner control)."""
    import re

    bad = "\x1b]0;PWNED\x1b\\\x1b[2J\x9b2J\x07\x90q"
    (tmp_path / f"f{bad[:4]}.txt").write_text(f"line {bad}\n")
    buf = io.StringIO()
    console = Console(file=buf, width=100, force_terminal=True, color_system=None)
    r = Renderer(console, cwd=tmp_path)
    init = InitEvent("s", "/w", f"m{bad}", (), f"p{bad}", "a", f"s{bad}", (f"l{bad}",))
    r.on_event(init)
    r.header(init)
    for n, name in enumerate([f"Bash{bad}", "Edit", "Write", f"mcp__x{bad}"]):
        tool_input = {
            "command": f"echo {bad}",
            "file_path": str(tmp_path / f"f{bad[:4]}.txt"),
            "old_string": "line",
            "new_string": f"new {bad}",
            "content": f"c {bad}\nmore\n",
            "query": bad,
        }
        call = ToolCall(f"t{n}", name, tool_input)
        r.approval_preview(call)
        r.on_event(ToolStartEvent(call))
        r.on_event(TextDelta(f"text {bad}"))
        r.on_event(ToolEndEvent(call, ToolResult(f"out {bad}", is_error=n % 2 == 1), 3.0))
        r.on_event(PermissionDeniedEvent(call, f"denied {bad}"))
    message = {"role": "assistant", "content": [{"type": "text", "text": f"Done {bad}"}]}
    r.on_event(AssistantEvent("s", message, Usage(), "end_turn"))
    r.footer(turns=1, usage=Usage(), cost=None)
    r.close()
    shown = re.sub(r"\x1b\[(\?25[lh]|2K|1A|\d*G)|\r", "", buf.getvalue())
    assert not re.search("[\x1b\x80-\x9f\x07]", shown), repr(
        [shown[m.start() - 20 : m.end() + 20] for m in re.finditer("[\x1b\x80-\x9f]", shown)][:5]
    )
    assert "␛]0;PWNED" in shown
