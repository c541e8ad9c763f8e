"""``color:`` draws an agent's Task lines and its row in ``agents list``; ``background:`` is
read and shown (a Task runs in the foreground: the tool spec has no background Task)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from agentrun.cli.app import main
from agentrun.cli.colors import terminal_color
from agentrun.cli.render import Renderer
from agentrun.core.events import ToolEndEvent, ToolStartEvent
from agentrun.core.types import ToolCall, ToolResult
from agentrun.models.function import FunctionModel
from agentrun.runner.api import AgentSession


def _renderer(colors: dict[str, str]) -> tuple[Renderer, io.StringIO]:
    buf = io.StringIO()
    console = Console(file=buf, width=80, force_terminal=True, color_system="standard")
    renderer = Renderer(console, cwd=Path("/"))
    renderer.agent_colors = colors
    return renderer, buf


def _task_line(colors: dict[str, str], agent: str) -> str:
    renderer, buf = _renderer(colors)
    call = ToolCall("t1", "Task", {"description": "review", "prompt": "p", "subagent_type": agent})
    renderer.on_event(ToolStartEvent(call))
    renderer.on_event(ToolEndEvent(call, ToolResult("fine"), 3.0))
    renderer.close()
    return buf.getvalue()


def test_a_task_line_is_drawn_in_its_agents_colour() -> None:
    assert "\x1b[1;36mTask" in _task_line({"rev": "cyan"}, "rev")
    plain = _task_line({"rev": "cyan"}, "other")  # no colour: the line's own (green: done)
    assert "\x1b[1;32mTask" in plain and "\x1b[1;36m" not in plain


@pytest.mark.parametrize(
    ("name", "style"),
    [("cyan", "cyan"), ("orange", "dark_orange"), ("pink", "hot_pink"), ("nocolour", "")],
)
def test_claude_codes_colour_names_map_to_terminal_styles(name: str, style: str) -> None:
    assert terminal_color(name) == style


def test_the_session_knows_the_colours_of_the_agents_it_may_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "state"))
    agents = tmp_path / "ws" / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "lead.md").write_text("---\nname: lead\ndescription: d\ntools: Task\n---\nL.\n")
    (agents / "rev.md").write_text("---\nname: rev\ndescription: d\ncolor: purple\n---\nR.\n")
    (agents / "plain.md").write_text("---\nname: plain\ndescription: d\n---\nP.\n")
    with AgentSession(agent="lead", cwd=tmp_path / "ws", model=FunctionModel(str)) as s:
        assert s.agent_colors == {"rev": "purple"}


def test_agents_show_lists_the_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    agents = tmp_path / "ws" / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "rev.md").write_text(
        "---\nname: rev\ndescription: d\ncolor: purple\nbackground: true\nmaxTurns: 5\n"
        "skills: [a, b]\nmemory: project\n---\nR.\n"
    )
    assert main(["agents", "show", "rev", "--cwd", str(tmp_path / "ws")]) == 0
    out = capsys.readouterr().out
    rows = {tuple(r.split(None, 1)) for r in out.splitlines() if r.strip()}
    assert ("maxTurns", "5") in rows and ("skills", "a, b") in rows
    assert ("background", "true") in rows and ("color", "purple") in rows
