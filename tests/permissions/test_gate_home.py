"""The gate's protected paths beyond the protected names: a home directory's dot-entries and
``bin/`` when the home lies in a root (``--cwd ~``), and a repository's ``core.hooksPath`` in
the work tree. A write there is a firm ask in every mode (acceptEdits and bypassPermissions
included; a PreToolUse hook's allow cannot lift it), as for ``.git``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agentrun.core.types import ToolCall
from agentrun.permissions import Gate

HOME_WRITES = (
    ".local/lib/python3.11/site-packages/zz.pth",
    ".local/bin/git",
    ".config/systemd/user/x.service",
    ".claude.json",
    ".bashrc",
    "bin/git",
)


def _decide(g: Gate, tool: str, path: str, **more: object) -> tuple[str, bool]:
    d = g.decide(ToolCall("t", tool, {"file_path": path, **more}))
    return d.behavior, d.firm


@pytest.mark.parametrize("mode", ["acceptEdits", "bypassPermissions", "default"])
def test_home_dot_entries_are_a_firm_ask_when_home_is_the_workspace(
    tmp_path: Path, mode: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    g = Gate.load(mode, cwd=home, home=home, writable_roots=[home])
    for rel in HOME_WRITES:
        for tool in ("Write", "Edit", "MultiEdit", "NotebookEdit"):
            path = rel if tool != "NotebookEdit" else f"{rel}.ipynb"
            key = "notebook_path" if tool == "NotebookEdit" else "file_path"
            d = g.decide(ToolCall("t", tool, {key: path}))
            assert (d.behavior, d.firm) == ("ask", True), (tool, rel, d)
        # a hook's allow does not lift it; a redirection in Bash meets the same check
        assert g.decide(ToolCall("t", "Write", {"file_path": rel}), hook="allow").behavior == "ask"
        assert g.decide(ToolCall("t", "Bash", {"command": f"echo x > {rel}"})).firm, rel
    expected = "allow" if mode != "default" else "ask"
    assert _decide(g, "Write", "proj/.local/x")[0] == expected
    assert _decide(g, "Write", "notes.txt")[0] == expected


def test_home_dot_entries_are_ordinary_paths_when_home_is_outside_the_roots(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (home / "proj").mkdir(parents=True)
    g = Gate.load("acceptEdits", cwd=home / "proj", home=home, writable_roots=[home / "proj"])
    assert _decide(g, "Write", str(home / "proj" / ".eslintrc")) == ("allow", False)
    # outside the workspace: refused by the sandbox, as before
    assert _decide(g, "Write", str(home / ".bashrc"))[0] == "deny"


def test_a_hooks_path_in_the_work_tree_is_a_firm_ask(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    subprocess.run(["git", "-C", str(ws), "config", "core.hooksPath", ".githooks"], check=True)
    (ws / ".githooks").mkdir()
    g = Gate.load("acceptEdits", cwd=ws, home=tmp_path / "home", writable_roots=[ws])
    assert _decide(g, "Edit", ".githooks/pre-commit") == ("ask", True)
    assert _decide(g, "Write", "githooks/pre-commit") == ("allow", False)
