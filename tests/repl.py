"""The REPL in a real pseudo-terminal (pexpect), with a scripted model: what the interactive
tests share (tests/cli, tests/hooks, tests/context, tests/mcp_servers)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pexpect

PROMPT = "❯"


def repl_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment with no Anthropic settings, ``home`` as HOME and state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env.update(HOME=str(home), AGENTRUN_HOME=str(home / ".agentrun"), TERM="xterm-256color")
    env.update(extra)
    return env


def start_repl(
    ws: Path,
    script: Mapping[str, Any],
    *args: str,
    home: Path | None = None,
    width: int = 110,
    timeout: float = 30,
    env: Mapping[str, str] | None = None,
    wait: bool = True,
) -> pexpect.spawn:
    """``agentrun --cwd WS --model script:...`` with ``script`` written beside ``ws``; ``home``
    defaults to ``ws.parent / "home"``. ``wait``: return at the first prompt."""
    path = ws.parent / "script.json"
    path.write_text(json.dumps(dict(script)))
    child = spawn_agentrun(
        ws, "--model", f"script:{path}", *args, home=home, width=width, timeout=timeout, env=env
    )
    if wait:
        child.expect("Ctrl-D exits")
        child.expect(PROMPT)
    return child


def spawn_agentrun(
    ws: Path,
    *args: str,
    home: Path | None = None,
    width: int = 110,
    timeout: float = 30,
    env: Mapping[str, str] | None = None,
) -> pexpect.spawn:
    """``agentrun --cwd WS ARGS...`` in a pseudo-terminal, with :func:`repl_env` (``home``
    defaults to ``ws.parent / "home"``) plus ``env``."""
    return pexpect.spawn(
        sys.executable,
        ["-m", "agentrun", "--cwd", str(ws), *args],
        env=repl_env(home or ws.parent / "home", **(env or {})),
        encoding="utf-8",
        dimensions=(40, width),
        timeout=timeout,
    )


def finish(child: pexpect.spawn) -> int:
    """Leave with /exit; the exit status."""
    child.sendline("/exit")
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus)
