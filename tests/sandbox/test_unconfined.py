"""UnconfinedSandbox: plain subprocesses, but nothing it starts survives kill() or close()."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from proctools import live_with_arg, unique_sleep, wait_for

from agentrun.core.errors import SandboxUnavailableError
from agentrun.jail.policy import SandboxPolicy
from agentrun.jail.unconfined import MARKER_VAR, UnconfinedProcess, UnconfinedSandbox

ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[UnconfinedSandbox]:
    policy = SandboxPolicy.create(tmp_path, mode="danger-full-access")
    box = UnconfinedSandbox(policy, tmp_dir=tmp_path / "tmp")
    yield box
    box.close()


def spawn(box: UnconfinedSandbox, script: str, cwd: Path, out: int) -> UnconfinedProcess:
    return box.spawn(["bash", "-c", script], cwd=cwd, env=ENV, stdout=out)


def run_to_end(box: UnconfinedSandbox, script: str, cwd: Path) -> tuple[int | None, str]:
    r, w = os.pipe()
    try:
        proc = spawn(box, script, cwd, w)
    finally:
        os.close(w)
    with os.fdopen(r, "rb") as f:
        output = f.read().decode()
    return proc.wait(5), output


def test_reports_the_policy_mode_and_no_enforced_layer(tmp_path: Path) -> None:
    for mode in ("danger-full-access", "workspace-write"):
        box = UnconfinedSandbox(SandboxPolicy.create(tmp_path, mode=mode), tmp_dir=tmp_path)
        assert (box.mode, box.enforced) == (mode, ())
        box.close()


def test_stdout_and_stderr_share_the_fd_in_order_and_stdin_is_empty(
    sandbox: UnconfinedSandbox, tmp_path: Path
) -> None:
    status, output = run_to_end(sandbox, "echo a; echo b >&2; cat; echo c; pwd", tmp_path)
    assert (status, output) == (0, f"a\nb\nc\n{tmp_path}\n")


def test_environment_is_exactly_the_given_one_plus_the_marker(
    sandbox: UnconfinedSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    status, output = run_to_end(sandbox, "env -0", tmp_path)
    assert status == 0
    names = {line.split("=", 1)[0] for line in output.split("\0") if line}
    # bash itself adds PWD, SHLVL and _.
    assert names == {*ENV, MARKER_VAR, "PWD", "SHLVL", "_"}
    assert "sk-ant-secret" not in output


def test_poll_and_wait_report_running_then_the_exit_status(
    sandbox: UnconfinedSandbox, tmp_path: Path
) -> None:
    proc = spawn(sandbox, "sleep 0.3; exit 7", tmp_path, 1)
    assert proc.poll() is None
    assert proc.wait(0.01) is None
    assert proc.wait(5) == 7
    assert proc.poll() == 7


def test_a_signal_gives_a_negative_status(sandbox: UnconfinedSandbox, tmp_path: Path) -> None:
    proc = spawn(sandbox, "kill -TERM $$", tmp_path, 1)
    assert proc.wait(5) == -15


def test_kill_takes_background_children_of_the_group(
    sandbox: UnconfinedSandbox, tmp_path: Path
) -> None:
    arg = unique_sleep()
    proc = spawn(sandbox, f"sleep {arg} & sleep {arg}", tmp_path, 1)
    assert wait_for(lambda: len(live_with_arg(arg)) == 2)
    proc.kill()
    assert proc.poll() == -9
    assert live_with_arg(arg) == []


def test_kill_takes_setsid_children(sandbox: UnconfinedSandbox, tmp_path: Path) -> None:
    arg = unique_sleep()
    proc = spawn(sandbox, f"setsid sleep {arg} & wait", tmp_path, 1)
    assert wait_for(lambda: len(live_with_arg(arg)) == 1)
    proc.kill()
    assert live_with_arg(arg) == []


def test_kill_takes_orphaned_setsid_grandchildren(
    sandbox: UnconfinedSandbox, tmp_path: Path
) -> None:
    arg = unique_sleep()
    # The subshell exits at once: the sleep is re-parented away and in its own session.
    proc = spawn(sandbox, f"(setsid sleep {arg} &); exec sleep 100", tmp_path, 1)
    assert wait_for(lambda: len(live_with_arg(arg)) == 1)
    proc.kill()
    assert live_with_arg(arg) == []


def test_kill_after_exit_sweeps_what_the_process_left(
    sandbox: UnconfinedSandbox, tmp_path: Path
) -> None:
    arg = unique_sleep()
    proc = spawn(sandbox, f"sleep {arg} & (setsid sleep {arg} &); exit 0", tmp_path, 1)
    assert proc.wait(5) == 0
    assert wait_for(lambda: len(live_with_arg(arg)) == 2)
    proc.kill()
    proc.kill()  # idempotent
    assert live_with_arg(arg) == []
    assert proc.poll() == 0  # the status already reaped is kept


def test_kill_leaves_other_spawns_alone(sandbox: UnconfinedSandbox, tmp_path: Path) -> None:
    mine, other = unique_sleep(), unique_sleep()
    first = spawn(sandbox, f"sleep {mine}", tmp_path, 1)
    second = spawn(sandbox, f"sleep {other}", tmp_path, 1)
    assert wait_for(lambda: live_with_arg(mine) and live_with_arg(other))
    first.kill()
    assert live_with_arg(mine) == []
    assert len(live_with_arg(other)) == 1
    assert second.poll() is None


def test_close_leaves_no_process_and_refuses_new_spawns(tmp_path: Path) -> None:
    box = UnconfinedSandbox(
        SandboxPolicy.create(tmp_path, mode="danger-full-access"), tmp_dir=tmp_path
    )
    running, orphan = unique_sleep(), unique_sleep()
    spawn(box, f"sleep {running} & sleep {running}", tmp_path, 1)
    finished = spawn(box, f"(setsid sleep {orphan} &)", tmp_path, 1)
    assert finished.wait(5) == 0
    assert wait_for(lambda: len(live_with_arg(running)) == 2 and live_with_arg(orphan))
    box.close()
    box.close()
    assert live_with_arg(running) == []
    assert live_with_arg(orphan) == []
    with pytest.raises(SandboxUnavailableError) as info:
        spawn(box, "true", tmp_path, 1)
    assert info.value.layer == "session"


def test_a_missing_cwd_raises_oserror(sandbox: UnconfinedSandbox, tmp_path: Path) -> None:
    with pytest.raises(OSError):
        spawn(sandbox, "true", tmp_path / "missing", 1)
