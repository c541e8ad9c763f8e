"""What the user's own tools run from a workspace, beyond ``.git``: everything in a workspace
that holds the home directory (``--cwd ~``: read-only whole, an ``--add-dir`` below it still
writable), ``.agentrun/`` at any depth (agentrun started there loads its hooks), a
repository's ``core.hooksPath`` and included config files (also a nested repository's, and the
user's global config's), and where a home directory's stow links lead. Each is read-only to the
file tools and Bash, and one created during the session is renamed away."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from agentrun.jail.policy import SandboxPolicy
from agentrun.tools.base import ToolContext
from agentrun.tools.edit import EditTool
from agentrun.tools.read import ReadTool
from agentrun.tools.records import ReadRecords
from agentrun.tools.write import WriteTool
from conftest import Host, jail_with_files

NEW_IN_HOME = (
    ".local/lib/python3.11/site-packages/zz.pth",
    ".local/bin/git",
    ".config/systemd/user/x.service",
    ".config/fish/config.fish",
    ".claude.json",
    ".npmrc",
    "bin/git",
    "venv/lib/python3.11/site-packages/zz.pth",
    "readline.py",
    "node_modules/x/index.js",
    "notes.txt",
)
"""New files the attacks planted in a home workspace: start-up files, a ``.pth`` file beside
a PATH directory, a module Python imports from the current directory, plain new files."""


def _home(host: Host) -> Path:
    """The workspace is the home directory, with a few entries already there."""
    ws = host.workspace
    (ws / ".bashrc").write_text("# rc\n")
    (ws / ".local" / "bin").mkdir(parents=True)
    (ws / ".config").mkdir()
    (ws / "venv" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (ws / "proj").mkdir()
    (ws / "notes.md").write_text("notes\n")
    return ws


def test_a_workspace_holding_the_home_directory_is_read_only(host: Host) -> None:
    ws = _home(host)
    policy = SandboxPolicy.create(ws, home=ws)
    assert policy.writable_roots == () and policy.homes == (ws,)
    for rel in (*NEW_IN_HOME, ".bashrc", "notes.md", "proj/a.py", ".anything-new"):
        assert not policy.can_write(ws / rel), rel
    # an --add-dir below it is writable as usual, its own dot-files included
    added = SandboxPolicy.create(ws, add_dirs=[ws / "proj"], home=ws)
    assert added.writable_roots == (ws / "proj",)
    for rel in ("proj/a.py", "proj/.eslintrc", "proj/bin/x"):
        assert added.can_write(ws / rel), rel
    assert not added.can_write(ws / "notes.txt")
    # a root above the home directory is read-only too; one below it is not
    above = SandboxPolicy.create(host.outside, add_dirs=[ws.parent], home=ws)
    assert above.writable_roots == (host.outside,)
    assert not above.can_write(ws / "proj" / "a.py")
    below = SandboxPolicy.create(ws / "proj", home=ws)
    assert below.homes == () and below.can_write(ws / "proj" / ".eslintrc")
    # only danger-full-access (no jail) writes there
    assert SandboxPolicy.create(ws, mode="danger-full-access", home=ws).can_write(ws / "x")


def test_file_tools_and_bash_cannot_write_in_a_home_workspace(host: Host) -> None:
    ws = _home(host)
    policy = SandboxPolicy.create(ws, add_dirs=[ws / "proj"], home=ws)
    with jail_with_files(host, policy) as (shell, workspace):
        ctx = ToolContext(workspace=workspace, reads=ReadRecords())
        for rel in (*NEW_IN_HOME, ".bashrc", "notes.md"):
            result = WriteTool().run({"file_path": rel, "content": "evil\n"}, ctx)
            assert result.is_error, rel
            assert "contains your home directory" in str(result.content), result.content
        assert not ReadTool().run({"file_path": "notes.md"}, ctx).is_error
        edit = {"old_string": "notes", "new_string": "evil"}
        assert EditTool().run({"file_path": "notes.md", **edit}, ctx).is_error
        assert not WriteTool().run({"file_path": "proj/ok.txt", "content": "ok\n"}, ctx).is_error
        out = shell.out(
            "for f in notes.txt readline.py .bashrc .config/fish/config.fish "
            "venv/lib/python3.11/site-packages/zz.pth; do "
            "(echo evil >> $f) 2>/dev/null || echo refused-$f; done; "
            "mkdir node_modules 2>/dev/null || echo refused-mkdir; "
            "ln -s proj/ok.txt .zshenv 2>/dev/null || echo refused-ln; "
            "mv proj/ok.txt moved 2>/dev/null || echo refused-mv; "
            "echo fine > proj/fine.txt && cat notes.md"
        )
    for f in ("notes.txt", "readline.py", ".bashrc", ".config/fish/config.fish"):
        assert f"refused-{f}" in out, out
    assert "refused-mkdir" in out and "refused-ln" in out and "refused-mv" in out, out
    assert "refused-venv/lib/python3.11/site-packages/zz.pth" in out, out
    assert "notes" in out and (ws / "proj" / "fine.txt").read_text() == "fine\n"
    assert (ws / ".bashrc").read_text() == "# rc\n"
    assert (ws / "notes.md").read_text() == "notes\n"
    for rel in NEW_IN_HOME:
        assert not (ws / rel).exists(), rel
    assert not (ws / ".zshenv").is_symlink() and not (ws / "node_modules").exists()


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


def test_what_home_links_lead_to_is_protected_by_name(host: Host) -> None:
    """``--cwd ~/dotfiles`` with stow-made ``~/.local/bin/tool`` -> ``~/dotfiles/bin/tool`` and
    ``~/.config/nvim`` -> ``~/dotfiles/nvim``: the user runs what they hold. Renaming the
    target's parent and making the path again leaves nothing there at the end."""
    home = host.home
    dots = host.workspace  # where the dotfiles folder is does not matter
    (dots / "bin").mkdir(parents=True)
    (dots / "nvim").mkdir()
    (dots / "bin" / "tool").write_text("#!/bin/sh\n")
    (dots / "nvim" / "init.lua").write_text("-- orig\n")
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "tool").symlink_to(dots / "bin" / "tool")
    (home / ".config").mkdir()
    (home / ".config" / "nvim").symlink_to(dots / "nvim")
    policy = SandboxPolicy.create(dots, home=home)
    assert not policy.can_write(dots / "bin" / "tool")
    assert not policy.can_write(dots / "nvim" / "init.lua")
    assert policy.can_write(dots / "README")
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out(
            "(echo id >> bin/tool) 2>/dev/null || echo tool-refused; "
            "(echo x >> nvim/init.lua) 2>/dev/null || echo nvim-refused; "
            "mv bin bin.old && mkdir bin && echo id > bin/tool; echo ok > README"
        )
    assert "tool-refused" in out and "nvim-refused" in out, out
    assert (dots / "nvim" / "init.lua").read_text() == "-- orig\n"
    assert not (dots / "bin" / "tool").exists(), out
    assert (dots / "README").read_text() == "ok\n"


def test_a_nested_repositorys_hooks_path_is_protected(host: Host) -> None:
    """``sub`` is a repository with ``core.hooksPath = .githooks`` and an include: the
    user's ``git commit`` in ``sub`` runs what they hold."""
    ws = host.workspace
    sub = ws / "sub"
    _repo(sub, ".githooks")
    subprocess.run(["git", "-C", str(sub), "config", "include.path", "../shared.cfg"], check=True)
    (sub / "shared.cfg").write_text("[user]\n")
    other = ws / "other"
    _repo(other, ".husky/_")
    policy = SandboxPolicy.create(ws, home=host.home)
    with jail_with_files(host, policy) as (shell, workspace):
        ctx = ToolContext(workspace=workspace, reads=ReadRecords())
        made = {"file_path": "sub/.githooks/pre-commit", "content": "#!/bin/sh\nid\n"}
        WriteTool().run(made, ctx)
        out = shell.out(
            "(echo '[core] pager = id' >> sub/shared.cfg) 2>/dev/null || echo cfg-refused; "
            "mkdir -p other/.husky/_ && echo id > other/.husky/_/pre-commit; echo made"
        )
        assert WriteTool().run({"file_path": "sub/shared.cfg", "content": "x"}, ctx).is_error
    assert "cfg-refused" in out and "made" in out, out
    assert (sub / "shared.cfg").read_text() == "[user]\n"
    assert not (sub / ".githooks").exists() and not (other / ".husky" / "_").exists(), out


def test_the_global_git_configs_paths_in_a_root_are_protected(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--cwd ~/dotfiles`` (not a repository) while ``~/.gitconfig`` includes a file there,
    takes its hooks from there and runs a pager from there."""
    dots = host.workspace
    shutil.rmtree(dots / ".git")  # the global config alone names them
    (dots / "githooks").mkdir(parents=True)
    (dots / "extra.cfg").write_text("[user]\n")
    (dots / "pager").write_text("#!/bin/sh\ncat\n")
    config = host.home / ".gitconfig"
    config.write_text(
        f"[include]\n\tpath = {dots / 'extra.cfg'}\n"
        f"[core]\n\thooksPath = {dots / 'githooks'}\n\tpager = {dots / 'pager'} -R\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    policy = SandboxPolicy.create(dots, home=host.home)
    for rel in ("extra.cfg", "githooks/pre-commit", "pager"):
        assert not policy.can_write(dots / rel), rel
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out(
            "for f in extra.cfg githooks/pre-commit pager; do "
            "(echo id >> $f) 2>/dev/null || echo refused-$f; done; echo ok > notes"
        )
    for rel in ("extra.cfg", "githooks/pre-commit", "pager"):
        assert f"refused-{rel}" in out, out
    assert (dots / "extra.cfg").read_text() == "[user]\n"
    assert not (dots / "githooks" / "pre-commit").exists()
    assert (dots / "notes").read_text() == "ok\n"


def test_a_session_in_the_home_directory_writes_only_its_added_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``agentrun --cwd ~ --add-dir ~/proj`` in bypassPermissions: the user is warned, the
    model is told, and Write and Bash reach ``proj`` only."""
    import json

    from agentrun.core.events import ToolEndEvent
    from agentrun.runner import api
    from agentrun.runner.options import RunOptions
    from agentrun.runner.runtime import Runtime

    home = tmp_path / "home"
    (home / "proj").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    turns = [
        {
            "tool_calls": [
                {"name": "Write", "input": {"file_path": str(home / "new.txt"), "content": "x"}},
                {"name": "Write", "input": {"file_path": "proj/ok.txt", "content": "ok"}},
                {"name": "Bash", "input": {"command": "echo x > readline.py; echo y > proj/b"}},
            ]
        },
        {"text": "done"},
    ]
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"turns": turns}))
    options = RunOptions(
        cwd=home,
        add_dirs=[str(home / "proj")],
        model=f"script:{script}",
        permission_mode="bypassPermissions",
    )
    rt = Runtime.open(options)
    try:
        assert any("contains your home directory" in w for w in rt.warnings), rt.warnings
    finally:
        rt.close()
    events: list[object] = []
    result = api.run("go", options, on_event=events.append)
    assert result.result == "done"
    denied = [d["tool_input"]["file_path"] for d in result.permission_denials]
    assert denied == [str(home / "new.txt")], result.permission_denials
    outputs = [str(e.result.content) for e in events if isinstance(e, ToolEndEvent)]
    assert any("Read-only file system" in out for out in outputs), outputs
    assert not (home / "new.txt").exists() and not (home / "readline.py").exists()
    assert (home / "proj" / "ok.txt").read_text() == "ok"
    assert (home / "proj" / "b").read_text() == "y\n"


def test_a_home_of_slash_makes_no_workspace_read_only(host: Host) -> None:
    """``nobody`` and many containers have ``/`` as their home: not a home directory."""
    assert SandboxPolicy.create(host.workspace, home=Path("/")).writable_roots == (host.workspace,)


def test_user_config_dirs_and_the_global_config_in_a_root_are_protected(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``XDG_CONFIG_HOME=~/dotfiles/config`` and ``GIT_CONFIG_GLOBAL=~/dotfiles/gitconfig``
    with ``--cwd ~/dotfiles``: the user's fish and git read them."""
    dots = host.workspace
    (dots / "config").mkdir()
    (dots / "gitconfig").write_text("[user]\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dots / "config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(dots / "gitconfig"))
    policy = SandboxPolicy.create(dots, home=host.home)
    assert not policy.can_write(dots / "config" / "fish" / "config.fish")
    assert not policy.can_write(dots / "gitconfig")
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out(
            "(echo id >> gitconfig) 2>/dev/null || echo cfg-refused; "
            "(mkdir -p config/fish && echo id > config/fish/config.fish) 2>/dev/null "
            "|| echo fish-refused; echo ok > notes"
        )
    assert "cfg-refused" in out and "fish-refused" in out, out
    assert (dots / "gitconfig").read_text() == "[user]\n"
    assert not (dots / "config" / "fish").exists()
