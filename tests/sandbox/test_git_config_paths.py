"""What the user's git config makes git run or read from a workspace, found whatever directory
git is started in: a hooks path or include file that does not exist yet cannot be reached
through a symlinked directory on the way, an ``includeIf`` whose condition is false where
agentrun runs is followed all the same, and programs, aliases, helpers and template
directories named by path are protected like ``core.hooksPath``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentrun.jail.policy import SandboxPolicy
from conftest import Host, jail_with_files


def test_a_missing_hooks_path_cannot_be_reached_through_a_symlinked_ancestor(
    host: Host,
) -> None:
    """``core.hooksPath = tools/git/hooks`` with no ``tools`` yet: ``ln -s other tools``
    would make ``other/git/hooks`` the hooks the user's next commit runs."""
    ws = host.workspace
    subprocess.run(
        ["git", "-C", str(ws), "config", "core.hooksPath", "tools/git/hooks"], check=True
    )
    assert not (ws / "tools").exists()
    policy = SandboxPolicy.create(ws, home=host.home)
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out(
            "mkdir -p other/git/hooks && echo id > other/git/hooks/pre-commit; "
            "ln -s other tools; echo made"
        )
    assert "made" in out and f"{ws / 'tools'} -> " in out, out
    assert not os.path.lexists(ws / "tools")
    assert (ws / "other" / "git" / "hooks" / "pre-commit").exists()


def test_a_missing_include_cannot_be_reached_through_a_symlinked_ancestor(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The global config includes ``<dotfiles>/a/b/inc.cfg``; neither ``a`` nor ``b`` exists:
    a symlink ``a`` made during the session is renamed away, a directory ``a`` stays."""
    dots = host.workspace
    config = host.home / ".gitconfig-test"
    config.write_text(f"[include]\n\tpath = {dots / 'a' / 'b' / 'inc.cfg'}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    policy = SandboxPolicy.create(dots, home=host.home)
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out(
            "mkdir -p o2/b && echo '[core] pager = id' > o2/b/inc.cfg; ln -s o2 a; echo made"
        )
        assert "made" in out and f"{dots / 'a'} -> " in out, out
        assert not os.path.lexists(dots / "a")
        out = shell.out("mkdir a && mv o2/b a/b; echo moved")
    assert "moved" in out and f"{dots / 'a' / 'b' / 'inc.cfg'} -> " in out, out
    assert (dots / "a").is_dir() and not os.path.lexists(dots / "a" / "b" / "inc.cfg")


def test_an_include_whose_condition_is_false_here_is_still_protected(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``includeIf "gitdir:..."`` naming another directory: false where agentrun runs, true at
    the user's next commit there; the file and the paths it names are protected anyway."""
    dots = host.workspace
    (dots / "bin").mkdir()
    (dots / "bin" / "mypager").write_text("#!/bin/sh\ncat\n")
    (dots / "hooks-work").mkdir()
    (dots / "work.cfg").write_text(
        f"[core]\n\thooksPath = {dots / 'hooks-work'}\n\tpager = {dots / 'bin' / 'mypager'}\n"
    )
    config = host.home / ".gitconfig-test"
    config.write_text('[includeIf "gitdir:/nowhere/work/"]\n\tpath = ' + f"{dots / 'work.cfg'}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    policy = SandboxPolicy.create(dots, home=host.home)
    paths = ("work.cfg", "bin/mypager", "hooks-work/pre-commit")
    for rel in paths:
        assert not policy.can_write(dots / rel), rel
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out(
            "for f in work.cfg bin/mypager hooks-work/pre-commit; do "
            "(echo id >> $f) 2>/dev/null || echo refused-$f; done"
        )
    for rel in paths:
        assert f"refused-{rel}" in out, out
    assert not (dots / "hooks-work" / "pre-commit").exists()


def test_programs_helpers_aliases_and_templates_named_by_the_global_config_are_protected(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``init.templateDir`` (its hooks are copied into every new repository), a credential
    helper, a ``!`` alias, a textconv and a clean filter, named by absolute or ``~/`` paths."""
    dots = host.workspace
    monkeypatch.setenv("HOME", str(dots.parent))
    tilde = f"~/{dots.name}"
    (dots / "tmpl" / "hooks").mkdir(parents=True)
    (dots / "tmpl" / "hooks" / "post-checkout").write_text("#!/bin/sh\n")
    (dots / "bin").mkdir()
    for name in ("cred", "lg", "textconv", "clean"):
        (dots / "bin" / name).write_text("#!/bin/sh\ncat\n")
    config = host.home / ".gitconfig-test"
    config.write_text(
        f"[init]\n\ttemplateDir = {tilde}/tmpl\n"
        f"[credential]\n\thelper = !$HOME/{dots.name}/bin/cred\n"
        f'[alias]\n\tlg = "!f() {{ {dots}/bin/lg --x; }}; f"\n'
        f'[diff "Bin"]\n\ttextconv = {tilde}/bin/textconv\n'
        f'[filter "x"]\n\tclean = {dots}/bin/clean %f\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    policy = SandboxPolicy.create(dots, home=host.home)
    paths = ("tmpl/hooks/pre-commit", "bin/cred", "bin/lg", "bin/textconv", "bin/clean")
    for rel in paths:
        assert not policy.can_write(dots / rel), rel
    assert policy.can_write(dots / "notes")
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out(
            "for f in " + " ".join(paths) + "; do "
            "(echo id >> $f) 2>/dev/null || echo refused-$f; done; echo ok > notes"
        )
    for rel in paths:
        assert f"refused-{rel}" in out, out
    assert (dots / "notes").read_text() == "ok\n"


def test_path_directories_inside_a_root_are_protected(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ws/bin`` (there) and ``ws/tools/bin`` (not yet) are on PATH: a ``git`` planted there
    runs at the user's next command, and at the next agentrun's."""
    ws = host.workspace
    (ws / "bin").mkdir()
    monkeypatch.setenv("PATH", f"{ws / 'bin'}:{ws / 'tools' / 'bin'}:{os.environ['PATH']}")
    policy = SandboxPolicy.create(ws, home=host.home)
    for rel in ("bin/git", "tools/bin/git"):
        assert not policy.can_write(ws / rel), rel
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out(
            "(echo id > bin/git) 2>/dev/null || echo refused; "
            "mkdir -p tools/bin && echo id > tools/bin/git; echo ok > notes"
        )
    assert "refused" in out and f"{ws / 'tools' / 'bin'} -> " in out, out
    assert not (ws / "bin" / "git").exists() and not (ws / "tools" / "bin").exists()
    assert (ws / "notes").read_text() == "ok\n"


def test_an_activated_project_venv_stays_writable(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project's own package trees on PATH (``.venv/bin``, ``node_modules/.bin``): the code
    beside them is the project's and writable anyway, so installing into them keeps working;
    a plain ``ws/bin`` on the same PATH stays protected."""
    ws = host.workspace
    venv_bin = ws / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (ws / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    node_bin = ws / "node_modules" / ".bin"
    node_bin.mkdir(parents=True)
    (ws / "bin").mkdir()
    monkeypatch.setenv("PATH", f"{venv_bin}:{node_bin}:{ws / 'bin'}:{os.environ['PATH']}")
    policy = SandboxPolicy.create(ws, home=host.home)
    assert policy.can_write(venv_bin / "pytest")
    assert policy.can_write(node_bin / "eslint")
    assert not policy.can_write(ws / "bin" / "git")


def test_a_path_entry_that_cannot_be_looked_into_is_skipped(
    host: Host, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Another user's ``~/.cargo/bin`` on PATH: the policy must still be made (as uid 65534
    this raised PermissionError, and every jail start failed)."""
    locked = tmp_path / "locked"
    (locked / "bin").mkdir(parents=True)
    locked.chmod(0)
    try:
        monkeypatch.setenv("PATH", f"{locked / 'bin'}:{os.environ['PATH']}")
        policy = SandboxPolicy.create(host.workspace, home=host.home)
        assert policy.can_write(host.workspace / "notes")
    finally:
        locked.chmod(0o755)


def test_the_runtimes_own_git_never_comes_from_a_directory_on_path_it_does_not_trust(
    tmp_path: Path,
) -> None:
    """A ``git`` planted in a workspace directory that is first on PATH is not what the
    runtime's unconfined git calls run."""
    planted = tmp_path / "ws" / "bin"
    planted.mkdir(parents=True)
    marker = tmp_path / "ran"
    (planted / "git").write_text(f"#!/bin/sh\ntouch {marker}\necho planted\n")
    (planted / "git").chmod(0o755)
    code = "from agentrun.runner.gitcmd import git\nprint(git('.', '--version').stdout)\n"
    env = {**os.environ, "PATH": f"{planted}:{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path / "ws",
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "git version" in done.stdout, done
    assert not marker.exists()


def test_deep_stow_links_are_found_past_a_big_dot_folder(host: Host) -> None:
    """``~/.config/nvim/lua/user/plugins/p.lua`` links into the workspace (a dotfiles folder),
    and a dot-folder of 4100 files sorts before ``.config``: the link is still found."""
    ws = host.workspace
    home = host.base / "stowhome"
    (home / ".aaa").mkdir(parents=True)
    for n in range(4100):
        (home / ".aaa" / f"f{n}").touch()
    target = ws / "nvim" / "lua" / "user" / "plugins" / "p.lua"
    target.parent.mkdir(parents=True)
    target.write_text("-- plugin\n")
    link = home / ".config" / "nvim" / "lua" / "user" / "plugins" / "p.lua"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    policy = SandboxPolicy.create(ws, home=home)
    assert target in policy.protected
    assert not policy.can_write(target)


def test_the_hooks_paths_of_many_nested_repositories_are_guarded(host: Host) -> None:
    """70 repositories below the workspace, each with ``core.hooksPath = .githooks``: every
    one's hooks directory made during the session is renamed away."""
    ws = host.workspace
    for n in range(70):
        (ws / f"r{n}" / ".git").mkdir(parents=True)
        (ws / f"r{n}" / ".git" / "config").write_text("[core]\n\thooksPath = .githooks\n")
    policy = SandboxPolicy.create(ws, home=host.home)
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out("for n in $(seq 0 69); do mkdir r$n/.githooks; done; echo made")
    assert "made" in out, out
    left = [n for n in range(70) if (ws / f"r{n}" / ".githooks").exists()]
    assert left == [], out


def test_a_relative_global_hooks_path_is_guarded_in_the_workspaces_repository(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``core.hooksPath = .githooks`` in the global config: git takes it from every work tree,
    so the workspace's ``.githooks`` made during the session would run at the next commit."""
    ws = host.workspace
    assert (ws / ".git").exists()
    config = host.home / ".gitconfig-test"
    config.write_text("[core]\n\thooksPath = .githooks\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    policy = SandboxPolicy.create(ws, home=host.home)
    with jail_with_files(host, policy) as (shell, _):
        out = shell.out("mkdir .githooks && echo id > .githooks/pre-commit; echo made")
    assert "made" in out and f"{ws / '.githooks'} -> " in out, out
    assert not (ws / ".githooks").exists()
