"""A session builds its tools' machinery at the first call that needs it, and still tells the
truth about the sandbox from its first event."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import expected_layers

_RUN = """
import json, sys
from agentrun.runner import api
from agentrun.core.events import InitEvent, ToolEndEvent
ws, script, mode = sys.argv[1:4]
events = []
result = api.run("hi", cwd=ws, model=f"script:{script}", sandbox=mode,
                 permission_mode="bypassPermissions", on_event=events.append)
inits = [e for e in events if isinstance(e, InitEvent)]
print(json.dumps({
    "tool_results": [str(e.result.content) for e in events if isinstance(e, ToolEndEvent)],
    "result": result.result,
    "is_error": result.is_error,
    "enforced": list(inits[0].sandbox_enforced),
    "modules": sorted(m for m in sys.modules if m.startswith("agentrun.")),
}))
"""

# What a run that never calls a tool must not import (or, for the jail, start).
_HEAVY = [
    "agentrun.jail.jail",
    "agentrun.jail.leftovers",
    "agentrun.jail.limits",
    "agentrun.jail.paths",
    "agentrun.jail.openat2",
    "agentrun.tools.shell",
    "agentrun.tools.read",
    "agentrun.tools.bash",
    "agentrun.tools.rg",
    "agentrun.tools.validate",
]


def _run(tmp_path: Path, turns: str, mode: str = "workspace-write") -> dict:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    script = tmp_path / "script.yaml"
    script.write_text(turns)
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, str(ws), str(script), mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.parametrize("mode", ["workspace-write", "read-only", "danger-full-access"])
def test_a_run_without_tool_calls_builds_no_tool_machinery(tmp_path: Path, mode: str) -> None:
    out = _run(tmp_path, 'turns:\n  - text: "hello"\n', mode)
    assert out["result"] == "hello" and not out["is_error"]
    assert [m for m in _HEAVY if m in out["modules"]] == []
    # The init event still names the layers Bash will run under in this mode.
    assert set(out["enforced"]) == expected_layers(mode)  # type: ignore[arg-type]


def test_the_first_bash_call_starts_the_jail_that_was_announced(tmp_path: Path) -> None:
    turns = (
        "turns:\n"
        "  - tool_calls:\n"
        "      - name: Bash\n"
        "        input: {command: 'touch made && grep -E \"NoNewPrivs|Seccomp:\" /proc/self/status'}\n"  # noqa: E501
        '  - text: "done"\n'
    )
    out = _run(tmp_path, turns)
    assert out["result"] == "done" and not out["is_error"]
    assert "agentrun.jail.jail" in out["modules"] and "agentrun.tools.shell" in out["modules"]
    assert set(out["enforced"]) == expected_layers("workspace-write")
    assert (tmp_path / "ws" / "made").exists()
    [status] = out["tool_results"]
    assert "NoNewPrivs:\t1" in status and "Seccomp:\t2" in status  # confined, as announced


def test_the_first_file_tool_call_starts_the_jail_and_reads_through_it(tmp_path: Path) -> None:
    # A file beside the workspace under /tmp: the runtime can read it, but the jail's /tmp is
    # private, so Read (like `cat`) does not find it — proof the read happened in the jail.
    beside = tmp_path / "beside.txt"
    beside.write_text("seen from the host only\n")
    turns = (
        "turns:\n"
        "  - tool_calls:\n"
        f"      - {{name: Read, input: {{file_path: '{beside}'}}}}\n"
        "      - {name: Write, input: {file_path: made.txt, content: hi}}\n"
        '  - text: "done"\n'
    )
    out = _run(tmp_path, turns.replace("'", '"'))
    assert out["result"] == "done" and not out["is_error"]
    assert "agentrun.jail.jail" in out["modules"] and "agentrun.tools.shell" not in out["modules"]
    assert set(out["enforced"]) == expected_layers("workspace-write")
    read, write = out["tool_results"]
    assert read.startswith("File does not exist") and "seen from" not in read
    assert write.startswith("Created") and (tmp_path / "ws" / "made.txt").read_text() == "hi"
