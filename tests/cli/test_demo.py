"""``agentrun demo`` end to end, as a user runs it: a real subprocess, the real loop, tools and
sandbox, the scripted session. The copied service's tests must pass afterwards, and the checkout
must be left exactly as it was."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentrun.cli.commands.demo import DEMO_PROMPT, script_path
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.workspace import bundled_sandbox

REPO = Path(__file__).resolve().parents[2]
SANDBOX = REPO / "sandbox"

# Always the real sandbox: the jail keeps the running Python and agentrun's code visible even
# when they live under /tmp (a CI clone there), where its private /tmp would otherwise hide them.
SANDBOX_FLAGS: list[str] = []


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def git_status() -> str:
    out = subprocess.run(
        [
            "git",
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--",
            "sandbox",
            "agents",
            "src/agentrun/demo",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTRUN_HOME": str(tmp_path / "home"), "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "agentrun", "demo", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture
def clean_checkout():
    """Fails the test if the demo wrote anything into the checkout."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    before = (git_status(), tree_hashes(SANDBOX))
    yield
    assert (git_status(), tree_hashes(SANDBOX)) == before


def test_demo_finishes_the_task_offline(tmp_path: Path, clean_checkout: None) -> None:
    workspace = tmp_path / "shop"
    proc = demo(tmp_path, "--workspace", str(workspace), *SANDBOX_FLAGS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for expected in (
        "agentrun demo",
        "Glob(**/*.py)",
        "Grep(def list_items)",
        "Read(shop/store.py)",
        "Write(shop/migrations/003_index_items_category.sql)",
        "Edit(shop/validation.py)",
        "Bash(python3 -m pytest -q)",
        "All 31 tests pass",
        f"The workspace is at {workspace}",
    ):
        assert expected in out, f"{expected!r} missing from:\n{out}"
    assert "error_during_execution" not in out + proc.stderr

    # The agent's work is really there, and the service's own suite passes on it.
    assert (workspace / "shop/migrations/003_index_items_category.sql").is_file()
    assert "def page_in" in (workspace / "shop/validation.py").read_text()
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tests.returncode == 0, tests.stdout
    assert "31 passed" in tests.stdout


def test_demo_json_output_and_temporary_workspace(tmp_path: Path, clean_checkout: None) -> None:
    proc = demo(tmp_path, "--output-format", "json", *SANDBOX_FLAGS)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["type"], result["subtype"], result["is_error"]) == ("result", "success", False)
    assert result["num_turns"] == len(ScriptedModel.load(script_path()).turns)
    assert result["permission_denials"] == []
    removed = [line for line in proc.stderr.splitlines() if "was removed" in line]
    assert len(removed) == 1, proc.stderr
    path = Path(removed[0].split("The workspace ")[1].split(" was removed")[0])
    assert path.name.startswith("agentrun-demo-")
    assert not path.exists()


def test_demo_refuses_a_workspace_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    proc = demo(tmp_path, "--workspace", str(tmp_path / "busy"))
    assert proc.returncode == 2
    assert "exists and is not an empty directory" in proc.stderr
    assert (tmp_path / "busy" / "file").read_text() == "x"


def test_print_prompt(tmp_path: Path) -> None:
    proc = demo(tmp_path, "--print-prompt")
    assert (proc.returncode, proc.stdout) == (0, DEMO_PROMPT + "\n")


def test_the_bundled_workspace_is_the_checkouts_sandbox() -> None:
    assert bundled_sandbox() == SANDBOX


def test_an_installed_package_uses_its_data_copy(tmp_path: Path) -> None:
    package = tmp_path / "lib" / "site-packages" / "agentrun"
    (package / "_data" / "sandbox" / "shop").mkdir(parents=True)
    assert bundled_sandbox(package) == package / "_data" / "sandbox"
    with pytest.raises(FileNotFoundError, match="the demo workspace is in neither"):
        bundled_sandbox(tmp_path / "elsewhere" / "src" / "agentrun")


def test_the_script_parses_and_ends_by_running_the_tests() -> None:
    model = ScriptedModel.load(script_path())
    last_call = model.turns[-2].tool_calls[-1]
    assert last_call == (
        "Bash",
        {"command": "python3 -m pytest -q", "description": "Run the test suite"},
    )
    assert model.turns[-1].expect[0].is_error is False
    assert "passed" in model.turns[-1].expect[0].contains
