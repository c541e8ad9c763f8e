"""What the constructed root must keep working: the runtime's own Python and its pytest, the
private tmp dirs, name resolution with --allow-network, background jobs across calls."""

from __future__ import annotations

import secrets
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Host, Shell


def test_pytest_with_the_runtimes_interpreter(shell: Shell, host: Host) -> None:
    """The interpreter and its site-packages (pyenv under /root here, a venv under /var/tmp in
    CI's unprivileged run) are shown read-only at their own paths."""
    (host.workspace / "test_calc.py").write_text("def test_add():\n    assert 1 + 1 == 2\n")
    python = shlex.quote(sys.executable)
    out = shell.out(
        f"{python} -m pytest -q -p no:cacheprovider test_calc.py 2>&1 | tail -1; "
        f"touch {shlex.quote(str(Path(sys.executable).resolve().parent))}/pwn; echo rc=$?",
        timeout_s=60,
    )
    assert "1 passed" in out and "rc=1" in out, out
    assert not (Path(sys.executable).resolve().parent / "pwn").exists()


def test_private_tmp_dirs_and_tmpdir(shell: Shell, host: Host) -> None:
    name = f"agentrun-test-{secrets.token_hex(4)}"
    out = shell.out(
        f"echo a > /tmp/{name} && echo b > /var/tmp/{name} && echo c > $TMPDIR/{name} && "
        f"echo d > /dev/shm/{name} && cat /tmp/{name} /var/tmp/{name} $TMPDIR/{name} "
        f"/dev/shm/{name} | tr -d '\\n'; echo; mktemp | grep -c ."
    )
    assert out.splitlines() == ["abcd", "1"], out
    assert not any(Path(d, name).exists() for d in ("/tmp", "/var/tmp", "/dev/shm"))


def test_name_resolution_files_with_network(host: Host, make_jail: object) -> None:
    """/etc/resolv.conf (a symlink into /run where systemd-resolved runs) and /etc/hosts stay
    readable, so DNS works when the network is allowed."""
    from conftest import Shell as JailShell

    shell = JailShell(make_jail(allow_network=True), host)  # type: ignore[operator]
    try:
        out = shell.out("head -c 1 /etc/resolv.conf | wc -c; getent hosts localhost | wc -l")
        assert out.split() == ["1", "1"], out
    finally:
        shell.close()


def test_a_background_server_and_its_log_across_calls(shell: Shell) -> None:
    started = shell.session.start_background(
        "exec python3 -m http.server 8766 --bind 127.0.0.1 --directory /tmp"
    )
    assert not started.is_error, started.content
    out = shell.out(
        "echo hello > /tmp/page.txt; for i in $(seq 100); do "
        "curl -s 127.0.0.1:8766/page.txt && break; sleep 0.05; done",
        timeout_s=15,
    )
    assert out.endswith("hello"), out


def test_git_in_a_linked_worktree(host: Host) -> None:
    """A workspace made by `git worktree add`: its .git is a gitfile into the main repository,
    which the view shows read-only so that status, diff and log still work."""
    import subprocess

    from conftest import JAIL_PATH

    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.policy import SandboxPolicy
    from agentrun.tools.shell import BashSession, build_env

    main, wt = host.base / "main", host.base / "wt"
    git = ["git", "-c", "user.email=a@b", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", str(main)], check=True)
    (main / "a.txt").write_text("one\n")
    subprocess.run([*git, "-C", str(main), "add", "a.txt"], check=True)
    subprocess.run([*git, "-C", str(main), "commit", "-qm", "init"], check=True)
    subprocess.run([*git, "-C", str(main), "worktree", "add", "-q", str(wt)], check=True)
    (wt / "a.txt").write_text("two\n")
    jail = JailSandbox(SandboxPolicy.create(wt, home=host.home), tmp_dir=host.tmp_dir)
    env = build_env(home=host.tmp_dir / "home", tmp_dir=host.tmp_dir, extra={"PATH": JAIL_PATH})
    (host.tmp_dir / "home").mkdir(exist_ok=True)
    session = BashSession(jail, cwd=wt, tmp_dir=host.tmp_dir, env=env, roots=(wt,))
    try:
        out = session.run(
            "git status --short; git log --oneline | wc -l; touch ../main/.git/x"
        ).content
    finally:
        session.close()
        jail.close()
    assert isinstance(out, str)
    lines = out.splitlines()[1:]  # after "Exit code 1" (the touch's)
    assert lines[:2] == [" M a.txt", "1"], out
    assert "Read-only file system" in lines[2] and not (main / ".git" / "x").exists()
