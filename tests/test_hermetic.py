"""tests/conftest.py's autouse fixture: a private HOME and AGENTRUN_HOME for every test."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hermetic import REAL_HOME, REAL_STATE

pytest_plugins = ["pytester"]


def test_every_test_and_its_subprocesses_get_a_private_home(tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])
    assert home != REAL_HOME and Path(os.environ["AGENTRUN_HOME"]) == home / ".agentrun"
    seen = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ['HOME'], os.environ['AGENTRUN_HOME'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert seen == [str(home), str(home / ".agentrun")]
    assert home / ".agentrun" != REAL_STATE


def test_a_test_writing_under_the_real_home_fails(pytester: pytest.Pytester) -> None:
    """Run with a stand-in for the real home: one test leaks a session (its cwd in the run's
    temporary directory) into it, one leaves a session of another process's there."""
    fake_real = pytester.path / "real-home"
    (fake_real / ".agentrun" / "sessions").mkdir(parents=True)
    for name in ("conftest.py", "hermetic.py"):
        shutil.copy(Path(__file__).with_name(name), pytester.path / name)
    pytester.makepyfile(
        test_leak="""
        import json
        from hermetic import REAL_STATE

        def test_leaks(tmp_path):
            header = {"type": "session", "cwd": str(tmp_path)}
            (REAL_STATE / "sessions" / "leak.jsonl").write_text(json.dumps(header) + "\\n")

        def test_someone_else(tmp_path):
            header = {"type": "session", "cwd": "/srv/elsewhere"}
            (REAL_STATE / "sessions" / "other.jsonl").write_text(json.dumps(header) + "\\n")

        def test_clean(tmp_path):
            (tmp_path / "x").write_text("fine")
        """
    )
    env = {**os.environ, "HOME": str(fake_real)}
    env.pop("AGENTRUN_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(pytester.path)],
        cwd=pytester.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # the leaking test errors at teardown; the other two pass
    assert "3 passed, 1 error" in done.stdout, done.stdout
    assert "ERROR test_leak.py::test_leaks - Failed: this test wrote under the real home" in (
        done.stdout
    )
    assert json.loads((fake_real / ".agentrun" / "sessions" / "leak.jsonl").read_text())


def test_children_get_a_normal_sigint_when_pytest_was_started_with_it_ignored(
    pytester: pytest.Pytester,
) -> None:
    """``pytest &`` in a script (or ``nohup``) ignores SIGINT; the interrupt tests must work."""
    for name in ("conftest.py", "hermetic.py"):
        shutil.copy(Path(__file__).with_name(name), pytester.path / name)
    pytester.makepyfile(
        test_child="""
        import subprocess, sys

        def test_child_sigint():
            code = "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            assert out.stdout == "False\\n"
        """
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(pytester.path)],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert "1 passed" in done.stdout, done.stdout
