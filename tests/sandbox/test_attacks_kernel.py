"""Issue 12's kernel-surface attacks (sockets, setuid bits, 32-bit ABIs, Landlock scopes), one
test per class, driven through the real BashSession in the real jail.

Each test asserts the safe outcome and that the host is unchanged: nothing reached the host's
servers, its ports and processes are as they were, no setuid/setgid file exists. The raw syscalls
are made by ``kernel_probe.py`` (copied into the workspace: the only host tree besides the
system's that the jail's constructed root shows), which prints ``name=OUTCOME`` lines.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Host, Shell

PROBE = Path(__file__).with_name("kernel_probe.py")


def probe_script(host: Host) -> Path:
    script = host.workspace / "kernel_probe.py"
    if not script.exists():
        shutil.copy(PROBE, script)
        script.chmod(0o644)
    return script


def probe(shell: Shell, host: Host, *args: object, timeout_s: float = 20) -> dict[str, str]:
    script = probe_script(host)
    out = shell.out(" ".join(["python3", str(script), *map(str, args)]), timeout_s)
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def setid_files(root: Path) -> list[str]:
    found = []
    for path in [root, *root.rglob("*")]:
        with contextlib.suppress(FileNotFoundError):
            if path.lstat().st_mode & (stat.S_ISUID | stat.S_ISGID):
                found.append(str(path))
    return found


@pytest.fixture
def unchanged(host: Host) -> Iterator[None]:
    before = host.snapshot()
    yield
    assert host.snapshot() == before
    assert host.hits() == {"tcp": 0, "udp": 0, "unix": 0, "abstract": 0}
    assert setid_files(host.workspace) == []


@pytest.fixture
def net_shell(host: Host, make_jail: object) -> Iterator[Shell]:
    """A jail with --allow-network: it shares the host's network namespace, so the host's
    abstract unix sockets are in its reach but for Landlock's scope and seccomp."""
    from conftest import Shell as ShellClass

    s = ShellClass(make_jail(allow_network=True), host)  # type: ignore[operator]
    try:
        yield s
    finally:
        s.close()


# -- socket families ----------------------------------------------------------------------------


def test_socket_families_are_an_allowlist(shell: Shell, host: Host, unchanged: None) -> None:
    got = probe(shell, host, "families")
    # unix too: the constructed root shows no host socket (the filter without that promise is
    # test_unix_sockets_open_up_only_when_no_host_socket_is_in_view).
    allowed = {"unix", "inet", "inet6", "netlink_route"}
    assert {name for name, outcome in got.items() if outcome == "OK"} == allowed, got
    refused = set(got) - allowed
    assert refused >= {"vsock", "packet", "netlink_kobject_uevent", "netlink_audit", "alg"}
    assert all(got[name] == "EAFNOSUPPORT" for name in refused), got


def _vsock_free(port: int) -> bool:
    s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)  # type: ignore[attr-defined]
    try:
        s.bind((socket.VMADDR_CID_ANY, port))  # type: ignore[attr-defined]
        return True
    except OSError:
        return False
    finally:
        s.close()


def test_vsock_bind_in_the_jail_leaves_the_hosts_port_free(
    shell: Shell, host: Host, unchanged: None
) -> None:
    try:
        socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM).close()  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        pytest.skip("no AF_VSOCK on this host: nothing to share")
    port = 40000 + secrets.randbelow(20000)
    assert _vsock_free(port)
    result = host.workspace / "vsock.result"
    script = probe_script(host)
    # In the background, so that a bind that worked would still hold the port below.
    started = shell.session.start_background(f"exec python3 {script} vsock_hold {port} {result}")
    assert not started.is_error, started.content
    assert host.wait_for(result.exists, timeout=30)
    assert result.read_text() == "EAFNOSUPPORT"
    assert _vsock_free(port)  # the host can still bind it


def test_netlink_route_and_name_resolution_work(shell: Shell) -> None:
    out = shell.out(
        "python3 -c \"import socket; print(socket.getaddrinfo('localhost', 80)[0][4][1])\"; "
        "ip -o link show lo 2>&1 | grep -c LOOPBACK || echo no-ip"
    )
    assert out.splitlines()[0] == "80"
    assert out.splitlines()[1] in ("1", "no-ip")


# -- unix sockets: pathname, abstract, socketpair -----------------------------------------------


@contextlib.contextmanager
def host_datagram(address: str) -> Iterator[socket.socket]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(address)
    if not address.startswith("\0"):
        os.chmod(address, 0o777)  # the unprivileged jail may write it as far as modes go
    s.setblocking(False)
    try:
        yield s
    finally:
        s.close()


def received(s: socket.socket) -> list[bytes]:
    got = []
    with contextlib.suppress(BlockingIOError):
        while True:
            got.append(s.recv(64))
    return got


def _assert_pairs_cannot_aim(got: dict[str, str]) -> None:
    assert got["SOCK_DGRAM.socketpair"] == "EPERM", got  # a DGRAM pair would sendto any path
    # A stream pair refuses an address; a seqpacket pair ignores it and talks to its peer;
    # neither can be connected elsewhere (EISCONN, or a type mismatch found first).
    assert got["SOCK_STREAM.sendto"] == got["SOCK_STREAM.sendmsg"] == "EISCONN", got
    assert got["SOCK_STREAM.peer_got"] == "-"
    assert got["SOCK_SEQPACKET.peer_got"] == "sendto,sendmsg", got
    assert "OK" not in (got["SOCK_STREAM.connect"], got["SOCK_SEQPACKET.connect"]), got
    assert got["scm_rights_in_jail"] == "2:1"  # fd passing inside the jail still works


def test_socketpair_cannot_reach_a_host_datagram_socket(
    shell: Shell, host: Host, unchanged: None
) -> None:
    """Without a network, unix sockets and datagram pairs are allowed (the constructed root
    names no host socket): a host socket bound in the workspace before the jail started is
    covered, so a datagram pair's sendto cannot reach it, nor can a stream listener's."""
    path = host.workspace / "dgram.sock"
    probe_script(host)
    with host_datagram(str(path)) as server:
        stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stream.bind(str(host.workspace / "stream.sock"))
        stream.listen(8)
        stream.setblocking(False)
        try:
            got = probe(shell, host, "pairs", path)
            assert received(server) == []
            streamed = probe(shell, host, "pairs", host.workspace / "stream.sock")
            with pytest.raises(BlockingIOError):
                stream.accept()
        finally:
            stream.close()
    assert got["SOCK_DGRAM.socketpair"] == "OK", got
    assert "OK" not in (got["SOCK_DGRAM.sendto"], got["SOCK_DGRAM.sendmsg"]), got
    assert got["SOCK_DGRAM.peer_got"] == "-", got
    assert "OK" not in (streamed["SOCK_STREAM.connect"], streamed["SOCK_SEQPACKET.connect"])
    assert got["scm_rights_in_jail"] == "2:1"


def test_socketpair_cannot_reach_a_host_abstract_datagram_socket_with_network(
    net_shell: Shell, host: Host, unchanged: None
) -> None:
    name = f"agentrun-dgram-{secrets.token_hex(4)}"
    with host_datagram("\0" + name) as server:
        got = probe(net_shell, host, "pairs", "@" + name)
        assert received(server) == []
    _assert_pairs_cannot_aim(got)
    _assert_pairs_cannot_aim(probe(net_shell, host, "pairs", "@" + host.abstract_name))


def test_host_sockets_unreachable_with_network(
    net_shell: Shell, host: Host, unchanged: None
) -> None:
    got = probe(net_shell, host, "abstract_connect", host.abstract_name)
    assert got["connect"] == "EPERM"


# -- Landlock scopes ----------------------------------------------------------------------------

_SCOPE_ONLY = """
import os, socket, sys
from pathlib import Path
from agentrun.jail import landlock, syscalls
abi = int(sys.argv[1])
ruleset = landlock.build_ruleset([landlock.Grant(Path("/"), landlock.READ)], abi=abi)
syscalls.set_no_new_privs()
landlock.restrict_self(ruleset)
def outcome(call):
    try:
        call()
        return "OK"
    except OSError as e:
        return str(e.errno)
s = socket.socket(socket.AF_UNIX)
print(outcome(lambda: s.connect("\\0" + sys.argv[2])))
print(outcome(lambda: os.kill(int(sys.argv[3]), 0)))
"""


def test_landlock_scopes_alone_keep_host_abstract_sockets_and_processes_out(host: Host) -> None:
    """The scopes by themselves, in a process with no other layer (same network and PID
    namespace as the host): with them the host's abstract socket and processes are out of
    reach; the same ruleset at ABI 5 (no scopes) reaches both, so the scopes are what holds."""
    from agentrun.jail import landlock

    if landlock.abi_version() < landlock.SCOPES_ABI:
        pytest.skip("Landlock ABI < 6: no scopes on this kernel")
    outcomes = {}
    for abi in (landlock.abi_version(), 5):
        out = subprocess.run(
            [sys.executable, "-c", _SCOPE_ONLY, str(abi), host.abstract_name, str(host.decoy_pid)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "HOME": str(host.base), "AGENTRUN_HOME": str(host.base / "ar")},
        )
        assert out.returncode == 0, out.stderr
        outcomes[abi] = out.stdout.split()
    assert outcomes[landlock.abi_version()] == ["1", "1"]  # EPERM, EPERM
    assert outcomes[5] == ["OK", "OK"]
    assert host.wait_for(lambda: host.hits()["abstract"] == 1)  # only the unscoped one got in


def test_signals_to_host_processes_are_impossible(
    shell: Shell, net_shell: Shell, host: Host, unchanged: None
) -> None:
    for s in (shell, net_shell):
        got = probe(s, host, "signal_host", host.decoy_pid)
        assert got["kill0"] in ("ESRCH", "EPERM") and got["kill9"] in ("ESRCH", "EPERM"), got
        assert got["pidfd"] in ("ESRCH", "EPERM"), got
    os.kill(host.decoy_pid, 0)  # still alive


# -- setuid / setgid bits and file capabilities ---------------------------------------------------


def test_no_call_leaves_a_setuid_or_setgid_file(shell: Shell, host: Host, unchanged: None) -> None:
    target = host.workspace / "setid"
    target.mkdir()
    target.chmod(0o777)
    got = probe(shell, host, "setid", target)
    refused = {name for name, outcome in got.items() if outcome == "EPERM"}
    assert refused == {
        "open_4755",
        "openat_2755",
        "open_tmpfile_4755",
        "creat_4755",
        "mknod_4755",
        "mknodat_2755",
        "chmod_u+s",
        "chmod_g+s",
        "fchmod_u+s",
        "fchmodat_u+s",
        "fchmodat2_u+s",
        "chmod_dir_g+s",  # BPF cannot tell a directory from a file: setgid dirs go too
        "chmod_high_bits",
    }, got
    assert got["chmod_755"] == "OK" and got["mkdir_2755"] == "OK"  # the kernel drops S_ISGID
    assert got["openat2"] == "ENOSYS"  # its mode is behind a pointer: callers fall back
    assert (target / "plain").stat().st_mode & 0o7777 == 0o755


def test_shell_tools_fail_cleanly_and_drop_the_bits(
    shell: Shell, host: Host, unchanged: None
) -> None:
    # In the workspace, so the jail can read it (the constructed root shows nothing else of the
    # host's); the bind is nosuid anyway, and the test removes it before `unchanged` looks.
    suid = host.workspace / "suid-true"
    shutil.copy("/bin/true", suid)
    suid.chmod(0o4755)
    with tarfile.open(host.workspace / "a.tar", "w") as tar:
        info = tarfile.TarInfo("evil")
        info.mode = 0o4755
        data = b"#!/bin/sh\nid\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("shared")
        info.type = tarfile.DIRTYPE
        info.mode = 0o2775
        tar.addfile(info)
    out = shell.out(
        "mkdir x && cd x && tar xpf ../a.tar; echo tar=$?; cd ..; "
        f"cp -p {suid} cp-p; echo cp=$?; cp {suid} cp-plain; echo cpplain=$?; "
        "install -m 4755 /bin/true inst; echo install=$?; "
        "cp /bin/true t && chmod u+s t; echo chmod=$?; chmod g+s t; echo chmodg=$?; "
        "mkdir -m 2775 md; echo mkdir=$?",
        timeout_s=30,
    )
    for tool in ("tar=2", "cp=1", "cpplain=0", "install=1", "chmod=1", "chmodg=1", "mkdir=1"):
        assert tool in out, out
    assert "Operation not permitted" in out
    assert (host.workspace / "x" / "evil").read_bytes().startswith(b"#!/bin/sh")
    assert os.access(host.workspace / "t", os.X_OK)
    suid.unlink()


def test_file_capabilities_cannot_be_set(shell: Shell, host: Host, unchanged: None) -> None:
    target = host.workspace / "capme"
    shutil.copy("/bin/true", target)
    got = probe(shell, host, "file_capability", target)
    assert got == {"setxattr": "EPERM", "lsetxattr": "EPERM"}
    assert "security.capability" not in os.listxattr(target)


# -- memory outside the rlimits, leases -----------------------------------------------------------


def test_memfds_and_leases_are_refused(shell: Shell, host: Host, unchanged: None) -> None:
    """memfds hold memory no rlimit bounds (and an unprivileged jail has no cgroup): ENOSYS,
    so programs fall back to files. A lease on a file the jail can read (its own, or as root
    any root-owned one in view) would make host writers wait: EPERM."""
    target = host.workspace / "leased"
    target.write_text("x")
    target.chmod(0o666)
    got = probe(shell, host, "memory_and_leases", target)
    assert got["memfd_create"] == "ENOSYS", got
    assert got["lease"] == "EPERM", got
    assert got["notify"] == "0", got  # dnotify only signals the caller: still allowed
    target.write_text("host writes at once")  # no lease to break


# -- 32-bit syscall entries ---------------------------------------------------------------------


@pytest.mark.parametrize("which", ["x32", "ia32"])
def test_32bit_syscall_entries_kill_the_process(
    shell: Shell, host: Host, which: str, unchanged: None
) -> None:
    script = probe_script(host)
    out = shell.out(f"python3 {script} abi32 {which}; echo rc=$?")
    assert f"{which}_returned" not in out  # an i386 socket(AF_UNIX) returns an fd unfiltered
    assert out.endswith("rc=159"), out  # 128 + SIGSYS


def test_newer_mount_api_calls_are_refused(shell: Shell) -> None:
    """open_tree_attr (6.15) is the mount API again: refused like open_tree, whatever it is
    asked (here an O_PATH-like fd of /, which it gives unfiltered)."""
    out = shell.out(
        "python3 -c 'import ctypes; libc = ctypes.CDLL(None, use_errno=True); "
        'print(libc.syscall(467, -100, b"/", 0, None, 0), ctypes.get_errno())\''
    )
    assert out == "-1 1", out


# -- what must keep working ---------------------------------------------------------------------


def test_everyday_tools_still_work(shell: Shell, host: Host) -> None:
    (host.workspace / "aio.py").write_text(
        "import asyncio\n"
        "async def main():\n"
        "    async def echo(r, w):\n"
        "        w.write(await r.read(5)); await w.drain(); w.close()\n"
        "    srv = await asyncio.start_server(echo, '127.0.0.1', 0)\n"
        "    port = srv.sockets[0].getsockname()[1]\n"
        "    r, w = await asyncio.open_connection('127.0.0.1', port)\n"
        "    w.write(b'hello'); print((await r.read()).decode())\n"
        "    proc = await asyncio.create_subprocess_exec('echo', 'sub', stdout=-1)\n"
        "    print((await proc.communicate())[0].decode().strip())\n"
        "asyncio.run(main())\n"
    )
    (host.workspace / "mp.py").write_text(
        "import multiprocessing as mp\n"
        "if __name__ == '__main__':\n"
        "    with mp.Pool(2) as p:\n"
        "        print(sum(p.map(abs, range(-3, 3))))\n"
    )
    out = shell.out(
        "python3 aio.py && python3 mp.py && git status --short | wc -l && "
        "(command -v ssh-keygen > /dev/null && ssh-keygen -q -t ed25519 -N '' -f k "
        "&& test -s k.pub && echo keygen || echo keygen) && "
        "(command -v openssl > /dev/null && openssl rand -hex 4 | wc -c || echo 9) && "
        "chmod 700 aio.py && chmod +x mp.py && echo modes",
        timeout_s=60,
    )
    lines = out.splitlines()
    assert lines[:3] == ["hello", "sub", "9"], out
    assert lines[4:] == ["keygen", "9", "modes"], out


_FILTERED = """
import os, sys
from agentrun.jail import seccomp, syscalls
syscalls.set_no_new_privs()
seccomp.install(seccomp.build_filter(host_sockets_hidden=sys.argv[1] == "hidden"))
os.execv(sys.argv[2], sys.argv[2:])
"""


@pytest.mark.parametrize("view", ["hidden", "host"])
def test_unix_sockets_open_up_only_when_no_host_socket_is_in_view(view: str) -> None:
    """The filter alone (as the jail installs it), with and without the constructed root's
    promise that no host socket can be named: only then are unix sockets and datagram pairs
    allowed; every other family stays as it is."""
    out = subprocess.run(
        [sys.executable, "-c", _FILTERED, view, "/usr/bin/python3", str(PROBE), "families"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    got = dict(line.split("=", 1) for line in out.splitlines())
    assert got["unix"] == ("OK" if view == "hidden" else "EPERM")
    assert {name for name, outcome in got.items() if outcome == "OK"} - {"unix"} == {
        "inet",
        "inet6",
        "netlink_route",
    }
    pair = subprocess.run(
        [sys.executable, "-c", _FILTERED, view, "/usr/bin/python3", str(PROBE), "pairs", "@x"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert ("SOCK_DGRAM.socketpair=OK" in pair) is (view == "hidden"), pair
