"""probe() and `agentrun sandbox status` agree with the layer set this run must have."""

from __future__ import annotations

import json
import re
import os

import pytest

from agentrun.cli.app import main
from agentrun.jail.probe import LAYERS, probe, probe_details

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
        "landlock_scopes",
        "seccomp",
        "socket_allowlist",
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
    for layer in (
        "landlock",
        "landlock_scopes",
        "seccomp",
        "socket_allowlist",
        "constructed-root",
        "git-protected",
    ):
        assert re.search(rf"^  {layer} +enforced", out, re.M), layer
    assert (
        main(["sandbox", "--sandbox", "danger-full-access", "--json", "--cwd", str(tmp_path)]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["enforced"] == [] and report["required"] == []


_NO_LANDLOCK = """
import sys
from agentrun.cli.app import main
from agentrun.jail import seccomp, syscalls
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


@pytest.fixture
def fresh_probe(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """The probe module as a new process sees it, with its disk cache under ``tmp_path``."""
    from agentrun.jail import probe as probe_module

    if probe_module.cache_key() is None:
        pytest.skip("this process runs under a seccomp filter: the probe never caches then")
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(probe_module, "_details", None)
    return probe_module


def test_the_answer_is_kept_on_disk_under_its_key(fresh_probe) -> None:
    details = fresh_probe.probe_details()
    path = fresh_probe.cache_path()
    saved = json.loads(path.read_text())
    assert saved["key"] == json.loads(json.dumps(fresh_probe.cache_key()))
    assert {k: tuple(v) for k, v in saved["layers"].items()} == details
    assert path.parent.stat().st_mode & 0o777 == 0o700  # it sits in agentrun's private home
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary left behind


def test_a_matching_cache_is_used_without_probing(fresh_probe, monkeypatch) -> None:
    key = fresh_probe.cache_key()
    planted = {layer: [True, f"planted {layer}"] for layer in LAYERS}
    path = fresh_probe.cache_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"key": key, "layers": planted}))

    def no_probe() -> None:
        raise AssertionError("probed although the cache matched")

    monkeypatch.setattr(fresh_probe, "_probe_now", no_probe)
    assert fresh_probe.probe_details()["netns"] == (True, "planted netns")


@pytest.mark.parametrize(
    "damage",
    ["other boot", "other user", "garbage", "missing layer", "wrong shape"],
)
def test_a_stale_or_broken_cache_is_probed_again_and_replaced(fresh_probe, damage: str) -> None:
    key = fresh_probe.cache_key()
    layers = {layer: [True, "planted"] for layer in LAYERS}
    if damage == "other boot":
        key["/proc/sys/kernel/random/boot_id"] = "00000000-0000-0000-0000-000000000000\n"
    elif damage == "other user":
        key["euid"] = key["euid"] + 1  # type: ignore[operator]
    elif damage == "missing layer":
        del layers["landlock"]
    elif damage == "wrong shape":
        layers["netns"] = True
    text = "{not json" if damage == "garbage" else json.dumps({"key": key, "layers": layers})
    path = fresh_probe.cache_path()
    path.parent.mkdir(parents=True)
    path.write_text(text)
    details = fresh_probe.probe_details()
    assert all(why != "planted" for _, why in details.values())
    assert details["rlimits"] == (True, "setrlimit")
    assert json.loads(path.read_text())["key"] == json.loads(json.dumps(fresh_probe.cache_key()))


def test_fresh_ignores_the_cache(fresh_probe) -> None:
    key = fresh_probe.cache_key()
    path = fresh_probe.cache_path()
    path.parent.mkdir(parents=True)
    planted = {layer: [False, "planted"] for layer in LAYERS}
    path.write_text(json.dumps({"key": key, "layers": planted}))
    assert fresh_probe.probe_details()["rlimits"] == (False, "planted")
    assert fresh_probe.probe_details(fresh=True)["rlimits"] == (True, "setrlimit")
    assert fresh_probe.probe_details()["rlimits"] == (True, "setrlimit")


def test_an_unwritable_home_only_costs_the_cache(fresh_probe, tmp_path) -> None:
    (tmp_path / "home").write_text("a file where the home directory should be")
    assert fresh_probe.probe_details()["rlimits"] == (True, "setrlimit")


_UNDER_A_FILTER = """
import json, sys
from agentrun.jail import probe, seccomp, syscalls
syscalls.set_no_new_privs()
seccomp.install(seccomp._insn(0x06, seccomp.RET_ALLOW))  # a filter that refuses nothing
print(json.dumps({"key": probe.cache_key(), "netns": probe.probe_details()["netns"]}))
"""


def test_a_process_under_a_seccomp_filter_neither_reads_nor_writes_the_cache(tmp_path) -> None:
    import subprocess
    import sys

    home = tmp_path / "home"
    proc = subprocess.run(
        [sys.executable, "-c", _UNDER_A_FILTER],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "AGENTRUN_HOME": str(home)},
    )
    report = json.loads(proc.stdout)
    assert report["key"] is None
    assert report["netns"][0] is True  # probed for real: the filter refuses nothing
    assert not (home / "cache").exists()
