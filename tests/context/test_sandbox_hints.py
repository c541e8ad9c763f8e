"""A Bash command or a write the sandbox refuses comes back saying what to do instead; the Bash
tool's description carries the session's sandbox lines (model-facing text: snapshots)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from contextkit import run_worker, tool_results

from agentrun.models.function import FunctionModel
from agentrun.tools.sandbox_hints import (
    GIT_READ_ONLY,
    NO_NETWORK,
    NOTHING_WRITABLE,
    READ_ONLY,
    sandbox_hints,
)
from wskit import new_ws

HINTS = {
    GIT_READ_ONLY: "Sandbox: .git is read-only in this session, so git commit, add, stash, init, "
    "fetch and branch changes fail. Leave the changes in the working tree and tell the user "
    "what to commit.",
    READ_ONLY: "Sandbox: commands may write only under the workspace and /tmp. Write there "
    "instead, or tell the user what to change elsewhere.",
    NOTHING_WRITABLE: "Sandbox: read-only mode, nothing can be written. Describe the change for "
    "the user instead.",
    NO_NETWORK: "Sandbox: no network. Installs, downloads and git fetch/pull/push cannot work: "
    "use what is installed (e.g. python -m pytest), or tell the user what to install or fetch.",
}


def test_snapshots() -> None:
    for text, expected in HINTS.items():
        assert text == expected


@pytest.mark.parametrize(
    ("output", "mode", "no_network", "expected"),
    [
        (
            "fatal: Unable to create '/w/.git/index.lock': Read-only file system",
            "workspace-write",
            True,
            [GIT_READ_ONLY],
        ),
        (
            "touch: cannot touch '/usr/x': Read-only file system",
            "workspace-write",
            True,
            [READ_ONLY],
        ),
        ("touch: cannot touch 'x': Read-only file system", "read-only", True, [NOTHING_WRITABLE]),
        ("curl: (6) Could not resolve host: example.com", "workspace-write", True, [NO_NETWORK]),
        ("curl: (6) Could not resolve host: example.com", "workspace-write", False, []),
        ("ERROR: No matching distribution found for foo", "read-only", True, [NO_NETWORK]),
        ("touch: cannot touch '/usr/x': Read-only file system", "danger-full-access", True, []),
        ("3 passed in 0.1s", "workspace-write", True, []),
    ],
    ids=["git", "outside", "read-only-mode", "dns", "network-allowed", "pip", "unconfined", "ok"],
)
def test_which_hint(output: str, mode: str, no_network: bool, expected: list[str]) -> None:
    assert sandbox_hints(output, mode=mode, no_network=no_network) == expected


AGENT = """---
name: worker
description: Runs commands.
tools: Bash, Write
---
You run commands.
"""


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    root = new_ws(tmp_path, {"worker.md": AGENT})
    git = ["git", "-C", str(root), "-c", "user.email=a@b", "-c", "user.name=n"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "worker.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    return root


def test_refusals_in_the_jail_say_what_to_do_instead(ws: Path) -> None:
    calls = [
        ("Bash", {"command": "echo change >> worker.md && git commit -qam change"}),
        # (`touch /usr/x` is refused by the gate before it runs: a write the text cannot name)
        ("Bash", {"command": "python3 -c \"open('/usr/agentrun-probe', 'w')\""}),
        (
            "Bash",
            {"command": "python3 -c \"import socket; socket.getaddrinfo('example.com', 443)\""},
        ),
        ("Write", {"file_path": "/etc/agentrun-probe", "content": "x"}),
        ("Bash", {"command": "echo fine"}),
    ]
    seen: list[dict[str, Any]] = []
    tools: list[str] = []

    def answer(request: Any) -> dict[str, Any]:
        if not tools:
            tools.append(next(t.description for t in request.tools if t.name == "Bash"))
        if tool_results(request):
            seen.extend(tool_results(request))
            return {"text": "done"}
        return {"tool_calls": [{"name": n, "input": i} for n, i in calls]}

    result = run_worker(ws, model=FunctionModel(answer))
    assert result.subtype == "success", result.result
    texts = [str(b["content"]) for b in seen]
    git, outside, network, write, fine = texts
    assert git.endswith(GIT_READ_ONLY) and seen[0].get("is_error"), git
    assert outside.endswith(READ_ONLY), outside
    assert network.endswith(NO_NETWORK), network
    assert write.endswith("write inside them instead, or tell the user what to change there"), write
    assert fine == "fine"
    # The description the model had before its first call already said so.
    description = tools[0]
    assert "\n\nThis session's sandbox:\n- Sandbox: workspace-write. Files can" in description
    assert f"under {ws.resolve()} and /tmp" in description
    assert "- Network: none." in description and "git commit, add, init" in description
    assert "Output past 30,000 characters is saved whole to a file" in description


def test_a_command_that_succeeds_gets_no_hint(ws: Path) -> None:
    calls = [
        ("Bash", {"command": "python3 -c \"open('/usr/agentrun-probe', 'w')\" 2>&1; echo went on"})
    ]
    seen: list[dict[str, Any]] = []

    def answer(request: Any) -> dict[str, Any]:
        if tool_results(request):
            seen.extend(tool_results(request))
            return {"text": "done"}
        return {"tool_calls": [{"name": n, "input": i} for n, i in calls]}

    run_worker(ws, model=FunctionModel(answer))
    text = str(seen[0]["content"])
    assert "Read-only file system" in text and text.endswith("went on"), text
