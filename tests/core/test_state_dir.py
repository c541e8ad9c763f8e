"""agentrun's state directory read-only, full or someone else's: a plain message and exit 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = os.geteuid() == 0


def _can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs none /mnt"], capture_output=True
    )
    return done.returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="no private mount namespace here")


def run_in(tmp_path: Path, mount: str, setup: str = "") -> subprocess.CompletedProcess[str]:
    """``agentrun -p`` with AGENTRUN_HOME on a tmpfs mounted with ``mount`` options, in a
    private mount namespace (nothing of the host is mounted over)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    state = tmp_path / "state"
    state.mkdir()
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"turns": [{"text": "Done."}]}))
    agentrun = f"{sys.executable} -m agentrun -p hi --cwd {ws} --model script:{script}"
    line = f"mount -t tmpfs -o {mount} none {state} && {setup} {agentrun}"
    env = {**os.environ, "AGENTRUN_HOME": str(state)}
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", line], env=env, capture_output=True, text=True, timeout=120
    )


@needs_mount
def test_a_read_only_state_dir_is_a_configuration_error(tmp_path: Path) -> None:
    done = run_in(tmp_path, "ro")
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"agentrun: cannot write agentrun's state under {tmp_path / 'state' / 'sessions'}: it is "
        "on a read-only filesystem; free it up or set AGENTRUN_HOME to another directory\n"
    )


@needs_mount
def test_a_full_state_dir_is_a_configuration_error(tmp_path: Path) -> None:
    state = tmp_path / "state"
    fill = (
        f"mkdir {state / 'sessions'}; dd if=/dev/zero of={state}/fill bs=4k count=100 2>/dev/null;"
    )
    done = run_in(tmp_path, "size=64k", setup=fill)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"agentrun: cannot write agentrun's state under {tmp_path / 'state' / 'sessions'}: its "
        "filesystem is full; free it up or set AGENTRUN_HOME to another directory\n"
    )


@pytest.mark.skipif(not ROOT, reason="only root can give a directory to another user")
def test_a_state_dir_of_another_user_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentrun.cli.app import main

    state = tmp_path / "state"
    (state / "sessions").mkdir(parents=True)
    os.chown(state / "sessions", 65534, 65534)
    monkeypatch.setenv("AGENTRUN_HOME", str(state))
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"turns": [{"text": "Done."}]}))
    assert main(["-p", "hi", "--cwd", str(tmp_path), "--model", f"script:{script}"]) == 2
    assert capsys.readouterr().err == (
        f"agentrun: agentrun's state directory {state / 'sessions'} belongs to uid 65534, not to "
        "you (uid 0); fix its ownership or set AGENTRUN_HOME to a directory of yours\n"
    )
