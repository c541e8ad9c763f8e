"""Fixtures for the jail tests: a host full of things a jailed command must not reach.

The host lives under ``/var/tmp`` (not ``/tmp``): the jail replaces ``/tmp`` with a private one,
and a secret hidden by that alone would not prove the Landlock deny list works.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agentrun.core.types import ToolResult
from agentrun.jail.fileclient import JailedWorkspace, jailed_workspace
from agentrun.jail.jail import JailLimits, JailSandbox
from agentrun.jail.openat2 import openat2_available
from agentrun.jail.policy import SandboxMode, SandboxPolicy
from agentrun.tools.shell import BashSession, build_env
from proctools import live_with_arg, unique_sleep, wait_for

ROOT = os.geteuid() == 0
# CI says which layer set it expects ("root" or "unprivileged"), so a layer that silently went
# missing fails the run; without it, the uid decides (never what the machine happens to offer).
EXPECT = os.environ.get("AGENTRUN_SANDBOX_EXPECT") or ("root" if ROOT else "unprivileged")
JAIL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
FAKE_KEY = "sk-ant-api03-FAKE-" + "x" * 24
PATH_BACKENDS = [
    pytest.param(
        True,
        id="openat2",
        marks=pytest.mark.skipif(not openat2_available(), reason="kernel without openat2"),
    ),
    pytest.param(False, id="walk"),
]
"""A :class:`Workspace`'s two ways of resolving a path (``use_openat2``), the first skipped
where the kernel has no openat2."""
TEST_LIMITS = JailLimits(
    pids=256,
    memory=384 << 20,
    file_size=32 << 20,
    address_space=2 << 30,
    cpu_seconds=10,
    open_files=256,
    shm_size=32 << 20,
)


def expected_layers(mode: SandboxMode, *, allow_network: bool = False) -> set[str]:
    if mode == "danger-full-access":
        return set()
    layers = {"landlock", "seccomp", "pidns", "mountns", "rlimits", "caps", "no_new_privs"}
    # Both CI runs are on kernels with Landlock ABI >= 6 (scopes) and the x86_64 filter.
    layers |= {"landlock_scopes", "socket_allowlist"}
    layers |= {"constructed-root", "git-protected"}
    if not allow_network:
        layers.add("netns")
    layers.add("cgroup" if EXPECT == "root" else "userns")
    return layers


class _Recorder(threading.Thread):
    """A host server that only records what reached it."""

    def __init__(self, sock: socket.socket, stream: bool) -> None:
        super().__init__(daemon=True)
        self.sock = sock
        self.stream = stream
        self.hits: list[bytes] = []
        self.stop = False
        sock.settimeout(0.1)

    def run(self) -> None:
        while not self.stop:
            try:
                if self.stream:
                    conn, _ = self.sock.accept()
                    self.hits.append(b"connect")
                    conn.close()
                else:
                    data, _ = self.sock.recvfrom(4096)
                    self.hits.append(data)
            except (TimeoutError, OSError):
                continue

    def close(self) -> None:
        self.stop = True
        self.join(2)
        self.sock.close()


@dataclass
class Host:
    base: Path
    home: Path
    id_rsa: Path
    outside: Path
    outside_secret: Path
    workspace: Path
    tmp_dir: Path
    tcp_port: int
    udp_port: int
    unix_path: Path
    abstract_name: str
    decoy_pid: int
    servers: dict[str, _Recorder] = field(default_factory=dict)

    fake_key: str = FAKE_KEY

    @staticmethod
    def live_with_arg(arg: str) -> list[int]:
        return live_with_arg(arg)

    @staticmethod
    def unique_sleep() -> str:
        return unique_sleep()

    @staticmethod
    def wait_for(predicate: object, timeout: float = 3.0) -> bool:
        return wait_for(predicate, timeout)

    def hits(self) -> dict[str, int]:
        return {name: len(s.hits) for name, s in self.servers.items()}

    def policy(self, mode: SandboxMode = "workspace-write", **kw: object) -> SandboxPolicy:
        return SandboxPolicy.create(self.workspace, mode=mode, home=self.home, **kw)  # type: ignore[arg-type]

    def snapshot(self) -> dict[str, bytes]:
        """The host files an attack may aim at, to compare before/after."""
        files = [self.id_rsa, self.outside_secret, Path("/etc/passwd")]
        return {str(p): p.read_bytes() for p in files}


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    base = Path("/var/tmp") / f"agentrun-test-{os.getpid()}-{secrets.token_hex(4)}"
    base.mkdir(mode=0o755)
    home = base / "home"
    (home / ".ssh").mkdir(parents=True)
    id_rsa = home / ".ssh" / "id_rsa"
    id_rsa.write_text("-----BEGIN FAKE PRIVATE KEY-----\nsecret\n")
    outside = base / "outside"
    outside.mkdir()
    secret = outside / "secret"
    secret.write_text("outside secret\n")
    ws = base / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    tmp_dir = tmp_path / "bash-tmp"
    tmp_dir.mkdir()
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)

    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    (base / "run").mkdir()
    unix_path = base / "run" / "host.sock"
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(str(unix_path))
    unix_path.chmod(0o777)
    unix.listen(8)
    abstract_name = f"agentrun-test-{secrets.token_hex(4)}"
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind("\0" + abstract_name)
    abstract.listen(8)
    # A process holding the key in its exec-time environment, like a runtime started with it.
    decoy = subprocess.Popen(
        ["sleep", "600"], env={"PATH": JAIL_PATH, "ANTHROPIC_API_KEY": FAKE_KEY}
    )
    h = Host(
        base=base,
        home=home,
        id_rsa=id_rsa,
        outside=outside,
        outside_secret=secret,
        workspace=ws,
        tmp_dir=tmp_dir,
        tcp_port=tcp.getsockname()[1],
        udp_port=udp.getsockname()[1],
        unix_path=unix_path,
        abstract_name=abstract_name,
        decoy_pid=decoy.pid,
    )
    for name, sock, stream in (
        ("tcp", tcp, True),
        ("udp", udp, False),
        ("unix", unix, True),
        ("abstract", abstract, True),
    ):
        h.servers[name] = _Recorder(sock, stream)
        h.servers[name].start()
    try:
        yield h
    finally:
        for s in h.servers.values():
            s.close()
        decoy.kill()
        decoy.wait()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def make_jail(host: Host) -> Iterator[object]:
    made: list[JailSandbox] = []

    def make(mode: SandboxMode = "workspace-write", **kw: object) -> JailSandbox:
        limits = kw.pop("limits", TEST_LIMITS)
        jail = JailSandbox(host.policy(mode, **kw), tmp_dir=host.tmp_dir, limits=limits)  # type: ignore[arg-type]
        made.append(jail)
        return jail

    yield make
    for jail in made:
        jail.close()


class Shell:
    """A BashSession in a jail, as the Bash tool drives it."""

    def __init__(self, jail: JailSandbox, host: Host) -> None:
        self.jail = jail
        env = build_env(home=host.tmp_dir / "home", tmp_dir=host.tmp_dir, extra={"PATH": JAIL_PATH})
        (host.tmp_dir / "home").mkdir(exist_ok=True)
        self.session = BashSession(
            jail, cwd=host.workspace, tmp_dir=host.tmp_dir, env=env, roots=(host.workspace,)
        )

    def run(self, command: str, timeout_s: float = 10) -> ToolResult:
        return self.session.run(command, timeout_ms=int(timeout_s * 1000))

    def out(self, command: str, timeout_s: float = 10) -> str:
        content = self.run(command, timeout_s).content
        assert isinstance(content, str)
        return content

    def close(self) -> None:
        self.session.close()
        self.jail.close()


@contextlib.contextmanager
def jail_with_files(host: Host, policy: SandboxPolicy) -> Iterator[tuple[Shell, JailedWorkspace]]:
    """A jail on ``policy``: its Bash shell and the file tools' workspace served inside it
    (closed after)."""
    shell = Shell(JailSandbox(policy, tmp_dir=host.tmp_dir, limits=TEST_LIMITS), host)
    workspace = jailed_workspace(policy, shell.jail)
    try:
        yield shell, workspace
    finally:
        workspace.channel.close()
        shell.close()


@pytest.fixture
def shell(host: Host, make_jail: object) -> Iterator[Shell]:
    s = Shell(make_jail(), host)  # type: ignore[operator]
    try:
        yield s
    finally:
        s.close()
