"""The jail template (a batch worker's): jails forked from it hold nothing of the runtime (no
environment, fd, thread or memory of it), keep every layer, and go when their owner goes.
The whole jail suite also runs with ``AGENTRUN_JAIL_ZYGOTE=1`` (every jail forked)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agentrun.jail import zygote
from agentrun.jail.jail import JailSandbox
from agentrun.jail.process import children

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import Host

ROOT = os.geteuid() == 0


@pytest.fixture
def template(monkeypatch: pytest.MonkeyPatch) -> Iterator[zygote.Zygote]:
    monkeypatch.delenv(zygote.ENV_FLAG, raising=False)
    made = zygote.start()
    yield made
    zygote.stop()


def _environ(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")


def _fd_targets(pid: int) -> list[str]:
    fds = Path(f"/proc/{pid}/fd")
    return sorted(os.readlink(fds / name) for name in os.listdir(fds))


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


def _memory_holds(pid: int, needle: bytes) -> bool:
    """Whether ``needle`` is anywhere in the process's readable memory (we are its owner)."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                if needle in mem.read(end - start):
                    return True
            except (OSError, ValueError, OverflowError):
                continue
    return False


def test_the_template_holds_nothing_of_the_runtime(host: Host, template: zygote.Zygote) -> None:
    # The runtime holds the key in its environment (the host fixture) and in its memory.
    key = host.fake_key.encode()
    assert os.environ["ANTHROPIC_API_KEY"] == host.fake_key
    pid = template.proc.pid
    assert sorted(e.split(b"=")[0] for e in _environ(pid) if e) == [b"LANG", b"PATH"]
    assert _threads(pid) == 1
    # stdin/stdout/stderr on /dev/null and its one socket: nothing else of ours. The template
    # starts while its owner goes on: until its own imports are done, the dynamic loader may
    # hold a library open for a moment, so wait (generously) for it to settle.
    deadline = time.monotonic() + 60
    targets = _fd_targets(pid)
    while len(targets) != 4 and time.monotonic() < deadline:
        time.sleep(0.05)
        targets = _fd_targets(pid)
    assert targets.count("/dev/null") == 3 and len(targets) == 4
    assert targets[-1].startswith("socket:")
    assert not _memory_holds(pid, key)


def test_a_forked_jail_keeps_every_layer_and_no_secret(host: Host, template: zygote.Zygote) -> None:
    forked = JailSandbox(host.policy(), tmp_dir=host.tmp_dir)
    try:
        forked.start()
        assert isinstance(forked._proc, zygote.ForkedInit)
        init = forked._proc.pid
        assert sorted(e.split(b"=")[0] for e in _environ(init) if e) == [b"LANG", b"PATH"]
        if ROOT:  # the init makes itself non-dumpable: only root reads its memory
            assert not _memory_holds(init, host.fake_key.encode())
        zygote.stop()  # a jail outlives a stopped template (and the next one starts fresh)
        fresh = JailSandbox(host.policy(), tmp_dir=host.tmp_dir)
        try:
            fresh.start()
            assert not isinstance(fresh._proc, zygote.ForkedInit)
            assert forked.enforced == fresh.enforced and forked.missing == fresh.missing
        finally:
            fresh.close()
        out = subprocess.run(["cat", f"/proc/{init}/status"], capture_output=True, text=True)
        assert out.returncode == 0  # still running
    finally:
        forked.close()
    with pytest.raises(ProcessLookupError):
        os.kill(init, 0)


_RUNTIME = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from agentrun.jail import zygote
    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.policy import SandboxPolicy
    template = zygote.start()
    jail = JailSandbox(SandboxPolicy.create(Path(sys.argv[1])), tmp_dir=Path(sys.argv[2]))
    jail.start()
    print(template.proc.pid, jail._proc.pid, flush=True)
    time.sleep(600)
    """
)


def test_a_killed_owner_takes_its_template_and_jails_along(host: Host) -> None:
    env = {k: v for k, v in os.environ.items() if k != zygote.ENV_FLAG}
    runtime = subprocess.Popen(
        [sys.executable, "-c", _RUNTIME, str(host.workspace), str(host.tmp_dir)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert runtime.stdout is not None
    template_pid, init_pid = (int(x) for x in runtime.stdout.readline().split())
    jailed = children(init_pid)
    runtime.send_signal(signal.SIGKILL)
    runtime.wait()

    def gone(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(
        gone(p) for p in (template_pid, init_pid, *jailed)
    ):
        time.sleep(0.05)
    assert all(gone(p) for p in (template_pid, init_pid, *jailed))
