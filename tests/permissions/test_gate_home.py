"""The gate's refusals beyond the protected names: every write in a workspace that holds the
home directory (``--cwd ~``) is denied in every mode (bypassPermissions included; a
PreToolUse hook's allow cannot lift it; never a prompt that could be answered yes), while an
``--add-dir`` below it stays writable; a repository's ``core.hooksPath`` in the work tree, and
what the user's global git config names inside a root, are a firm ask, as for ``.git``."""

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
    ".config/fish/config.fish",
    ".claude.json",
    ".bashrc",
    "bin/git",
    "venv/lib/python3.11/site-packages/zz.pth",
    "readline.py",
    "node_modules/x/index.js",
    "notes.txt",
)


def _decide(g: Gate, tool: str, path: str, **more: object) -> tuple[str, bool]:
    d = g.decide(ToolCall("t", tool, {"file_path": path, **more}))
    return d.behavior, d.firm


@pytest.mark.parametrize("mode", ["acceptEdits", "bypassPermissions", "default", "dontAsk"])
def test_every_write_is_denied_when_the_workspace_holds_home(tmp_path: Path, mode: str) -> None:
    home = tmp_path / "home"
    (home / "proj").mkdir(parents=True)
    g = Gate.load(
        mode, cwd=home, home=home, add_dirs=[home / "proj"], writable_roots=[home, home / "proj"]
    )
    for rel in HOME_WRITES:
        for tool in ("Write", "Edit", "MultiEdit", "NotebookEdit"):
            path = rel if tool != "NotebookEdit" else f"{rel}.ipynb"
            key = "notebook_path" if tool == "NotebookEdit" else "file_path"
            d = g.decide(ToolCall("t", tool, {key: path}))
            assert d.behavior == "deny", (tool, rel, d)
            assert "contains your home directory" in d.reason, d.reason
        # a hook's allow does not lift it; a redirection in Bash meets the same check
        assert g.decide(ToolCall("t", "Write", {"file_path": rel}), hook="allow").behavior == "deny"
        assert g.decide(ToolCall("t", "Bash", {"command": f"echo x > {rel}"})).behavior == "deny"
    expected = {"default": "ask", "dontAsk": "deny"}.get(mode, "allow")
    assert _decide(g, "Write", "proj/.local/x")[0] == expected
    assert _decide(g, "Write", str(home / "proj" / "a.py"))[0] == expected
    # danger-full-access: no confinement, nothing refused by the sandbox
    free = Gate.load("bypassPermissions", cwd=home, home=home, writable_roots=None)
    assert _decide(free, "Write", "notes.txt")[0] == "allow"


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


def test_a_path_the_global_git_config_names_in_a_root_is_a_firm_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dots = tmp_path / "dotfiles"
    dots.mkdir()
    config = tmp_path / "gitconfig"
    config.write_text(f"[include]\n\tpath = {dots / 'extra.cfg'}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    g = Gate.load("acceptEdits", cwd=dots, home=tmp_path / "home", writable_roots=[dots])
    assert _decide(g, "Write", "extra.cfg") == ("ask", True)
    assert _decide(g, "Write", "other.cfg") == ("allow", False)
