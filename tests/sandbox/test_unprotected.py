"""Protected paths an explicit allow rule names (``Edit(./.claude/agents/**)``) stay writable,
for the file tools and for Bash; everything else protected stays read-only, and ``.git`` /
``.gitmodules`` whatever a rule says."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentrun.jail.fileclient import JailedWorkspace
from agentrun.permissions.gate import Gate
from agentrun.permissions.rules import Rule
from agentrun.tools.base import ToolContext
from agentrun.tools.records import ReadRecords
from agentrun.tools.write import WriteTool
from conftest import Host, Shell, jail_with_files


def test_the_gate_names_the_protected_paths_its_allow_rules_spell_out(tmp_path: Path) -> None:
    rules = [
        "Edit(./.claude/agents/**)",
        "Write(.mcp.json)",
        "Edit(**)",  # names nothing protected
        "Edit(./.git/hooks/**)",  # names no openable path: .git is never opened
        "Read(./.agentrun/**)",  # not a write rule
        "Edit(**/.claude/x)",  # no literal part
    ]
    gate = Gate(
        "default",
        allow=[Rule.parse(r) for r in rules],
        ask=[],
        deny=[],
        cwd=tmp_path,
        home=tmp_path / "home",
    )
    assert gate.writable_protected_paths() == [
        tmp_path.resolve() / ".claude" / "agents",
        tmp_path.resolve() / ".mcp.json",
    ]


@pytest.fixture
def opened(host: Host) -> Iterator[tuple[Shell, JailedWorkspace]]:
    ws = host.workspace
    (ws / ".claude" / "agents").mkdir(parents=True)
    (ws / ".claude" / "settings.json").write_text("{}")
    (ws / ".mcp.json").write_text("{}")
    unprotect = [ws / ".claude" / "agents", ws / ".git" / "hooks", ws / ".git"]
    policy = host.policy(unprotect=unprotect)
    assert policy.unprotected == (ws / ".claude" / "agents",)  # never .git
    with jail_with_files(host, policy) as pair:
        yield pair


def test_a_named_protected_path_is_writable_and_only_it(
    host: Host, opened: tuple[Shell, JailedWorkspace]
) -> None:
    shell, workspace = opened
    ws = host.workspace
    ctx = ToolContext(workspace=workspace, reads=ReadRecords())

    def write(path: str) -> bool:
        return not WriteTool().run({"file_path": path, "content": "new\n"}, ctx).is_error

    assert write(".claude/agents/a.md")
    assert (ws / ".claude" / "agents" / "a.md").read_text() == "new\n"
    assert not write(".claude/settings.json")
    assert not write(".mcp.json")
    assert not write(".git/hooks/pre-commit")
    out = shell.out(
        "echo b > .claude/agents/b.md && echo bash-ok; "
        "(echo x > .claude/settings.json) 2>/dev/null || echo settings-refused; "
        "(echo x > .mcp.json) 2>/dev/null || echo mcp-refused; "
        "(echo x > .git/hooks/pre-commit) 2>/dev/null || echo git-refused"
    )
    assert out.split() == ["bash-ok", "settings-refused", "mcp-refused", "git-refused"], out
    assert (ws / ".claude" / "agents" / "b.md").read_text() == "b\n"
    assert (ws / ".claude" / "settings.json").read_text() == "{}"


def test_without_a_rule_the_same_paths_stay_read_only(shell: Shell, host: Host) -> None:
    (host.workspace / ".claude" / "agents").mkdir(parents=True)
    out = shell.out("(echo b > .claude/agents/b.md) 2>/dev/null || echo refused")
    assert out == "refused", out
    assert not (host.workspace / ".claude" / "agents" / "b.md").exists()
