"""The jail as a place to work (a workspace fully usable) and as something that cleans up after
itself (timeouts, close, a SIGKILLed runtime)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agentrun.jail.jail import JailSandbox
from agentrun.jail.layers import required_layers

if TYPE_CHECKING:
    from conftest import Host, Shell

ROOT = os.geteuid() == 0


# -- the workspace is fully usable ---------------------------------------------------------------


def test_build_with_gcc_and_make(shell: Shell, host: Host) -> None:
    (host.workspace / "hello.c").write_text(
        '#include <stdio.h>\nint main(void){puts("hello from the jail");return 0;}\n'
    )
    (host.workspace / "Makefile").write_text("hello: hello.c\n\tgcc -O0 -o hello hello.c\n")
    out = shell.out("make -s && ./hello", timeout_s=30)
    assert out == "hello from the jail"
    assert (host.workspace / "hello").is_file()


def test_python_tests_of_a_tiny_project(shell: Shell, host: Host) -> None:
    (host.workspace / "calc.py").write_text("def add(a, b):\n    return a + b\n")
    (host.workspace / "test_calc.py").write_text(
        "import unittest\nfrom calc import add\n\n"
        "class T(unittest.TestCase):\n"
        "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n"
    )
    result = shell.run("python3 -m unittest -q 2>&1 | tail -1", timeout_s=30)
    assert result.content == "OK"


def test_git_status_diff_and_log_in_the_workspace_repository(shell: Shell, host: Host) -> None:
    """The workspace's repository works for reading (its .git is read-only to Bash: a commit is
    the user's to make)."""
    ws = str(host.workspace)
    git = ["git", "-C", ws, "-c", "user.email=a@b", "-c", "user.name=t"]
    (host.workspace / "a.txt").write_text("one\n")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    (host.workspace / "a.txt").write_text("two\n")
    out = shell.out(
        "git status --short; git diff --stat | tail -1; git log --oneline | wc -l; "
        "git diff | grep '^+two'; git add a.txt; echo add=$?",
        timeout_s=30,
    )
    lines = out.splitlines()
    assert lines[0] == " M a.txt" and "1 file changed" in lines[1] and lines[2:4] == ["1", "+two"]
    assert "add=128" in out  # the index lives in the read-only .git


def test_loopback_server_between_calls(shell: Shell) -> None:
    started = shell.session.start_background("exec python3 -m http.server 8765 --bind 127.0.0.1")
    assert not started.is_error, started.content
    out = shell.out(
        "for i in $(seq 100); do curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:8765/ "
        "&& break; sleep 0.05; done",
        timeout_s=15,
    )
    assert out.endswith("200")
    assert shell.out("curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:8765/") == "200"


def test_devices_fds_and_tmp(shell: Shell, host: Host) -> None:
    out = shell.out(
        "echo x > /dev/null && head -c 4 /dev/zero | wc -c && echo fd > /dev/stdout && "
        "diff <(echo a) <(echo a) && echo same && t=$(mktemp) && echo y > $t && cat $t && "
        "echo z > /tmp/scratch && cat /tmp/scratch && printf 'b\\na\\n' | sort -S 1K | head -1"
    )
    assert out.split() == ["4", "fd", "same", "y", "z", "a"]
    assert not Path("/tmp/scratch").exists() or Path("/tmp/scratch").read_text() != "z\n"


def test_stdin_is_dev_null_and_only_stdout_is_inherited(shell: Shell) -> None:
    out = shell.out("cat; python3 -c 'import os; print(sorted(os.listdir(\"/proc/self/fd\")))'")
    assert out == "['0', '1', '2', '3']"  # 3 is listdir's own


def test_multiprocessing(shell: Shell, host: Host) -> None:
    code = (
        "import multiprocessing as mp\n"
        "if __name__ == '__main__':\n"
        "    with mp.Pool(2) as p:\n"
        "        print(sum(p.map(abs, range(-10, 10))))\n"
    )
    (host.workspace / "mp.py").write_text(code)
    # Pool needs its semaphores in /dev/shm: the jail's private one.
    out = shell.out("python3 mp.py", timeout_s=30)
    assert out == "100"


@pytest.mark.slow
def test_pip_install_into_workspace_venv_with_network(host: Host, make_jail) -> None:
    from conftest import Shell as ShellClass  # the fixture module; only at run time

    s = ShellClass(make_jail(allow_network=True), host)
    try:
        index = Path("/opt/pypi/simple/iniconfig")
        if not index.is_dir():
            pytest.skip("no package registry reachable from this machine")
        out = s.out(
            "python3 -m venv venv && venv/bin/pip install -q iniconfig 2>&1 | tail -2; "
            "venv/bin/python -c 'import iniconfig; print(\"imported\")'",
            timeout_s=120,
        )
        if "imported" not in out and ("Could not" in out or "No matching" in out):
            pytest.skip(f"registry unreachable: {out[-200:]}")
        assert out.endswith("imported")
        assert list((host.workspace / "venv").glob("lib/python3*/site-packages/iniconfig"))
    finally:
        s.close()


# -- cleanup -------------------------------------------------------------------------------------


def test_timeout_kills_everything_in_the_call(shell: Shell, host: Host) -> None:
    a, b, c = host.unique_sleep(), host.unique_sleep(), host.unique_sleep()
    start = time.monotonic()
    result = shell.run(
        f"sleep {a} & setsid sleep {b} & (setsid nohup sleep {c} > /dev/null 2>&1 &); sleep 60",
        timeout_s=1,
    )
    assert "timed out" in str(result.content)
    assert time.monotonic() - start < 5
    for arg in (a, b, c):
        assert host.live_with_arg(arg) == []


def _mounts() -> list[str]:
    return Path("/proc/self/mountinfo").read_text().splitlines()


def test_close_leaves_nothing(host: Host) -> None:
    from conftest import TEST_LIMITS
    from conftest import Shell as ShellClass

    mounts = _mounts()
    jail = JailSandbox(host.policy(), tmp_dir=host.tmp_dir, limits=TEST_LIMITS)
    s = ShellClass(jail, host)
    arg = host.unique_sleep()
    assert not s.session.start_background(f"setsid sleep {arg}").is_error
    assert host.wait_for(lambda: host.live_with_arg(arg))
    state = jail._state
    cgroup_dirs = jail._cgroup.paths if jail._cgroup else ()
    init = jail._proc.pid if jail._proc else 0
    assert state.is_dir() and all(p.is_dir() for p in cgroup_dirs)
    assert ("cgroup" in jail.enforced) == ROOT
    s.close()
    assert host.live_with_arg(arg) == []
    assert not state.exists()
    assert not any(p.exists() for p in cgroup_dirs)
    with pytest.raises(ProcessLookupError):
        os.kill(init, 0)
    assert _mounts() == mounts


_RUNTIME = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.policy import SandboxPolicy
    ws, tmp, home, arg = sys.argv[1:5]
    jail = JailSandbox(SandboxPolicy.create(ws, home=Path(home)), tmp_dir=Path(tmp))
    fd = os.open(os.devnull, os.O_WRONLY)
    jail.spawn(["setsid", "sleep", arg], cwd=Path(ws), env={"PATH": "/usr/bin:/bin"}, stdout=fd)
    cg = [str(p) for p in jail._cgroup.paths] if jail._cgroup else []
    info = {"state": str(jail._state), "cgroups": cg, "init": jail._proc.pid}
    print(json.dumps(info), flush=True)
    time.sleep(600)
    """
)


def test_sigkill_of_the_runtime_kills_the_jail_and_next_start_sweeps(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    arg = host.unique_sleep()
    shutil.rmtree(host.workspace / ".git")  # so the jail plants a .git placeholder to leave
    # A private temporary directory for the state dirs, ours and the killed runtime's: another
    # test run on this machine starting a jail meanwhile sweeps /tmp, and would remove the
    # leftovers (and the placeholder) this test expects to find and then see swept.
    private_tmp = host.base / "state-tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    runtime = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _RUNTIME,
            str(host.workspace),
            str(host.tmp_dir),
            str(host.home),
            arg,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(runtime.stdout.readline())  # type: ignore[union-attr]
        assert host.wait_for(lambda: host.live_with_arg(arg))
        runtime.send_signal(signal.SIGKILL)
        runtime.wait()
        # The init reads EOF on its socket and exits; PID 1 gone, the kernel kills the rest.
        assert host.wait_for(lambda: not host.live_with_arg(arg), timeout=60)
        assert host.wait_for(lambda: not Path(f"/proc/{info['init']}").exists(), timeout=60)
        # Nobody was left to remove the state dir, the cgroup and the .git placeholder, until
        # the next start sweeps them.
        assert Path(info["state"]).parent == private_tmp
        assert (host.workspace / ".git").is_dir()
        jail = JailSandbox(host.policy(), tmp_dir=host.tmp_dir)
        jail.start()
        jail.close()
        assert not Path(info["state"]).exists()
        assert not any(Path(p).exists() for p in info["cgroups"])
        # (had the sweep left it, the new jail would have found it there and not removed it)
        assert not (host.workspace / ".git").exists()
    finally:
        runtime.kill()
        runtime.wait()


def test_the_next_jail_start_sweeps_stale_leftovers(host: Host) -> None:
    from agentrun.jail import cgroups

    dead = subprocess.Popen(["true"])
    dead.wait()
    state = Path("/tmp") / f"agentrun-jail-{dead.pid}-deadbeef-x"
    (state / "tmp" / "sub").mkdir(parents=True)
    (state / "tmp" / "sub" / "f").write_text("left behind")
    stale_cgroups = []
    if ROOT:
        for controller in ("pids", "memory"):
            path = cgroups.ROOT / controller / f"agentrun-{dead.pid}-deadbeef"
            path.mkdir()
            stale_cgroups.append(path)
    live = Path("/tmp") / f"agentrun-jail-{os.getpid()}-cafe-x"  # owner alive: kept
    live.mkdir()
    try:
        idle = JailSandbox(host.policy(), tmp_dir=host.tmp_dir)
        idle.close()
        assert state.exists()  # a session that never runs Bash does not pay for the sweep
        jail = JailSandbox(host.policy(), tmp_dir=host.tmp_dir)
        jail.start()
        jail.close()
        assert not state.exists()
        assert not any(p.exists() for p in stale_cgroups)
        assert live.exists()
    finally:
        live.rmdir()


def test_stdout_reaches_eof_when_the_command_exits(host: Host, make_jail) -> None:
    """No process of the jail (the next call's shim, say) may keep a call's pipe open."""
    jail = make_jail()
    for _ in range(3):
        r, w = os.pipe()
        proc = jail.spawn(["echo", "hi"], cwd=host.workspace, env={"PATH": "/usr/bin"}, stdout=w)
        os.close(w)
        assert proc.wait(5) == 0
        start = time.monotonic()
        assert os.read(r, 100) == b"hi\n" and os.read(r, 100) == b""
        assert time.monotonic() - start < 0.5
        os.close(r)
        proc.kill()


def test_pid_is_the_commands_host_pid(host: Host, make_jail) -> None:
    jail = make_jail()
    arg = host.unique_sleep()
    proc = jail.spawn(["sleep", arg], cwd=host.workspace, env={"PATH": "/usr/bin"}, stdout=2)
    assert host.wait_for(lambda: host.live_with_arg(arg))
    assert host.live_with_arg(arg) == [proc.pid]
    assert proc.poll() is None
    proc.kill()
    assert proc.poll() == -9 and host.live_with_arg(arg) == []


def test_path_entries_the_jail_cannot_read_are_dropped(host: Host, make_jail) -> None:
    jail = make_jail()
    r, w = os.pipe()
    hidden = f"{host.home}/.local/bin"
    env = {"PATH": f"{hidden}:/usr/local/bin:/usr/bin:/bin"}
    proc = jail.spawn(["sh", "-c", "echo $PATH"], cwd=host.workspace, env=env, stdout=w)
    os.close(w)
    assert proc.wait(5) == 0
    assert os.read(r, 1000).decode().strip() == "/usr/local/bin:/usr/bin:/bin"
    os.close(r)


def test_session_survives_a_command_stopping_every_process(shell: Shell) -> None:
    result = shell.run("kill -STOP -1", timeout_s=1)  # the next call's shim included
    assert result.is_error
    start = time.monotonic()
    assert shell.out("echo alive") == "alive"
    assert time.monotonic() - start < 5


def test_tmp_dir_is_created_and_writable_at_its_own_path(host: Host, tmp_path: Path) -> None:
    from conftest import TEST_LIMITS

    tmp_dir = tmp_path / "not" / "yet"
    jail = JailSandbox(host.policy(), tmp_dir=tmp_dir, limits=TEST_LIMITS)
    try:
        r, w = os.pipe()
        cmd = f"echo state > {tmp_dir}/f && cat {tmp_dir}/f"
        proc = jail.spawn(["sh", "-c", cmd], cwd=host.workspace, env={"PATH": "/bin"}, stdout=w)
        os.close(w)
        assert proc.wait(5) == 0 and os.read(r, 100) == b"state\n"
        os.close(r)
        assert (tmp_dir / "f").read_text() == "state\n"
    finally:
        jail.close()


def test_the_jail_starts_at_the_first_call_and_promises_exactly_what_it_enforces(
    host: Host,
) -> None:
    """A session that never runs Bash pays no jail start-up; the layers it reports before the
    start are the ones every call then runs under."""
    jail = JailSandbox(host.policy(), tmp_dir=host.tmp_dir)
    try:
        promised = jail.enforced
        assert not jail.started and jail._proc is None
        assert set(promised) >= set(required_layers(host.policy().mode, allow_network=False))
        read, write = os.pipe()
        proc = jail.spawn(["true"], cwd=host.workspace, env={"PATH": "/usr/bin:/bin"}, stdout=write)
        os.close(write)
        assert proc.wait(timeout=10) == 0
        os.close(read)
        assert jail.started and jail._proc is not None
        assert jail.enforced == promised
    finally:
        jail.close()


def test_a_jail_that_never_ran_anything_leaves_nothing(host: Host) -> None:
    before = set(Path(tempfile.gettempdir()).glob("agentrun-jail-*"))
    jail = JailSandbox(host.policy(), tmp_dir=host.tmp_dir)
    jail.close()
    assert jail._proc is None and jail._state is None
    assert set(Path(tempfile.gettempdir()).glob("agentrun-jail-*")) <= before


def test_a_runtime_under_tmp_is_visible_and_read_only_in_the_jail(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python or agentrun checkout under /tmp (a CI clone, a venv there) must stay visible
    under the jail's private /tmp, so `python3 -m pytest` can start, but read-only: re-bound
    there it would otherwise inherit the private /tmp's write right (B26 in such a clone)."""
    import agentrun.jail.jail as jail_module

    runtime = Path(tempfile.mkdtemp(prefix="agentrun-fake-runtime-", dir="/tmp"))
    try:
        (runtime / "site.py").write_text("# the runtime's code\n")
        monkeypatch.setattr(jail_module, "runtime_paths", lambda: (runtime,))
        jail = JailSandbox(host.policy(), tmp_dir=host.tmp_dir)
        try:
            read, write = os.pipe()
            script = f"cat {runtime}/site.py; echo pwn >> {runtime}/site.py; echo rc=$?"
            proc = jail.spawn(
                ["bash", "-c", script],
                cwd=host.workspace,
                env={"PATH": "/usr/bin:/bin"},
                stdout=write,
            )
            os.close(write)
            assert proc.wait(timeout=10) is not None
            with os.fdopen(read, "rb") as pipe:
                out = pipe.read().decode()
        finally:
            jail.close()
        assert "# the runtime's code" in out  # visible
        assert "rc=0" not in out  # not writable
        assert (runtime / "site.py").read_text() == "# the runtime's code\n"
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def test_a_call_that_kills_its_own_shim_leaves_nothing_running(shell: Shell, host: Host) -> None:
    """`kill -9 $PPID` kills the call's shim: its processes are re-parented to the jail's PID 1,
    out of reach of the call's kill and timeout. PID 1 kills every child it did not fork."""
    a, b, c = host.unique_sleep(), host.unique_sleep(), host.unique_sleep()
    shell.run(f"(setsid sleep {a} &); sleep {b} & kill -9 $PPID; sleep {c}", timeout_s=30)
    assert host.wait_for(lambda: not any(map(host.live_with_arg, (a, b, c))), 30), [
        host.live_with_arg(x) for x in (a, b, c)
    ]
    assert shell.out("echo still serving") == "still serving"
