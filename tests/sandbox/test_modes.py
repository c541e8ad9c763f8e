"""Each sandbox mode enforces exactly its expected layer set, and fails closed without one.

The expected sets come from ``AGENTRUN_SANDBOX_EXPECT`` (CI sets it for the root and the
unprivileged run) or the uid, never from what the machine happens to offer: a layer that
silently went missing fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from agentrun.core.errors import SandboxUnavailableError
from agentrun.jail import open_sandbox

if TYPE_CHECKING:
    from conftest import Host


@pytest.mark.parametrize(
    ("mode", "network"),
    [
        ("workspace-write", False),
        ("read-only", False),
        ("workspace-write", True),
        ("danger-full-access", False),
    ],
    ids=["workspace-write", "read-only", "workspace-write+network", "danger-full-access"],
)
def test_each_mode_enforces_its_expected_layers(host: Host, mode, network) -> None:
    from conftest import expected_layers

    sandbox = open_sandbox(host.policy(mode, allow_network=network), tmp_dir=host.tmp_dir)
    try:
        assert sandbox.mode == mode
        expected = expected_layers(mode, allow_network=network)
        assert set(sandbox.enforced) == expected  # promised before the (lazy) start
        start = getattr(sandbox, "start", None)
        if start is not None:
            start()
        assert set(sandbox.enforced) == expected  # and measured once started
        assert len(sandbox.enforced) == len(set(sandbox.enforced))
    finally:
        sandbox.close()


def test_read_only_mode_writes_nowhere_but_the_private_tmp(host: Host, make_jail) -> None:
    from conftest import Shell

    shell = Shell(make_jail("read-only"), host)
    try:
        out = shell.out(
            "echo x > ws-file; echo rc=$?; mkdir d; echo rc=$?; "
            "echo y > $TMPDIR/t && cat $TMPDIR/t; echo z > /tmp/t && cat /tmp/t"
        )
        assert out.splitlines()[-2:] == ["y", "z"]
        assert out.count("Read-only file system") == 2 and out.count("rc=1") == 2
        assert not (host.workspace / "ws-file").exists() and not (host.workspace / "d").exists()
    finally:
        shell.close()


def test_add_dir_is_writable_and_others_are_not(host: Host, make_jail) -> None:
    from conftest import Shell

    extra = host.base / "extra"
    extra.mkdir()
    shell = Shell(make_jail(add_dirs=[extra]), host)
    try:
        out = shell.out(
            f"echo hi > {extra}/f && cat {extra}/f; echo no > ../outside/pwn2; echo rc=$?"
        )
        assert out.startswith("hi") and "rc=1" in out
        assert (extra / "f").read_text() == "hi\n"
        assert not (host.outside / "pwn2").exists()
    finally:
        shell.close()


def test_allow_network_shares_the_host_network_but_not_unix_sockets(host: Host, make_jail) -> None:
    from conftest import Shell

    shell = Shell(make_jail(allow_network=True), host)
    try:
        assert "netns" not in shell.jail.enforced
        out = shell.out(
            f"curl -s -m 3 -o /dev/null http://127.0.0.1:{host.tcp_port}/; echo; "
            "python3 -c 'import socket; socket.socket(socket.AF_UNIX)' 2>&1 | tail -1"
        )
        assert host.wait_for(lambda: host.hits()["tcp"] >= 1)
        assert "PermissionError" in out
        assert host.hits()["unix"] == 0 and host.hits()["abstract"] == 0
    finally:
        shell.close()


_TAKE_AWAY = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from agentrun.core.errors import SandboxUnavailableError
    from agentrun.jail import seccomp, syscalls
    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.policy import SandboxPolicy
    from agentrun.jail.probe import probe
    ws, tmp, home, marker, nrs, when = sys.argv[1:7]
    if when == "after-probe":
        probe()  # cached: the jail promises what the machine offered before the syscalls went
    # A container-like runtime: these syscalls are refused to it and to everything it starts.
    prog = [seccomp._insn(0x20, 0)]  # A = nr; then "nr == N: EPERM" for each, else allow
    for nr in nrs.split(","):
        prog += [seccomp._insn(0x15, int(nr), 0, 1), seccomp._insn(0x06, 0x00050001)]
    prog.append(seccomp._insn(0x06, seccomp.RET_ALLOW))
    syscalls.set_no_new_privs()
    seccomp.install(b"".join(prog))
    jail = JailSandbox(SandboxPolicy.create(ws, home=Path(home)), tmp_dir=Path(tmp))
    promised = list(jail.enforced)
    try:
        jail.spawn(["touch", marker], cwd=Path(ws), env={"PATH": "/usr/bin:/bin"}, stdout=1)
        result = {"ran": True}
    except SandboxUnavailableError as e:
        result = {"layer": e.layer, "message": str(e), "enforced": list(jail.enforced)}
    result["promised"] = promised
    jail.close()
    print(json.dumps(result))
    """
)


@pytest.mark.parametrize(
    ("syscalls_denied", "layer", "when"),
    [
        ("444,445,446", "landlock", "before-probe"),
        ("272", "pidns" if os.geteuid() == 0 else "userns", "before-probe"),
        # The probe found the layer, so the jail promised it; the start then fails to put it
        # in force: spawn must still refuse (the promise is checked, not trusted).
        ("444,445,446", "landlock", "after-probe"),
        ("165", "constructed-root", "after-probe"),
        ("442", "constructed-root", "after-probe"),  # mount_setattr: no recursive read-only
    ],
    ids=[
        "no-landlock",
        "no-namespaces",
        "landlock-lost-after-probe",
        "mount-lost-after-probe",
        "mount-setattr-lost-after-probe",
    ],
)
def test_fails_closed_when_a_layer_is_missing(host: Host, syscalls_denied, layer, when) -> None:
    marker = host.workspace / "ran"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _TAKE_AWAY,
            str(host.workspace),
            str(host.tmp_dir),
            str(host.home),
            str(marker),
            syscalls_denied,
            when,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "ran" not in result
    assert result["layer"] == layer
    assert layer in result["message"] and "--sandbox danger-full-access" in result["message"]
    assert layer not in result["enforced"]
    assert (layer in result["promised"]) == (when == "after-probe")
    assert not marker.exists()


def test_bash_tool_reports_the_refusal(host: Host) -> None:
    from agentrun.tools.shell import BashSession

    class Refusing:  # what a jail with a missing layer does on spawn
        mode = "workspace-write"
        enforced = ()

        def spawn(self, argv, *, cwd, env, stdout):
            raise SandboxUnavailableError(
                "needs landlock; use --sandbox danger-full-access", layer="landlock"
            )

        def close(self) -> None: ...

    session = BashSession(Refusing(), cwd=host.workspace, tmp_dir=host.tmp_dir)
    result = session.run("touch ran")
    assert result.is_error and "landlock" in str(result.content)
    assert not (host.workspace / "ran").exists()
    session.close()


_UNDER_TMP = """
import json, sys
from agentrun.runner import api
from agentrun.core.events import ToolEndEvent
ws, extra, script, mode = sys.argv[1:5]
ends = []
result = api.run("go", cwd=ws, add_dirs=[extra], model=f"script:{script}", sandbox=mode,
                 permission_mode="bypassPermissions",
                 on_event=lambda e: ends.append(e) if isinstance(e, ToolEndEvent) else None)
print(json.dumps({"ok": not result.is_error, "out": [str(e.result.content) for e in ends]}))
"""


@pytest.mark.parametrize("mode", ["read-only", "workspace-write"])
def test_a_workspace_under_tmp_gets_its_modes_rights_exactly(tmp_path: Path, mode: str) -> None:
    """/tmp is private in the jail and the workspace is bound back into it: it must not pick up
    the private /tmp's write right in read-only mode, nor lose its own in workspace-write."""
    import json
    import subprocess
    import sys

    if Path("/tmp") not in tmp_path.parents:
        pytest.skip("pytest's tmp_path is not under /tmp here")
    ws, extra = tmp_path / "ws", tmp_path / "extra"
    ws.mkdir()
    extra.mkdir()
    (ws / "app.txt").write_text("app\n")
    (extra / "e.txt").write_text("extra\n")
    # python, not `>`, `tee` or `mkdir`: the permission gate would refuse a write it can name
    # that the sandbox refuses before the jail is reached, and this is a test of the jail
    py = "python3 -c"
    command = (
        f'cat app.txt {extra}/e.txt; {py} \'open("new.txt", "w")\'; echo rc=$?; '
        f"{py} 'import os; os.mkdir(\"d\")'; echo rc=$?; "
        f'{py} \'open("{extra}/n.txt", "w")\'; echo rc=$?'
    )
    script = tmp_path / "s.json"
    call = {"name": "Bash", "input": {"command": command}}
    script.write_text(json.dumps({"turns": [{"tool_calls": [call]}, {"text": "done"}]}))
    proc = subprocess.run(
        [sys.executable, "-c", _UNDER_TMP, str(ws), str(extra), str(script), mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["ok"]
    [out] = report["out"]
    assert "app\nextra\n" in out  # both roots readable in either mode
    written = [(ws / "new.txt").exists(), (ws / "d").exists(), (extra / "n.txt").exists()]
    if mode == "read-only":
        assert out.count("rc=1") == 3 and written == [False, False, False]
    else:
        assert out.count("rc=0") == 3 and written == [True, True, True]
