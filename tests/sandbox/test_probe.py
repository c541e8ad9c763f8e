"""probe() and `agentrun sandbox status` agree with the layer set this run must have."""

from __future__ import annotations

import json
import os

import pytest

from agentrun.cli import main
from agentrun.sandbox.probe import LAYERS, probe, probe_details

EXPECT = os.environ.get("AGENTRUN_SANDBOX_EXPECT") or (
    "root" if os.geteuid() == 0 else "unprivileged"
)


def test_probe_reports_every_layer_and_is_cached() -> None:
    first = probe()
    assert tuple(first) == LAYERS and all(isinstance(v, bool) for v in first.values())
    assert probe_details() is probe_details()
    assert probe() == first


def test_probe_matches_the_expected_machine() -> None:
    p = probe()
    for layer in (
        "landlock",
        "seccomp",
        "netns",
        "pidns",
        "mountns",
        "rlimits",
        "caps",
        "no_new_privs",
    ):
        assert p[layer], probe_details()[layer]
    assert p["cgroup"] is (EXPECT == "root")
    if EXPECT == "unprivileged":
        assert p["userns"], probe_details()["userns"]


def test_status_json(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import expected_layers

    assert main(["sandbox", "status", "--json", "--cwd", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["mode"] == "workspace-write"
    assert set(report["enforced"]) == expected_layers("workspace-write")
    assert set(report["layers"]) == set(LAYERS)
    for layer in report["required"]:
        assert report["layers"][layer]["state"] == "enforced"


def test_status_text_for_each_mode(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "status", "--sandbox", "read-only", "--cwd", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sandbox mode: read-only (Bash allowed)")
    assert "landlock      enforced" in out
    assert (
        main(["sandbox", "--sandbox", "danger-full-access", "--json", "--cwd", str(tmp_path)]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["enforced"] == [] and report["required"] == []


_NO_LANDLOCK = """
import sys
from agentrun.cli import main
from agentrun.sandbox import seccomp, syscalls
prog = [seccomp._insn(0x20, 0)]  # A = nr; landlock_* -> EPERM, everything else allowed
for nr in (444, 445, 446):
    prog += [seccomp._insn(0x15, nr, 0, 1), seccomp._insn(0x06, 0x00050001)]
prog.append(seccomp._insn(0x06, seccomp.RET_ALLOW))
syscalls.set_no_new_privs()
seccomp.install(b"".join(prog))
sys.exit(main(["sandbox", "status", "--json", "--cwd", sys.argv[1]]))
"""


def test_status_says_missing_and_exits_1_without_landlock(tmp_path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", _NO_LANDLOCK, str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is False and "landlock" not in report["enforced"]
    assert report["layers"]["landlock"]["state"] == "MISSING"
    assert report["layers"]["landlock"]["detail"].startswith("Landlock ABI 0 < 3")
