"""What the user's own tools run from a workspace, beyond ``.git``: a home directory's
dot-entries and ``bin/`` when the home lies in a root (``--cwd ~``), ``.agentrun/`` at any
depth (agentrun started there loads its hooks), and a repository's ``core.hooksPath`` (the
user's ``git commit`` runs it). Each is read-only to the file tools and Bash, and one created
during the session is renamed away."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agentrun.jail.policy import SandboxPolicy
from agentrun.tools.base import ToolContext
from agentrun.tools.edit import EditTool
from agentrun.tools.read import ReadTool
from agentrun.tools.records import ReadRecords
from agentrun.tools.write import WriteTool
from conftest import JAIL_PATH, Host, jail_with_files

NEW_IN_HOME = (
    ".local/lib/python3.11/site-packages/zz.pth",
    ".local/bin/git",
    ".config/systemd/user/x.service",
    ".claude.json",
    ".npmrc",
    "bin/git",
)


def _home(host: Host) -> Path:
    """The workspace is the home directory, with a few dot-entries already there."""
    ws = host.workspace
    (ws / ".bashrc").write_text("# rc\n")
    (ws / ".local" / "bin").mkdir(parents=True)
    (ws / ".config").mkdir()
    (ws / "proj").mkdir()
    return ws


def test_every_home_dot_entry_is_protected_when_home_is_a_root(host: Host) -> None:
    ws = _home(host)
    policy = SandboxPolicy.create(ws, home=ws)
    for rel in (*NEW_IN_HOME, ".bashrc", ".anything-new", ".agentrun/x"):
        assert not policy.can_write(ws / rel), rel
    for rel in ("proj/a.py", "proj/.local/x", "proj/bin/x", "binary", "notes.txt"):
        assert policy.can_write(ws / rel), rel
    # a root above the home directory protects it too; one below it does not
    above = SandboxPolicy.create(host.outside, add_dirs=[ws.parent], home=ws)
    assert not above.can_write(ws / ".local" / "bin" / "git")
    below = SandboxPolicy.create(ws / "proj", home=ws)
    assert below.homes == () and below.can_write(ws / "proj" / ".eslintrc")
    # an allow rule cannot reopen one (only .claude, .agentrun and .mcp.json are reopenable)
    opened = SandboxPolicy.create(ws, home=ws, unprotect=[ws / ".local", ws / ".config"])
    assert opened.unprotected == () and not opened.can_write(ws / ".local" / "bin" / "git")


def test_file_tools_and_bash_cannot_plant_in_the_home_directory(host: Host) -> None:
    ws = _home(host)
    policy = SandboxPolicy.create(ws, home=ws)
    with jail_with_files(host, policy) as (shell, workspace):
        ctx = ToolContext(workspace=workspace, reads=ReadRecords())
        for rel in (*NEW_IN_HOME, ".bashrc"):
            result = WriteTool().run({"file_path": rel, "content": "evil\n"}, ctx)
            assert result.is_error, rel
        assert not WriteTool().run({"file_path": "proj/ok.txt", "content": "ok\n"}, ctx).is_error
        # Through a symlink made in the workspace, a directory moved into place, a copy of a
        # tree, a hard link and a symlink made directly in the home directory.
        (ws / "proj" / "stage" / "bin").mkdir(parents=True)
        (ws / "proj" / "stage" / "bin" / "git").write_text("evil\n")
        out = shell.out(
            "ln -s .local proj/l; (echo evil > proj/l/bin/git) 2>/dev/null || echo link-refused; "
            "(echo evil >> .bashrc) 2>/dev/null || echo rc-refused; "
            "mkdir -p .local2/lib && echo evil > .local2/lib/zz.pth; "
            "cp -r proj/stage .config2; mv proj/stage bin; "
            "ln proj/ok.txt .profile2; ln -s proj/ok.txt .zshenv; echo made"
        )
        linked = WriteTool().run({"file_path": "proj/l/bin/git", "content": "evil\n"}, ctx)
        assert linked.is_error
    assert "link-refused" in out and "rc-refused" in out and "made" in out, out
    assert (ws / ".bashrc").read_text() == "# rc\n"
    assert not (ws / ".local" / "bin" / "git").exists()
    for made in (".local2", ".config2", "bin", ".profile2", ".zshenv"):
        assert not (ws / made).exists(), made
        assert f"{ws / made} -> " in out, out
    for rel in NEW_IN_HOME:
        assert not (ws / rel).exists(), rel


def test_an_agentrun_folder_at_any_depth_is_protected(host: Host) -> None:
    ws = host.workspace
    (ws / "old" / ".agentrun").mkdir(parents=True)
    (ws / "old" / ".agentrun" / "settings.json").write_text("{}\n")
    policy = SandboxPolicy.create(ws, home=host.home)
    assert not policy.can_write(ws / "sub" / ".agentrun" / "settings.json")
    with jail_with_files(host, policy) as (shell, workspace):
        ctx = ToolContext(workspace=workspace, reads=ReadRecords())
        for rel in ("sub/.agentrun/settings.local.json", "old/.agentrun/settings.json"):
            assert WriteTool().run({"file_path": rel, "content": "{}"}, ctx).is_error, rel
        out = shell.out(
            "(echo x >> old/.agentrun/settings.json) 2>/dev/null || echo refused; "
            "mkdir -p sub/.agentrun && echo '{}' > sub/.agentrun/settings.json; echo made"
        )
    assert "refused" in out and "made" in out, out
    assert (ws / "old" / ".agentrun" / "settings.json").read_text() == "{}\n"
    assert not (ws / "sub" / ".agentrun").exists() and f"{ws / 'sub' / '.agentrun'} -> " in out


def _repo(ws: Path, hooks: str) -> None:
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    subprocess.run(["git", "-C", str(ws), "config", "core.hooksPath", hooks], check=True)


def test_a_hooks_path_in_the_work_tree_is_protected(host: Host) -> None:
    ws = host.workspace
    _repo(ws, ".githooks")
    (ws / ".githooks").mkdir()
    (ws / ".githooks" / "pre-commit").write_text("#!/bin/sh\necho lint ok\n")
    policy = SandboxPolicy.create(ws, home=host.home)
    assert ws / ".githooks" in policy.protected
    with jail_with_files(host, policy) as (shell, workspace):
        ctx = ToolContext(workspace=workspace, reads=ReadRecords())
        assert not ReadTool().run({"file_path": ".githooks/pre-commit"}, ctx).is_error
        edit = {"old_string": "echo lint ok", "new_string": "id; echo lint ok"}
        result = EditTool().run({"file_path": ".githooks/pre-commit", **edit}, ctx)
        assert result.is_error and "protected" in str(result.content), result.content
        out = shell.out("(echo id >> .githooks/pre-commit) 2>/dev/null || echo refused")
    assert "refused" in out, out
    assert (ws / ".githooks" / "pre-commit").read_text() == "#!/bin/sh\necho lint ok\n"


def test_a_hooks_path_made_during_the_session_is_renamed(host: Host) -> None:
    """husky's ``.husky/_``, configured before the directory exists."""
    ws = host.workspace
    _repo(ws, ".husky/_")
    policy = SandboxPolicy.create(ws, home=host.home)
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out("mkdir -p .husky/_ && echo id > .husky/_/pre-commit; echo made")
    assert "made" in out and f"{ws / '.husky' / '_'} -> " in out, out
    assert not (ws / ".husky" / "_").exists()


def test_a_config_file_the_repository_includes_is_protected(host: Host) -> None:
    """``include.path = ../shared.gitconfig``: its ``core.pager`` would run at the next
    ``git log``."""
    ws = host.workspace
    _repo(ws, ".githooks")
    subprocess.run(["git", "-C", str(ws), "config", "include.path", "../shared.cfg"], check=True)
    (ws / "shared.cfg").write_text("[user]\n")
    policy = SandboxPolicy.create(ws, home=host.home)
    assert not policy.can_write(ws / "shared.cfg")
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out("(echo '[core] pager = id' >> shared.cfg) 2>/dev/null || echo refused")
    assert "refused" in out and (ws / "shared.cfg").read_text() == "[user]\n", out


def test_what_home_links_and_path_lead_to_is_protected(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stow-made ``~/.local/bin/tool`` -> ``~/dotfiles/tool`` and ``~/go/bin`` on PATH: the
    user runs what they hold, although neither is a dot-entry of the home directory."""
    ws = _home(host)
    (ws / "dotfiles").mkdir()
    (ws / "dotfiles" / "tool").write_text("#!/bin/sh\n")
    (ws / ".local" / "bin" / "tool").symlink_to("../../dotfiles/tool")
    (ws / "go" / "bin").mkdir(parents=True)
    monkeypatch.setenv("PATH", f"{ws / 'go' / 'bin'}:{JAIL_PATH}")
    policy = SandboxPolicy.create(ws, home=ws)
    assert not policy.can_write(ws / "go" / "bin" / "git")
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out(
            "(echo id >> dotfiles/tool) 2>/dev/null || echo tool-refused; "
            "(echo id > go/bin/git) 2>/dev/null || echo path-refused; echo ok > dotfiles/other"
        )
    assert "tool-refused" in out and "path-refused" in out, out
    assert (ws / "dotfiles" / "tool").read_text() == "#!/bin/sh\n"
    assert (ws / "dotfiles" / "other").read_text() == "ok\n"
