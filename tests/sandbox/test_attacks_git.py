"""Git's execution surface at any depth: read-only if it was there, neutralised if it is made.

The host's ``git status`` runs ``core.fsmonitor`` from the repository it finds, recursing into
submodules; a jailed command that could write a ``.git`` anywhere in the workspace (a nested
repository, a submodule's gitfile, ``.gitmodules``) ran code on the host. The planted
repositories here carry a ``core.fsmonitor`` that appends to a marker file; a control repository
built the same way on the host shows the marker does get written when git finds one.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Host, Shell


@pytest.fixture
def marker(host: Host) -> Path:
    return host.base / "fsmonitor-ran"


def _plant(where: str, marker: Path) -> str:
    """Shell lines making a live repository at ``where`` (in the jail: under its private /tmp)
    with an index (git consults fsmonitor only then) and a planted ``core.fsmonitor``."""
    hook = f"echo pwned >> {marker}; true"
    return (
        f"git init -q {where} && cd {where} && echo x > f && git add f && "
        f"git config core.fsmonitor {shlex.quote(hook)} && cd - > /dev/null"
    )


def _host_git_status(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(where.parent.parent)}
    return subprocess.run(
        ["git", "-C", str(where), "status", "--short"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture
def live_control(host: Host, marker: Path) -> Iterator[None]:
    """The same planting on the host does run the hook: the marker is a real signal."""
    control = host.base / "control"
    control.mkdir()
    subprocess.run(["bash", "-c", _plant(str(control), marker)], check=True)
    _host_git_status(control)
    assert marker.read_text() == "pwned\n"
    marker.unlink()
    yield


pytestmark = pytest.mark.usefixtures("live_control")


def test_existing_git_metadata_at_depth_is_read_only(shell: Shell, host: Host) -> None:
    """A submodule's gitfile, a nested repository's config, .gitmodules at two depths."""
    ws = host.workspace
    (ws / "sub").mkdir()
    (ws / "sub" / ".git").write_text("gitdir: ../.git/modules/sub\n")
    subprocess.run(["git", "init", "-q", str(ws / "nested")], check=True)
    (ws / ".gitmodules").write_text('[submodule "sub"]\n\tpath = sub\n')
    (ws / "vendor").mkdir()
    (ws / "vendor" / ".gitmodules").write_text("")
    protected = [
        ws / "sub" / ".git",
        ws / "nested" / ".git" / "config",
        ws / ".gitmodules",
        ws / "vendor" / ".gitmodules",
    ]
    before = {p: p.read_bytes() for p in protected}
    out = shell.out(
        "echo 'gitdir: ../docs/build' > sub/.git; echo rc=$?; "
        "git -C nested config core.fsmonitor 'echo pwned'; echo rc=$?; "
        "echo '[core]' >> nested/.git/config; echo rc=$?; "
        "echo x >> .gitmodules; echo rc=$?; rm -f vendor/.gitmodules; echo rc=$?; "
        "mv sub/.git sub/git-moved; echo rc=$?; rm -rf nested/.git; echo rc=$?; "
        "echo ok > nested/file && cat nested/file"
    )
    assert "rc=0" not in out and out.endswith("ok"), out  # the directories stay writable
    assert {p: p.read_bytes() for p in protected} == before
    assert (ws / "nested" / "file").exists() and not (ws / "sub" / "git-moved").exists()


def test_a_nested_repository_made_during_a_call_is_neutralised(
    shell: Shell, host: Host, marker: Path
) -> None:
    """``mkdir sub/.git`` by copying a planted repository in, a gitfile to a planted git dir,
    a rename onto ``.git``, and .gitmodules / .mcp.json / .claude at the root: each renamed
    away before the call's result, which says so."""
    out = shell.out(
        _plant("/tmp/r", marker) + " && mkdir -p a/b c d && cp -r /tmp/r/.git a/b/.git; "
        "cp -r /tmp/r/.git planted; echo 'gitdir: ../planted' > c/.git; "
        "cp -r /tmp/r/.git d/staging && mv d/staging d/.git; "
        "echo '[submodule]' > .gitmodules; echo '{}' > .mcp.json; mkdir .claude; echo done"
    )
    assert "done" in out
    result = shell.run("true")  # nothing new: no notice
    assert result.content == "" or "Renamed by the sandbox" not in str(result.content)
    ws = host.workspace
    for made in ("a/b/.git", "c/.git", "d/.git", ".gitmodules", ".mcp.json", ".claude"):
        assert not (ws / made).exists(), made
        assert f"{ws / made} -> " in out, out
        assert list((ws / made).parent.glob(f"{Path(made).name}.agentrun-quarantined-*"))
    assert "not the agent's job" in out
    for where in (ws, ws / "a" / "b", ws / "c", ws / "d"):
        _host_git_status(where)
    assert not marker.exists()


def test_git_init_in_a_subdirectory_fails_and_says_why(shell: Shell, host: Host) -> None:
    out = shell.out("mkdir -p pkg && cd pkg && git init -q; echo rc=$?")
    assert "rc=0" not in out and "nested `git init`" in out, out
    assert not (host.workspace / "pkg" / ".git").exists()


def test_a_background_job_planting_later_is_neutralised_at_once(
    shell: Shell, host: Host, marker: Path
) -> None:
    """After the call has returned: the watch, not the end of a call, catches it."""
    started = shell.session.start_background(
        _plant("/tmp/r", marker) + " && sleep 0.5 && mkdir -p late && cp -r /tmp/r/.git late/.git"
        " && echo copied"
    )
    assert not started.is_error, started.content
    late = host.workspace / "late"
    assert host.wait_for(
        lambda: list(late.glob(".git.agentrun-quarantined-*")) and not (late / ".git").exists(),
        timeout=30,
    )
    _host_git_status(late)
    _host_git_status(host.workspace)
    assert not marker.exists()
    assert "late/.git -> " in shell.out("true")  # told at the next call


def test_moving_a_directory_keeps_its_read_only_git(shell: Shell, host: Host) -> None:
    """A pre-existing ``.git`` moved with its directory is not mistaken for a new one."""
    ws = host.workspace
    (ws / "sub").mkdir()
    (ws / "sub" / ".git").write_text("gitdir: ../.git/modules/sub\n")
    out = shell.out("mv sub sub2; echo rc=$?; echo x > sub2/.git; echo rc=$?")
    assert out.splitlines()[0] == "rc=0" and "rc=1" in out, out
    assert (ws / "sub2" / ".git").read_text() == "gitdir: ../.git/modules/sub\n"
    assert "Renamed by the sandbox" not in out


def test_a_git_deeper_than_a_path_can_name_is_neutralised(shell: Shell, host: Host) -> None:
    """Past PATH_MAX (4096) a path cannot be opened in one call: the watch walks down."""
    code = (
        "import os\nos.mkdir('deep'); os.chdir('deep')\n"
        "for i in range(80):\n    os.mkdir('d' * 60); os.chdir('d' * 60)\n"
        "os.mkdir('.git'); print(len(os.getcwd()))\n"
    )
    out = shell.out("python3 -c " + shlex.quote(code))
    assert int(out.splitlines()[0]) > 4096 and "Renamed by the sandbox" in out, out
    found = subprocess.run(
        ["find", str(host.workspace / "deep"), "-name", ".git*"], capture_output=True, text=True
    ).stdout.split()
    assert len(found) == 1 and ".git.agentrun-quarantined-" in found[0]


def test_a_directory_made_into_a_bare_repository_loses_its_head(
    shell: Shell, host: Host, marker: Path
) -> None:
    """No ``.git`` at all: git also takes a directory holding HEAD, objects/ and refs/ for a
    repository, and ``core.worktree`` in its config gives it a work tree (and an fsmonitor)."""
    hook = shlex.quote(f"echo pwned >> {marker}; true")
    out = shell.out(
        "git init -q --bare /tmp/b && cd /tmp/b && echo x > f && "
        "git --git-dir=. --work-tree=. add f && git config core.bare false && "
        f"git config core.fsmonitor {hook} && cd - > /dev/null && cp -r /tmp/b sub && "
        'git -C sub config core.worktree "$PWD/sub" 2>/dev/null; ls sub | tr "\\n" " "'
    )
    assert "HEAD.agentrun-quarantined-" in out and "Renamed by the sandbox" in out, out
    _host_git_status(host.workspace / "sub")
    assert not marker.exists()


def test_a_git_hidden_in_a_directory_made_unreadable_is_neutralised(
    shell: Shell, host: Host, marker: Path
) -> None:
    """Mode 0311: git can still enter the directory, but an unprivileged runtime (its owner)
    could neither list nor watch it; the guard gives the owner its read right back."""
    out = shell.out(
        _plant("/tmp/r", marker) + " && mkdir d && chmod 311 d && cp -r /tmp/r/.git d/.git; "
        "chmod 311 d; echo made"
    )
    assert "made" in out and "d/.git -> " in out, out  # (cp may lose the race: fine)
    d = host.workspace / "d"
    d.chmod(0o755)
    assert not (d / ".git").exists() and list(d.glob(".git.agentrun-quarantined-*"))
    _host_git_status(d)
    assert not marker.exists()
