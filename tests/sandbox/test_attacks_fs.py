"""The jail's filesystem view: read-only outside the write roots, host sockets absent.

Landlock does not handle metadata calls (chmod, utimes, xattrs, attribute flags), so before the
constructed root a jailed root could ``chmod 4755`` a root-owned binary outside the workspace,
and a datagram ``sendto`` through a ``socketpair`` reached any host socket. Each test asserts
the safe outcome and that the host is unchanged, in ``workspace-write`` and ``read-only``.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Host, Shell

ROOT = os.geteuid() == 0
MODES = ["workspace-write", "read-only"]


@pytest.fixture(params=MODES)
def any_shell(request: pytest.FixtureRequest, host: Host, make_jail: object) -> Iterator[Shell]:
    from conftest import Shell as JailShell

    shell = JailShell(make_jail(request.param), host)  # type: ignore[operator]
    try:
        yield shell
    finally:
        shell.close()


def _state(p: Path) -> tuple[int, int, int, int, float, float]:
    st = p.lstat()
    return (st.st_mode, st.st_uid, st.st_gid, st.st_nlink, st.st_mtime, st.st_atime)


@pytest.fixture
def etc_file() -> Iterator[Path]:
    """A file the test's uid owns outside the write roots but in the jail's view: in /etc as
    root; unprivileged, in the tree agentrun's code was imported from (shown read-only)."""
    import agentrun

    where = Path("/etc") if ROOT else Path(agentrun.__file__).resolve().parents[1]
    if not os.access(where, os.W_OK):
        pytest.skip(f"cannot plant a file in {where}")
    path = where / f"agentrun-test-{secrets.token_hex(4)}"
    path.write_text("host file\n")
    path.chmod(0o644)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
        for extra in where.glob(f"{path.name}*"):
            extra.unlink()


def _py(code: str, *args: object) -> str:
    return "python3 -c " + shlex.quote(code) + "".join(f" {shlex.quote(str(a))}" for a in args)


# Every metadata call Landlock does not see, through Python (one result line each).
_METADATA = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
p = sys.argv[1]
def attempt(name, fn):
    try:
        fn()
        print(name, "DONE")
    except OSError as e:
        print(name, "ERR", e.errno)
def raw(nr, *args):
    def call():
        if libc.syscall(nr, *args) != 0:
            raise OSError(ctypes.get_errno(), "")
    return call
b = p.encode()
attempt("chmod", lambda: os.chmod(p, 0o666))
attempt("chown", lambda: os.chown(p, os.getuid(), os.getgid()))
attempt("utime", lambda: os.utime(p, (0, 0)))
attempt("setxattr", lambda: os.setxattr(p, "user.agentrun", b"1"))
attempt("lsetxattr", lambda: os.setxattr(p, "user.agentrun", b"1", follow_symlinks=False))
attempt("removexattr", lambda: os.removexattr(p, "user.agentrun"))
attempt("truncate", lambda: os.truncate(p, 0))
attempt("link", lambda: os.link(p, p + ".lnk"))
attempt("rename", lambda: os.rename(p, p + ".moved"))
attempt("fchmodat2", raw(452, -100, b, 0o777, 0))
attempt("futimesat", raw(261, -100, b, None))
"""
_CALLS = 11


def _results(out: str) -> dict[str, str]:
    lines = [line.split(maxsplit=1) for line in out.splitlines() if line.count(" ") >= 1]
    return {name: rest for name, rest in lines}


def test_metadata_calls_on_a_system_file_fail(any_shell: Shell, etc_file: Path) -> None:
    """chmod 0666, utimes, xattrs, attribute flags, links and renames of a file in /etc."""
    before = _state(etc_file)
    out = any_shell.out(
        _py(_METADATA, etc_file)
        + f"; chmod 0666 {etc_file}; echo rc=$?; touch -d 2001-01-01 {etc_file}; echo rc=$?"
        + (f"; chattr +A {etc_file}; echo rc=$?" if shutil.which("chattr") else "")
    )
    results = _results(out)
    erofs = "ERR 30"
    assert [results.get(n) for n in ("chmod", "utime", "setxattr", "truncate")] == [erofs] * 4
    assert len([v for v in results.values() if v.startswith("ERR")]) == _CALLS, out
    assert "DONE" not in out and "rc=0" not in out, out
    assert out.count("Read-only file system") >= 2
    assert _state(etc_file) == before and etc_file.read_text() == "host file\n"
    assert not list(etc_file.parent.glob(f"{etc_file.name}.*"))
    assert not os.listxattr(etc_file)
    if shutil.which("lsattr"):
        flags = subprocess.run(["lsattr", str(etc_file)], capture_output=True, text=True)
        assert "A" not in flags.stdout.split()[0]


@pytest.mark.skipif(not ROOT, reason="copying a root-owned binary needs root")
def test_setuid_bit_on_a_root_owned_bash_outside_the_workspace(
    any_shell: Shell, host: Host
) -> None:
    """The issue's first finding: ``chmod 4755`` of a root-owned copy of bash made a setuid-root
    binary that another user then ran. Outside the roots the copy is absent or read-only."""
    copies = [
        host.outside / "bash-copy",  # a host dir the jail does not show
        Path("/usr/local/bin") / f"agentrun-test-bash-{secrets.token_hex(4)}",  # a shown one
    ]
    try:
        for copy in copies:
            shutil.copy2("/bin/bash", copy)
            copy.chmod(0o755)
        before = [_state(c) for c in copies]
        # (seccomp may refuse a set-id mode by itself: the plain chmod shows the view's part)
        out = any_shell.out(
            "; ".join(f"chmod 4755 {c}; echo rc=$?; chmod 0777 {c}; echo rc=$?" for c in copies)
        )
        assert out.count("rc=1") == 4 and "rc=0" not in out, out
        assert f"cannot access '{copies[0]}': No such file or directory" in out, out
        assert f"changing permissions of '{copies[1]}': Read-only file system" in out, out
        assert [_state(c) for c in copies] == before
        assert not any(c.stat().st_mode & stat.S_ISUID for c in copies)
    finally:
        for copy in copies:
            copy.unlink(missing_ok=True)


def test_a_private_key_in_a_home_cannot_be_made_readable(any_shell: Shell, host: Host) -> None:
    """As uid 65534 the issue made ``~/.ssh/id_rsa`` mode 0644. Other users' homes (and the
    runtime's own, here a fake one) are not in the view at all."""
    host.id_rsa.chmod(0o600)
    before = _state(host.id_rsa)
    out = any_shell.out(
        f"chmod 0644 {host.id_rsa}; echo rc=$?; ls {host.home}; echo rc=$?; ls /home; echo rc=$?"
    )
    assert "rc=0" not in out and "No such file or directory" in out, out
    assert _state(host.id_rsa) == before


def test_the_view_holds_only_what_commands_need(any_shell: Shell) -> None:
    """Host state under /run, /var/lib, /root and the users' homes is absent; nothing outside
    the write roots and the private tmp dirs is mounted writable."""
    out = any_shell.out(
        "ls -A /run; echo run=$?; ls /var; ls /var/lib /home /run/user /dev/log 2>&1 | wc -l; "
        "ls /dev | tr '\\n' ' '; echo; findmnt -rn -o TARGET,OPTIONS | grep -v '^/proc' "
        "| grep -E '(^| |,)rw,' | cut -d' ' -f1 | sort | tr '\\n' ' '"
    )
    lines = out.splitlines()
    assert lines[:3] == ["run=0", "tmp", "4"], out
    devices = set(lines[3].split())
    assert devices == {
        *("fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "tty"),
        *("urandom", "zero"),
    }
    writable = set(lines[4].split()) if len(lines) > 4 else set()
    # /tmp, /var/tmp, /dev/shm and the session's tmp dir, plus the workspace when writable.
    assert {"/tmp", "/var/tmp", "/dev/shm"} <= writable
    assert all(w.startswith(("/tmp", "/var/tmp", "/dev/shm")) for w in writable), writable


# -- host sockets ------------------------------------------------------------------------------


_SOCKETS = """
import os, socket, sys
for path in sys.argv[1:]:
    try:
        os.stat(path)
        seen = "EXISTS"
    except OSError as e:
        seen = "ERR %d" % e.errno
    results = [seen]
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        try:
            a, b = socket.socketpair(socket.AF_UNIX, kind)
            if kind == socket.SOCK_DGRAM:
                a.sendto(b"agentrun-pwn", path)
            else:
                a.connect(path)
            results.append("REACHED")
        except OSError as e:
            results.append("ERR %d" % e.errno)
        try:
            s = socket.socket(socket.AF_UNIX, kind)
            s.connect(path)
            s.sendall(b"agentrun-pwn")
            results.append("REACHED")
        except OSError as e:
            results.append("ERR %d" % e.errno)
    print(path, *results)
"""


class _Sockets:
    """A datagram and a stream socket bound by the test at each of ``dirs``."""

    def __init__(self, dirs: list[Path]) -> None:
        self.socks: list[socket.socket] = []
        self.paths: list[Path] = []
        for d in dirs:
            for kind, tag in ((socket.SOCK_DGRAM, "dgram"), (socket.SOCK_STREAM, "stream")):
                path = d / f"agentrun-test-{tag}-{secrets.token_hex(3)}.sock"
                s = socket.socket(socket.AF_UNIX, kind)
                s.bind(str(path))
                path.chmod(0o777)
                if kind == socket.SOCK_STREAM:
                    s.listen(8)
                s.setblocking(False)
                self.socks.append(s)
                self.paths.append(path)

    def hits(self) -> int:
        n = 0
        for s in self.socks:
            try:
                if s.type == socket.SOCK_STREAM:
                    s.accept()[0].close()
                else:
                    s.recv(64)
                n += 1
            except BlockingIOError:
                pass
        return n

    def close(self) -> None:
        for s in self.socks:
            s.close()
        for p in self.paths:
            p.unlink(missing_ok=True)


def test_host_pathname_sockets_are_absent(any_shell: Shell, host: Host) -> None:
    """Under a /run-like dir, directly under /var/tmp, and (as root) in the real /run: neither
    ``connect`` nor a ``socketpair`` datagram's ``sendto`` reaches them, whatever seccomp says
    about ``socket(AF_UNIX)``: the names are not in the view."""
    dirs = [host.base / "run", Path("/var/tmp")]
    if os.access("/run", os.W_OK):
        dirs.append(Path("/run"))
    sockets = _Sockets(dirs)
    try:
        out = any_shell.out(_py(_SOCKETS, *sockets.paths))
        rows = [line.split() for line in out.splitlines()]
        assert len(rows) == len(sockets.paths), out
        for row in rows:
            assert row[1:3] == ["ERR", "2"], out  # ENOENT: not in the view
            assert "REACHED" not in row, out
        assert sockets.hits() == 0
    finally:
        sockets.close()


def test_a_socket_inside_the_workspace_is_covered(host: Host, make_jail: object) -> None:
    """A host process's socket in the project directory (a dev database, an IDE) is in the
    view's tree, so the jail covers it when it starts."""
    from conftest import Shell as JailShell

    sockets = _Sockets([host.workspace])
    shell = JailShell(make_jail(), host)  # type: ignore[operator]
    try:
        out = shell.out(_py(_SOCKETS, *sockets.paths))
        assert out.count("REACHED") == 0 and len(out.splitlines()) == 2, out
        assert sockets.hits() == 0
    finally:
        shell.close()
        sockets.close()


def test_sockets_made_inside_the_jail_still_work(shell: Shell) -> None:
    """What the view must not break: a socketpair, and (once seccomp allows AF_UNIX) a server
    bound in the workspace or the private /tmp."""
    code = (
        "import socket\na, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
        "a.send(b'ok'); print(b.recv(8).decode())\n"
    )
    assert shell.out(_py(code)) == "ok"


def test_the_jails_own_interpreter_is_not_reachable_through_proc(shell: Shell) -> None:
    """The jail's init and shims were exec'd from the host's (writable) mount before the jail
    existed: ``/proc/1/exe`` led there, and a chmod through it (same mode here, so a regression
    changes nothing) landed on the host's interpreter."""
    import sys

    exe = Path(sys.executable).resolve()
    before = _state(exe)
    code = (
        "import os\n"
        "for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
        "    link = '/proc/' + pid + '/exe'\n"
        "    try:\n"
        "        if os.path.realpath(link) != EXE:\n"
        "            continue\n"
        "        st = os.stat(link)\n"
        "        os.chmod(link, st.st_mode & 0o7777)\n"
        "        os.utime(link, ns=(st.st_atime_ns, st.st_mtime_ns))\n"
        "        print(pid, 'DONE')\n"
        "    except OSError as e:\n"
        "        print(pid, 'ERR', e.errno)\n"
    ).replace("EXE", repr(str(exe)))
    out = shell.out(_py(code))
    assert "DONE" not in out, out
    assert _state(exe) == before
