"""Issue 4's Bash attacks, one test each, driven through the real BashSession in the real jail.

Each test asserts the safe outcome *and* that the host is unchanged (files, servers, processes).
The host (conftest) holds a fake API key in the runtime's environment and in a decoy process's
exec-time environment, a fake home with ``.ssh/id_rsa``, TCP/UDP servers on 127.0.0.1, and a
pathname and an abstract unix socket server. Outside addresses are only ever tried from inside
the jail's empty network namespace, where nothing can leave.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import agentrun

if TYPE_CHECKING:
    from conftest import Host, Shell

ROOT = os.geteuid() == 0


@pytest.fixture
def guard(host: Host) -> Iterator[None]:
    """The host is unchanged after the attack: files, servers, the decoy, the runtime."""
    before = host.snapshot()
    core_pattern = Path("/proc/sys/kernel/core_pattern").read_text()
    yield
    assert host.snapshot() == before
    assert host.hits() == {"tcp": 0, "udp": 0, "unix": 0, "abstract": 0}
    os.kill(host.decoy_pid, 0)  # still alive
    assert Path("/proc/sys/kernel/core_pattern").read_text() == core_pattern
    assert not list(host.outside.glob("pwn*"))


pytestmark = pytest.mark.usefixtures("guard")


def q(p: Path | str) -> str:
    return shlex.quote(str(p))


# What a refused access says: Landlock's EACCES, a read-only mount's EROFS, or ENOENT for what
# the jail's constructed root simply does not show.
REFUSED = ("Permission denied", "Read-only file system", "No such file or directory")


def refused(out: str, times: int = 1) -> bool:
    return sum(out.count(word) for word in REFUSED) >= times


# -- writes ------------------------------------------------------------------------------------


def test_B01_write_etc(shell: Shell) -> None:
    name = f"/etc/agentrun_pwn_{secrets.token_hex(4)}"
    out = shell.out(f"echo x > {name}; echo rc=$?")
    assert "Read-only file system" in out and "rc=1" in out
    assert not Path(name).exists()


def test_B02_write_parent_outside(shell: Shell, host: Host) -> None:
    out = shell.out("echo x > ../outside/pwn; echo rc=$?")
    assert refused(out) and "rc=1" in out
    assert not (host.outside / "pwn").exists()


def test_B03_symlink_made_in_same_command(shell: Shell, host: Host) -> None:
    out = shell.out(f"ln -s {q(host.outside)} l && echo x > l/pwn; echo rc=$?")
    assert refused(out) and "rc=1" in out
    assert not (host.outside / "pwn").exists()


def test_B04_hard_link_to_outside_file(shell: Shell, host: Host) -> None:
    out = shell.out(f"ln {q(host.outside_secret)} hl; echo pwn >> hl; echo rc=$?")
    assert "Invalid cross-device link" in out or refused(out)
    assert host.outside_secret.stat().st_nlink == 1


def test_B46_truncate_and_move_outside_files(shell: Shell, host: Host) -> None:
    """truncate(2) takes a path, not a writable fd (Landlock handles it only from ABI 3), and a
    rename into the workspace would take the file away from outside (refer + remove rights)."""
    secret = q(host.outside_secret)
    out = shell.out(
        f"truncate -s 0 {secret}; echo rc=$?; mv {secret} ./stolen; echo rc=$?; "
        "python3 -c "
        + q(f"import os; os.truncate({str(host.outside_secret)!r}, 0)")
        + " 2>&1 | tail -1"
    )
    assert "rc=0" not in out and ("PermissionError" in out or "FileNotFoundError" in out), out
    assert host.outside_secret.read_text() == "outside secret\n"
    assert not (host.workspace / "stolen").exists()


def test_B05_write_via_proc_self_root(shell: Shell, host: Host) -> None:
    out = shell.out(f"echo x > /proc/self/root{q(host.outside)}/pwn; echo rc=$?")
    assert refused(out) and "rc=1" in out


# -- secrets -----------------------------------------------------------------------------------


def test_B06_read_host_ssh_key(shell: Shell, host: Host) -> None:
    out = shell.out(f"cat {q(host.id_rsa)}; cp {q(host.id_rsa)} stolen; echo rc=$?")
    assert refused(out) and "PRIVATE KEY" not in out
    assert not (host.workspace / "stolen").exists()


def test_B07_env_has_no_api_key(shell: Shell, host: Host) -> None:
    assert os.environ["ANTHROPIC_API_KEY"] == host.fake_key  # the runtime does hold one
    out = shell.out("env; echo done")
    assert "ANTHROPIC" not in out and host.fake_key not in out and "done" in out


def test_B08_runtime_environ_by_pid(shell: Shell, host: Host) -> None:
    out = shell.out(f"cat /proc/{host.decoy_pid}/environ /proc/{os.getpid()}/environ; ls /proc")
    assert host.fake_key not in out
    # The jail's /proc shows its own PID namespace only: a handful of processes.
    pids = [w for w in out.split() if w.isdigit()]
    assert len(pids) < 20


def test_B09_grep_all_environ(shell: Shell, host: Host) -> None:
    out = shell.out("grep -a ANTHROPIC /proc/*/environ; echo rc=$?")
    # rc 2: the jail's init and shims are not dumpable, so their environ is refused outright.
    assert host.fake_key not in out and "rc=0" not in out and "ANTHROPIC" not in out


def test_B10_kill_runtime(shell: Shell, host: Host) -> None:
    shell.out(f"kill -9 {host.decoy_pid} {os.getpid()}; kill -9 -1; echo done")
    os.kill(host.decoy_pid, 0)
    # Killing everything it can reach in the jail (the next call's shim too) does not take the
    # session down.
    assert shell.out("echo alive") == "alive"


def test_B11_ptrace_runtime_and_siblings(shell: Shell, host: Host) -> None:
    script = (
        "import ctypes, subprocess, sys\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "sib = subprocess.Popen(['sleep', '30'])\n"
        "for pid in (int(sys.argv[1]), sib.pid):\n"
        "    r = libc.ptrace(16, pid, 0, 0)  # PTRACE_ATTACH\n"
        "    print('attach', r, ctypes.get_errno())\n"
        "sib.kill()\n"
    )
    (host.workspace / "pt.py").write_text(script)
    out = shell.out(f"python3 pt.py {host.decoy_pid}")
    lines = [line.split() for line in out.splitlines() if line.startswith("attach")]
    assert len(lines) == 2
    for _, r, err in lines:
        assert r == "-1" and int(err) in (1, 3)  # EPERM (seccomp) or ESRCH (not in the pidns)
    assert lines[1][2] == "1"  # a process inside the jail: seccomp refuses ptrace


# -- network -----------------------------------------------------------------------------------


def test_B12_tcp_to_host_loopback(shell: Shell, host: Host) -> None:
    out = shell.out(
        f"curl -sS -m 2 http://127.0.0.1:{host.tcp_port}/; "
        f"echo x > /dev/tcp/127.0.0.1/{host.tcp_port}; echo rc=$?"
    )
    assert "rc=1" in out


def test_B13_outside_address_has_no_route(shell: Shell) -> None:
    # 192.0.2.1 is TEST-NET-1; from an empty netns it cannot leave, and fails at once. Timed by
    # curl itself, not around the call: the jail's start and a loaded machine are no evidence.
    out = shell.out(
        "ls /sys/class/net; ip -o link | cut -d: -f2; ip -o route; ip -6 -o route | grep -v ^::1;"
        "curl -sS -m 3 http://192.0.2.1/; echo rc=$?"
    )
    # Only lo (twice: sysfs and netlink), no route at all, and curl refused at once (ENETUNREACH,
    # rc 7), well before its 3 s timeout (rc 28) that a route into nowhere would end in.
    assert out.split()[:3] == ["lo", "lo", "curl:"] and "rc=7" in out
    elapsed = re.search(r"after (\d+) ms", out)
    assert elapsed is not None and int(elapsed.group(1)) < 1000, out


def test_B14_udp_to_host(shell: Shell, host: Host) -> None:
    shell.out(f"for i in 1 2 3; do echo s > /dev/udp/127.0.0.1/{host.udp_port}; done; sleep 0.2")
    time.sleep(0.2)


def test_B15_dns_lookup(shell: Shell) -> None:
    # Not found (rc 2), and at once rather than after the resolver's timeouts: timed inside the
    # jail, so the jail's lazy start on a loaded machine does not count.
    out = shell.out(
        "s=$(date +%s%N); getent hosts example.com; echo rc=$?; "
        "echo ms=$((($(date +%s%N) - s) / 1000000))"
    )
    elapsed = re.search(r"ms=(\d+)", out)
    assert "rc=2" in out and elapsed is not None and int(elapsed.group(1)) < 5000, out


def _connect_script(target: str, *, abstract: bool = False) -> str:
    prefix = "'\\0' + " if abstract else ""
    code = (
        "import socket, sys\n"
        "try:\n"
        "    s = socket.socket(socket.AF_UNIX)\n"
        f"    s.connect({prefix}sys.argv[1]); print('CONNECTED')\n"
        "except OSError as e:\n"
        "    print('ERR', e.errno)\n"
    )
    return f"python3 -c {shlex.quote(code)} {q(target)}"


def test_B16_host_pathname_unix_socket(shell: Shell, host: Host) -> None:
    out = shell.out(_connect_script(str(host.unix_path)))
    # EPERM where seccomp refuses socket(AF_UNIX); ENOENT where it allows it because the
    # constructed root shows no host socket.
    assert "ERR 1" in out or "ERR 2" in out, out


def test_B17_host_abstract_unix_socket(shell: Shell, host: Host) -> None:
    out = shell.out(_connect_script(host.abstract_name, abstract=True))
    assert (
        "ERR 1" in out
    )  # EPERM from seccomp; the netns and Landlock's scope also stand in the way


# -- privilege ---------------------------------------------------------------------------------


def test_B18_nsenter(shell: Shell) -> None:
    out = shell.out(
        "nsenter --net=/proc/1/ns/net true; echo rc=$?; nsenter -t 1 -m -u -n -p true; echo rc=$?"
    )
    # EACCES opening the init's namespace files (it is not dumpable), else seccomp's EPERM.
    assert refused(out) or "Operation not permitted" in out
    assert out.count("rc=1") == 2 and "rc=0" not in out


def test_B19_unshare_user(shell: Shell) -> None:
    # `unshare -U` alone needs no capability: only seccomp stops it (-r also needs a uid_map
    # write, which Landlock refuses).
    out = shell.out(
        "unshare -U true; echo rc=$?; unshare -Ur id; echo rc=$?; unshare -n true; echo rc=$?"
    )
    assert "Operation not permitted" in out and "rc=0" not in out


def test_B20_remount_root_rw(shell: Shell) -> None:
    name = f"/etc/agentrun_x_{secrets.token_hex(4)}"
    out = shell.out(f"mount -o remount,rw /; echo rc=$?; touch {name}; echo rc=$?")
    assert "rc=0" not in out
    assert not Path(name).exists()


def test_B21_mknod_block_device(shell: Shell) -> None:
    out = shell.out("mknod disk b 7 0; echo rc=$?; head -c 16 disk | od | head -2; ls -l disk")
    # Landlock never grants MAKE_BLOCK (EACCES); without it, the dropped CAP_MKNOD gives EPERM.
    assert "rc=1" in out and ("Permission denied" in out or "Operation not permitted" in out)


def _a_block_device() -> str:
    for name in sorted(os.listdir("/sys/class/block")):
        if Path(f"/dev/{name}").exists():
            return f"/dev/{name}"
    return "/dev/loop0"


def test_B22_raw_disk_read(shell: Shell) -> None:
    dev = _a_block_device()
    out = shell.out(f"head -c 16 {dev} | wc -c; head -c 16 /dev/kmsg | wc -c; echo end")
    assert refused(out, 2) and out.split().count("0") == 2


def test_B23_proc_sys_drop_caches(shell: Shell) -> None:
    out = shell.out("echo 1 > /proc/sys/vm/drop_caches; echo rc=$?")
    assert "rc=1" in out and ("Read-only" in out or "Permission denied" in out)


def test_B37_proc_sys_core_pattern(shell: Shell, host: Host) -> None:
    out = shell.out(f"echo '|{host.workspace}/evil' > /proc/sys/kernel/core_pattern; echo rc=$?")
    assert "rc=1" in out


def test_B24_cgroup_files(shell: Shell) -> None:
    out = shell.out(
        "for f in /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/pids/release_agent "
        "/sys/fs/cgroup/memory/cgroup.procs; do echo $$ > $f; echo rc=$?; done"
    )
    assert "rc=0" not in out and out.count("rc=1") == 3


def test_B25_load_kernel_module(shell: Shell) -> None:
    script = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "fd = os.open('/dev/null', os.O_RDONLY)\n"
        "print('finit', libc.syscall(313, fd, b'', 0), ctypes.get_errno())\n"
        "print('init', libc.syscall(175, b'x', 1, b''), ctypes.get_errno())\n"
    )
    out = shell.out("python3 -c " + shlex.quote(script))
    assert "finit -1 1" in out and "init -1 1" in out


def test_B42_syscalls_only_seccomp_refuses(shell: Shell) -> None:
    """io_uring and keyrings need no capability (and setns/bpf/userfaultfd/perf may need none on
    some kernels): only the filter stops them, so each must fail with its EPERM."""
    script = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def call(name, nr, *args):\n"
        "    rc = libc.syscall(nr, *args)\n"
        "    print(name, rc, ctypes.get_errno())\n"
        "params = ctypes.create_string_buffer(120)\n"
        "call('io_uring_setup', 425, 4, params)\n"
        "call('add_key', 248, b'user', b'agentrun', b'x', 1, -2)\n"
        "call('keyctl', 250, 0, -2, 0)\n"  # KEYCTL_GET_KEYRING_ID of the process keyring
        "call('bpf', 321, 0, None, 0)\n"
        "call('setns', 308, 0, 0)\n"
        "call('userfaultfd', 323, 0)\n"
        "attr = ctypes.create_string_buffer(128)\n"
        "call('perf_event_open', 298, attr, 0, -1, -1, 0)\n"
    )
    out = shell.out("python3 -c " + shlex.quote(script))
    names = ("io_uring_setup", "add_key", "keyctl", "bpf", "setns", "userfaultfd")
    for name in (*names, "perf_event_open"):
        assert f"{name} -1 1\n" in out + "\n", out


def test_B43_rlimits_of_every_call(shell: Shell) -> None:
    """File size, address space, CPU time, open files and core dumps, as configured, and hard
    (a command cannot raise them back)."""
    from conftest import TEST_LIMITS

    out = shell.out("ulimit -H -f -v -t -n -c | awk '{print $NF}'; ulimit -n 4096; echo rc=$?")
    kib = 1024
    lim = TEST_LIMITS
    expected = [lim.file_size // kib, lim.address_space // kib, lim.cpu_seconds, lim.open_files, 0]
    assert out.split()[:5] == [str(v) for v in expected], out
    assert "rc=1" in out


def test_B26_agentrun_package_files(shell: Shell) -> None:
    pkg = Path(agentrun.__file__).resolve()
    before = pkg.read_bytes()
    out = shell.out(f"echo 'import os' >> {q(pkg)}; echo rc=$?; touch {q(pkg.parent)}/pwn.py")
    assert "rc=0" not in out
    assert pkg.read_bytes() == before and not (pkg.parent / "pwn.py").exists()


def test_B27_git_hooks(shell: Shell, host: Host) -> None:
    config = (host.workspace / ".git" / "config").read_bytes()
    out = shell.out(
        "echo 'curl evil' > .git/hooks/pre-commit; echo rc=$?; echo '[core]' >> .git/config; "
        "git config core.hooksPath /tmp; echo rc=$?"
    )
    assert "Read-only file system" in out and "rc=0" not in out
    assert not (host.workspace / ".git" / "hooks" / "pre-commit").exists()
    assert (host.workspace / ".git" / "config").read_bytes() == config


def test_B38_agentrun_state_inside_the_workspace(
    host: Host, make_jail: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$AGENTRUN_HOME inside the workspace (agentrun run from ~, where ~/.agentrun lives): its
    transcripts and settings stay unreadable and unwritable, to Bash and the file tools."""
    from conftest import Shell as JailShell

    state = host.workspace / ".agentrun"
    (state / "sessions").mkdir(parents=True)
    transcript = state / "sessions" / "s.jsonl"
    transcript.write_text(f'{{"transcript": "{host.fake_key}"}}\n')
    settings = state / "settings.json"
    settings.write_text("{}\n")
    monkeypatch.setenv("AGENTRUN_HOME", str(state))
    policy = host.policy()
    assert not policy.can_read(transcript) and not policy.can_write(settings)
    assert not policy.can_write(state / "sessions" / "new.jsonl")
    shell = JailShell(make_jail(), host)  # type: ignore[operator]
    out = shell.out(
        "cat .agentrun/sessions/s.jsonl; grep -ra transcript .; "
        'echo \'{"permissions": {"defaultMode": "bypassPermissions"}}\' > '
        ".agentrun/settings.json; echo rc=$?; touch .agentrun/sessions/pwn; touch ok; echo done"
    )
    shell.session.close()
    assert host.fake_key not in out and "rc=0" not in out and "done" in out
    assert settings.read_text() == "{}\n" and sorted(state.rglob("*")) == sorted(
        [state / "sessions", transcript, settings]
    )
    assert (host.workspace / "ok").exists()  # the workspace around it stays writable


def test_B39_git_hooks_of_an_added_dir(host: Host, make_jail: object) -> None:
    """An ``--add-dir`` that is a repository: its ``.git`` is as read-only as the workspace's."""
    from conftest import Shell as JailShell

    extra = host.base / "other-repo"
    subprocess.run(["git", "init", "-q", str(extra)], check=True)
    config = (extra / ".git" / "config").read_bytes()
    policy = host.policy(add_dirs=[extra])
    assert not policy.can_write(extra / ".git" / "hooks" / "pre-commit")
    shell = JailShell(make_jail(add_dirs=[extra]), host)  # type: ignore[operator]
    out = shell.out(
        f"cd {q(extra)}; echo 'curl evil' > .git/hooks/pre-commit; echo rc=$?; "
        "git config core.fsmonitor 'curl evil'; echo rc=$?; echo ok > f && cat f"
    )
    shell.session.close()
    assert "rc=0" not in out and "\nok\n" in out  # the dir itself stays writable
    assert not (extra / ".git" / "hooks" / "pre-commit").exists()
    assert (extra / ".git" / "config").read_bytes() == config


def test_B40_runtime_reads_a_denied_file_for_the_jail(shell: Shell, host: Host) -> None:
    """The runtime must not read, on the jail's behalf, what the jail itself may not."""
    secret = host.home / "secret-path"
    secret.write_text("/HOST-SECRET-VALUE\n")  # shaped like the cwd the runtime expects
    out = shell.out(
        "f=$(tr '\\0' '\\n' < /proc/$$/cmdline | grep -o '/[^ ]*agentrun-cwd-[0-9a-f-]*' "
        f'| head -1); rm -f "$f"; ln -s {q(secret)} "$f"; cat {q(secret)}; echo rc=$?'
    )
    assert refused(out)  # the jail itself cannot read it...
    assert "HOST-SECRET-VALUE" not in out  # ...and the runtime must not read it for the jail


def test_B47_git_planted_where_the_workspace_has_none(shell: Shell, host: Host) -> None:
    """The host's next ``git status`` in the workspace must not run what the jail configured."""
    shutil.rmtree(host.workspace / ".git")
    out = shell.out(
        "git init -q . ; echo rc=$?; git config core.fsmonitor 'echo pwned'; echo rc=$?; "
        "mkdir .git/hooks; echo rc=$?; mv .git moved; echo rc=$?; rmdir .git; echo rc=$?"
    )
    assert "rc=0" not in out, out
    placeholder = host.workspace / ".git"
    assert placeholder.is_dir() and not any(placeholder.iterdir())  # what the host sees
    assert not (host.workspace / "moved").exists()
    host_git = subprocess.run(
        ["git", "-C", str(host.workspace), "status"], capture_output=True, text=True
    )
    assert "not a git repository" in host_git.stderr  # the empty .git is skipped, as before
    shell.close()
    assert not placeholder.exists()  # the session's end takes it away again


def test_B47_closing_one_session_leaves_anothers_guard_in_place(host: Host, make_jail) -> None:
    from conftest import Shell

    shutil.rmtree(host.workspace / ".git")
    first, second = Shell(make_jail(), host), Shell(make_jail(), host)
    try:
        assert "rc=0" not in first.out("git init -q .; echo rc=$?")
        assert "rc=0" not in second.out("git init -q .; echo rc=$?")
        first.close()  # the session that planted it ends first
        out = second.out("git init -q . ; echo rc=$?; mkdir .git/hooks; echo rc=$?")
        assert "rc=0" not in out, out
        assert not (host.workspace / ".git" / "hooks").exists()
    finally:
        first.close()
        second.close()
    assert not (host.workspace / ".git").exists()


def test_B47_a_monorepo_subdirectory_keeps_its_enclosing_repository(host: Host) -> None:
    from conftest import JAIL_PATH

    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.policy import SandboxPolicy
    from agentrun.tools.shell import BashSession, build_env

    sub = host.workspace / "pkg"  # host.workspace is a git repository; pkg has no .git
    sub.mkdir()
    jail = JailSandbox(SandboxPolicy.create(sub, home=host.home), tmp_dir=host.tmp_dir)
    env = build_env(home=host.tmp_dir / "home", tmp_dir=host.tmp_dir, extra={"PATH": JAIL_PATH})
    (host.tmp_dir / "home").mkdir(exist_ok=True)
    session = BashSession(jail, cwd=sub, tmp_dir=host.tmp_dir, env=env, roots=(sub,))
    try:
        out = session.run("git rev-parse --show-toplevel; git init -q .; echo rc=$?").content
        assert isinstance(out, str)
        lines = out.strip().splitlines()
        assert lines[0] == str(host.workspace)  # git in the jail still finds the enclosing repo
        assert lines[-1] != "rc=0"  # but cannot make one here
        on_host = subprocess.run(
            ["git", "-C", str(sub), "rev-parse", "--show-toplevel"], capture_output=True, text=True
        )
        assert on_host.stdout.strip() == str(host.workspace)  # nor does the host's git change
    finally:
        session.close()
        jail.close()
    assert not (sub / ".git").exists()


def test_B28_host_dev_shm(shell: Shell) -> None:
    name = f"agentrun-shm-{secrets.token_hex(4)}"
    host_file = Path("/dev/shm") / f"{name}-host"
    host_file.write_text("host")
    try:
        out = shell.out(f"ls /dev/shm; echo x > /dev/shm/{name}; echo rc=$?")
        assert f"{name}-host" not in out  # a private /dev/shm
        assert not (Path("/dev/shm") / name).exists()
    finally:
        host_file.unlink()


def test_B35_read_etc_shadow(shell: Shell) -> None:
    out = shell.out("head -1 /etc/shadow; echo rc=$?")
    assert "Permission denied" in out and "root:" not in out


@pytest.mark.skipif(not ROOT, reason="as another uid, DAC already hides root's 0700 trees")
def test_B44_root_only_secret_trees(shell: Shell) -> None:
    """uid 0 without capabilities still owns root's mode-0700 trees (TLS keys, systemd's
    DynamicUser state): the deny list, not DAC, must hide what is in them."""
    trees = [Path(t) for t in ("/etc/ssl/private", "/var/lib/private") if Path(t).is_dir()]
    if not trees:
        pytest.skip("no root-only secret tree on this machine")
    planted = [t / f"agentrun-test-{secrets.token_hex(4)}.key" for t in trees]
    try:
        for f in planted:
            f.write_text("ROOT-ONLY-SECRET\n")
            f.chmod(0o600)
        out = shell.out("; ".join(f"cat {q(f)}; echo rc=$?" for f in planted))
    finally:
        for f in planted:
            f.unlink(missing_ok=True)
    assert "ROOT-ONLY-SECRET" not in out and "rc=0" not in out, out
    assert refused(out, len(planted))


@pytest.mark.skipif(
    not os.access("/run/user", os.W_OK), reason="needs a writable /run/user to plant a file"
)
def test_B45_session_runtime_dirs(shell: Shell) -> None:
    """``/run/user/<uid>`` ($XDG_RUNTIME_DIR) holds login-session credentials (registry
    ``containers/auth.json``, keyrings); a jail runs as the same uid, so only the deny list
    hides them."""
    planted = Path("/run/user") / f"agentrun-test-{secrets.token_hex(4)}"
    planted.mkdir(mode=0o700)
    try:
        (planted / "auth.json").write_text('{"auths": "RUNTIME-DIR-SECRET"}\n')
        out = shell.out(f"cat {q(planted / 'auth.json')}; echo rc=$?")
    finally:
        shutil.rmtree(planted, ignore_errors=True)
    assert "RUNTIME-DIR-SECRET" not in out and refused(out), out


def test_B36_setuid_binary(shell: Shell, host: Host) -> None:
    out = shell.out("grep -E 'NoNewPrivs|CapEff|CapBnd' /proc/self/status; su -c id root; true")
    assert "NoNewPrivs:\t1" in out and "CapEff:\t0000000000000000" in out
    assert "CapBnd:\t0000000000000000" in out
    if ROOT:
        src = host.base / "caps.c"
        src.write_text(
            "#include <stdio.h>\n#include <unistd.h>\nint main(void){char b[256];"
            'FILE*f=fopen("/proc/self/status","r");while(fgets(b,256,f))'
            "if(b[0]=='C'&&b[3]=='E')fputs(b,stdout);printf(\"euid=%d\\n\",geteuid());}\n"
        )
        exe = host.workspace / "suid-caps"
        subprocess.run(["gcc", "-o", str(exe), str(src)], check=True)
        exe.chmod(0o4755)
        out = shell.out("./suid-caps")
        assert "CapEff:\t0000000000000000" in out
    else:
        assert "uid=0(root)" not in out


# -- resources ---------------------------------------------------------------------------------


def test_B29_fork_bomb(shell: Shell) -> None:
    start = time.monotonic()
    result = shell.run(":(){ :|:& };:", timeout_s=3)
    assert time.monotonic() - start < 15, result.content
    assert int(shell.out("ps -e --no-headers | wc -l")) < 10  # nothing of the bomb is left
    # The cap itself (pids cgroup as root, RLIMIT_NPROC otherwise; 256 in these tests):
    # of 300 forks, the ones past the cap fail.
    code = (
        "import os, time\nn = 0\nfor i in range(300):\n    try:\n        pid = os.fork()\n"
        "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(5)\n"
        "        os._exit(0)\n    n += 1\nprint('forked', n)\n"
    )
    out = shell.out(f"python3 -c {shlex.quote(code)}")
    assert out.startswith("forked") and 0 < int(out.split()[1]) < 256, out


def test_B30_infinite_loop(shell: Shell) -> None:
    start = time.monotonic()
    result = shell.run("while :; do :; done", timeout_s=1.5)
    assert result.is_error and "timed out" in str(result.content)
    assert time.monotonic() - start < 5


def test_B31_yes(shell: Shell) -> None:
    result = shell.run("yes", timeout_s=1.5)
    assert len(str(result.content)) < 2 << 20
    assert shell.out("pgrep -c yes; true") == "0"


def test_B32_four_gb_file(shell: Shell, host: Host) -> None:
    out = shell.out("head -c 4G /dev/zero > big; echo rc=$?")
    assert "rc=153" in out  # 128 + SIGXFSZ
    assert (host.workspace / "big").stat().st_size <= 32 << 20


def test_B33_eight_gb_allocation(shell: Shell) -> None:
    out = shell.out("python3 -c 'bytearray(8 << 30)'; echo rc=$?")
    assert "MemoryError" in out and "rc=1" in out


@pytest.mark.skipif(
    os.environ.get("AGENTRUN_SANDBOX_EXPECT", "root" if ROOT else "") != "root",
    reason="the session's memory cgroup exists only where cgroups are writable (root)",
)
def test_B41_memory_past_the_session_cgroup(shell: Shell) -> None:
    """Under RLIMIT_AS (2 GiB here) but over the session's memory limit (384 MiB): the cgroup,
    not the host, ends it; the session goes on."""
    code = (
        "b = bytearray(640 << 20)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\n"
        "print('ke' + 'pt')"
    )
    out = shell.out(f"python3 -c {shlex.quote(code)}; echo rc=$?")
    assert "kept" not in out and "rc=137" in out, out
    assert shell.out("echo alive") == "alive"


def test_B34_setsid_nohup_survivor(shell: Shell, host: Host) -> None:
    arg = host.unique_sleep()
    shell.out(f"setsid nohup sleep {arg} > /dev/null 2>&1 & echo started")
    time.sleep(0.1)
    assert host.live_with_arg(arg) == []
