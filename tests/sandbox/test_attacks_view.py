"""What the host's own tools run from a write root, whatever shape the jail gives it.

Git takes a directory for a repository when it holds a HEAD plus ``objects`` and ``refs`` it can
enter (``access(X_OK)``, following symlinks: an executable regular file or a symlink passes), so
a planted ``config`` there runs ``core.pager`` or ``core.sshCommand`` at the user's next git
command in that directory. Each attack is first planted on the host, where the marker does get
written (the signal is real), then by a jailed command; the user's git runs after the session.
"""

from __future__ import annotations

import os
import pty
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agentrun.jail.jail import JailSandbox
from agentrun.jail.policy import SandboxPolicy

if TYPE_CHECKING:
    from conftest import Host


def _config(marker: Path) -> str:
    """A config whose pager and sshCommand each leave a marker (``<marker>.pager``, ``.ssh``)."""
    pager = f"touch {marker}.pager; cat"
    ssh = f"touch {marker}.ssh; false"
    return f"[core]\n\tpager = {pager}\n\tsshCommand = {ssh}\n"


def _ran(marker: Path) -> list[str]:
    return [k for k in ("pager", "ssh") if Path(f"{marker}.{k}").exists()]


# Shell lines run in a directory: three shapes git accepts for a bare repository.
_SHAPES = {
    "executable-files": "echo 'ref: refs/heads/main' > HEAD && touch objects refs && "
    "chmod +x objects refs",
    "symlinks-to-a-dir": "echo 'ref: refs/heads/main' > HEAD && mkdir o && ln -s o objects && "
    "ln -s o refs",
    "dangling-then-made": "echo 'ref: refs/heads/main' > HEAD && ln -s o objects && "
    "ln -s o refs && mkdir o",
}


def _plant(shape: str, marker: Path) -> str:
    return f"{_SHAPES[shape]} && printf %s {shlex.quote(_config(marker))} > config"


def _user_git(where: Path, ceiling: Path) -> None:
    """The user's git in ``where``, as they would run it: `git branch` on a terminal (the
    pager) and a fetch from an ssh remote (core.sshCommand)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_CEILING_DIRECTORIES": str(ceiling),
        "PAGER": "cat",
        "TERM": "xterm",
    }
    primary, secondary = pty.openpty()
    try:
        subprocess.run(
            ["git", "-C", str(where), "branch"],
            stdin=subprocess.DEVNULL,
            stdout=secondary,
            stderr=subprocess.DEVNULL,
            env=env,
            timeout=60,
        )
    finally:
        os.close(secondary)
        os.close(primary)
    subprocess.run(
        ["git", "-C", str(where), "ls-remote", "ssh://example.invalid/x"],
        capture_output=True,
        env=env,
        timeout=60,
    )


def _control(host: Host, shape: str) -> None:
    """The same planting on the host runs both markers."""
    control = host.base / f"control-{shape}"
    control.mkdir()
    marker = host.base / "control"
    subprocess.run(["bash", "-c", _plant(shape, marker)], cwd=control, check=True)
    _user_git(control, host.base)
    assert _ran(marker) == ["pager", "ssh"]


Make = Callable[..., JailSandbox]


def _shell(jail: JailSandbox, host: Host) -> object:
    from conftest import Shell

    return Shell(jail, host)


@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_a_bare_shaped_subdirectory_loses_what_git_would_run(
    host: Host, make_jail: Make, shape: str
) -> None:
    _control(host, shape)
    marker = host.base / "pwned"
    shell = _shell(make_jail(), host)
    out = shell.out(f"mkdir sub && cd sub && {_plant(shape, marker)}; ls | tr '\\n' ' '")  # type: ignore[attr-defined]
    shell.close()  # type: ignore[attr-defined]
    assert "HEAD.agentrun-quarantined-" in out and "Renamed by the sandbox" in out, out
    _user_git(host.workspace / "sub", host.base)
    assert _ran(marker) == []


@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_a_root_that_is_no_repository_made_bare_shaped_loses_its_head(
    host: Host, make_jail: Make, shape: str
) -> None:
    """No repository at the root: git skips the empty ``.git`` placeholder and looks at the
    root itself."""
    _control(host, shape)
    shutil.rmtree(host.workspace / ".git")
    marker = host.base / "pwned"
    shell = _shell(make_jail(), host)
    out = shell.out(f"{_plant(shape, marker)}; ls | tr '\\n' ' '")  # type: ignore[attr-defined]
    shell.close()  # type: ignore[attr-defined]
    assert "HEAD.agentrun-quarantined-" in out, out
    assert not (host.workspace / ".git").exists()  # the placeholder went with the session
    _user_git(host.workspace, host.base)
    assert _ran(marker) == []


def test_a_bare_shape_linked_into_the_repository_loses_its_head(
    host: Host, make_jail: Make
) -> None:
    """objects/ and refs/ borrowed from the workspace's own repository by symlinks."""
    subprocess.run(
        ["git", "-C", str(host.workspace), "commit", "-q", "--allow-empty", "-m", "x"],
        check=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
        },
    )
    marker = host.base / "pwned"
    shell = _shell(make_jail(), host)
    out = shell.out(  # type: ignore[attr-defined]
        "mkdir src && cd src && cp ../.git/HEAD HEAD && ln -s ../.git/objects objects && "
        f"ln -s ../.git/refs refs && printf %s {shlex.quote(_config(marker))} > config; echo made"
    )
    shell.close()  # type: ignore[attr-defined]
    assert "made" in out and "HEAD.agentrun-quarantined-" in out, out
    _user_git(host.workspace / "src", host.base)
    assert _ran(marker) == []


def test_a_root_bare_from_the_start_keeps_its_head_read_only(host: Host, make_jail: Make) -> None:
    """A session run in a bare repository: its HEAD and config are read-only, not renamed."""
    shutil.rmtree(host.workspace / ".git")
    subprocess.run(["git", "init", "-q", "--bare", str(host.workspace)], check=True)
    config = (host.workspace / "config").read_bytes()
    shell = _shell(make_jail(), host)
    out = shell.out(
        "echo x >> config; echo rc=$?; echo y > HEAD; echo rc=$?; mkdir -p evil; "
        "echo evil > commondir; echo ok > f; cat f"
    )  # type: ignore[attr-defined]
    shell.close()  # type: ignore[attr-defined]
    assert "rc=0" not in out and "\nok\n" in out, out
    assert (host.workspace / "config").read_bytes() == config
    assert (host.workspace / "HEAD").exists()
    assert f"{host.workspace / 'commondir'} -> " in out, out  # would name another config


@pytest.mark.parametrize("outer_is_workspace", [True, False])
def test_a_root_nested_in_another_keeps_its_root_guards(
    host: Host, make_jail: Make, outer_is_workspace: bool
) -> None:
    """``--cwd ws/pkg --add-dir ws`` (and the reverse): ``.agentrun``, ``.claude`` and
    ``.mcp.json`` made at the inner root are renamed away, as at the outer one."""
    inner = host.workspace / "pkg"
    inner.mkdir()
    if outer_is_workspace:
        jail = make_jail(add_dirs=[inner])
    else:
        policy = SandboxPolicy.create(inner, add_dirs=[host.workspace], home=host.home)
        from conftest import TEST_LIMITS

        jail = JailSandbox(policy, tmp_dir=host.tmp_dir, limits=TEST_LIMITS)
    shell = _shell(jail, host)
    out = shell.out(  # type: ignore[attr-defined]
        "mkdir -p pkg/.agentrun pkg/.claude && echo '{}' > pkg/.mcp.json; echo made"
    )
    shell.close()  # type: ignore[attr-defined]
    assert "made" in out and "Renamed by the sandbox" in out, out
    for name in (".agentrun", ".claude", ".mcp.json"):
        assert not (inner / name).exists(), name
        assert list(inner.glob(f"{name}.agentrun-quarantined-*")), name


_WATCHES = (
    "import ctypes, os\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "for name, nr, args in (('inotify_init', 253, ()), ('inotify_init1', 294, (0,)),"
    " ('fanotify_init', 300, (0, 0))):\n"
    "    r = libc.syscall(nr, *args)\n"
    "    print(name, r if r >= 0 else os.strerror(ctypes.get_errno()))\n"
)


def test_file_watches_are_refused_and_tail_f_still_follows(host: Host, make_jail: Make) -> None:
    """Watches count against the user's host-wide limits (root's, for a jail run as root): the
    jail has none, and ``tail -f`` falls back to polling."""
    shell = _shell(make_jail(), host)
    out = shell.out("python3 -c " + shlex.quote(_WATCHES))  # type: ignore[attr-defined]
    assert out.splitlines() == [
        f"{name} Function not implemented"
        for name in ("inotify_init", "inotify_init1", "fanotify_init")
    ], out
    follow = (
        "echo a > log; tail -f log > seen 2> err & pid=$!; sleep 0.5; echo b >> log; "
        "for i in $(seq 300); do grep -q b seen && break; sleep 0.1; done; "
        "kill $pid; cat seen"
    )
    assert shell.out(follow, timeout_s=60).split() == ["a", "b"]  # type: ignore[attr-defined]
    shell.close()  # type: ignore[attr-defined]


def test_claude_settings_in_subfolders_are_read_only_and_new_ones_renamed(
    host: Host, make_jail: Make
) -> None:
    """Claude Code started in ``sub`` would load ``sub/.claude`` (hooks) and ``sub/.mcp.json``
    (servers it runs): like ``.git``, at any depth."""
    ws = host.workspace
    (ws / "sub" / ".claude").mkdir(parents=True)
    (ws / "sub" / ".claude" / "settings.json").write_text("{}\n")
    (ws / "sub" / ".mcp.json").write_text("{}\n")
    policy = host.policy()
    for made in ("sub/.claude/settings.json", "sub/.mcp.json", "new/.claude/x", "a/b/.mcp.json"):
        assert policy.protected_entry(ws / made) is not None, made
        assert not policy.can_write(ws / made), made
    shell = _shell(make_jail(), host)
    out = shell.out(  # type: ignore[attr-defined]
        "echo hook >> sub/.claude/settings.json; echo rc=$?; echo x > sub/.mcp.json; "
        "echo rc=$?; mkdir -p new/.claude a/b && echo '{}' > a/b/.mcp.json; echo made"
    )
    shell.close()  # type: ignore[attr-defined]
    assert "rc=0" not in out and "made" in out, out
    assert (ws / "sub" / ".claude" / "settings.json").read_text() == "{}\n"
    assert (ws / "sub" / ".mcp.json").read_text() == "{}\n"
    for made in ("new/.claude", "a/b/.mcp.json"):
        assert not (ws / made).exists(), made
        assert f"{ws / made} -> " in out, out


def test_home_start_up_files_at_a_root_are_read_only_and_new_ones_renamed(
    host: Host, make_jail: Make
) -> None:
    """``--cwd ~``: git's config, the shells' start-up files and ssh's keys run code or grant
    access at the user's next command; existing ones are read-only, new ones renamed."""
    ws = host.workspace
    existing = {
        ".gitconfig": "[user]\n",
        ".bashrc": "# rc\n",
        ".ssh/authorized_keys": "",
        ".config/git/config": "",
    }
    for rel, text in existing.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)
    policy = host.policy()
    for rel in (*existing, ".profile", ".zshrc", ".config/git/ignore"):
        assert not policy.can_write(ws / rel), rel
    assert policy.can_write(ws / ".config" / "other")
    shell = _shell(make_jail(), host)
    out = shell.out(  # type: ignore[attr-defined]
        "for f in .gitconfig .bashrc .ssh/authorized_keys .config/git/config; do "
        "echo '[core] pager = evil' >> $f; echo rc=$?; done; "
        "echo evil > .profile; echo evil > .zshrc; echo ok > .config/other; echo made"
    )
    shell.close()  # type: ignore[attr-defined]
    assert "rc=0" not in out and "made" in out, out
    assert {rel: (ws / rel).read_text() for rel in existing} == existing
    for made in (".profile", ".zshrc"):
        assert not (ws / made).exists() and f"{ws / made} -> " in out, out
    assert (ws / ".config" / "other").read_text() == "ok\n"


def test_a_git_config_dir_made_under_a_new_config_dir_is_renamed(
    host: Host, make_jail: Make
) -> None:
    ws = host.workspace
    shell = _shell(make_jail(), host)
    out = shell.out("mkdir -p .config/git && echo x > .config/git/config; echo made")  # type: ignore[attr-defined]
    shell.close()  # type: ignore[attr-defined]
    assert "made" in out and f"{ws / '.config' / 'git'} -> " in out, out
    assert not (ws / ".config" / "git").exists()


def test_protected_paths_reached_through_symlinks_stay_protected(
    host: Host, make_jail: Make
) -> None:
    """A home whose dotfiles link into a folder of it (a dotfiles manager), a ``.claude``
    linked elsewhere, and a ``.config`` replaced by a symlink during the session."""
    ws = host.workspace
    (ws / "dotfiles" / "config").mkdir(parents=True)
    (ws / "dotfiles" / "gitconfig").write_text("[user]\n")
    (ws / ".gitconfig").symlink_to("dotfiles/gitconfig")
    (ws / ".config").symlink_to("dotfiles/config")
    (ws / "shared").mkdir()
    (ws / "shared" / "settings.json").write_text("{}\n")
    (ws / "sub").mkdir()
    (ws / "sub" / ".claude").symlink_to("../shared")
    shell = _shell(make_jail(), host)
    out = shell.out(  # type: ignore[attr-defined]
        "echo evil >> dotfiles/gitconfig; echo rc=$?; echo x >> shared/settings.json; "
        "echo rc=$?; mkdir -p dotfiles/config/git; echo made; "
        "mkdir other && rm .config && ln -s other .config; echo linked; "
        "rm sub/.claude && ln -s ../other sub/.claude; echo again"
    )
    shell.close()  # type: ignore[attr-defined]
    assert "rc=0" not in out and "made" in out and "linked" in out, out
    assert (ws / "dotfiles" / "gitconfig").read_text() == "[user]\n"
    assert (ws / "shared" / "settings.json").read_text() == "{}\n"
    assert not (ws / "dotfiles" / "config" / "git").exists()
    for made in (".config", "sub/.claude"):  # even on the same inode as the old link
        assert f"{ws / made} -> " in out and not (ws / made).exists(), out


def test_file_tools_refuse_claude_below_a_root_but_not_a_root_inside_one(
    tmp_path: Path,
) -> None:
    """``.claude`` at any depth below a root is refused to Write/Edit; a workspace that lies
    inside a ``.claude`` (editing ``~/.claude/agents``) stays writable."""
    from agentrun.jail.paths import PathDenied, Workspace

    ws_dir = tmp_path / ".claude" / "agents"
    ws_dir.mkdir(parents=True)
    ws = Workspace(SandboxPolicy.create(ws_dir, home=tmp_path / "home"))
    assert ws.write_target("reviewer.md").path == ws_dir / "reviewer.md"
    for refused in ("sub/.claude/settings.json", "a/.mcp.json"):
        with pytest.raises(PathDenied, match="protected at any depth"):
            ws.write_target(refused)
