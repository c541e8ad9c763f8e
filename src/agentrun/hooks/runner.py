"""Running one hook: a command (``bash -c``, the envelope on stdin) or an HTTP POST of the
envelope. Hooks run as the user, outside the jail, in the project directory, like Claude
Code's; each in its own process group, killed whole when its timeout passes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentrun.hooks.config import HookCommand

__all__ = ["HookRun", "run_hook"]

_MAX_OUTPUT = 1 << 20  # what is kept of a hook's stdout/stderr


@dataclass(frozen=True)
class HookRun:
    """What one hook did. ``exit_code`` None: it gave no answer (timeout, could not start)."""

    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    error: str = ""
    """Why there is no answer, for the user."""
    duration_ms: float = 0.0


def run_hook(hook: HookCommand, envelope: bytes, *, cwd: Path) -> HookRun:
    started = time.monotonic()
    if hook.type == "callback":
        run = _callback(hook, envelope)
    elif hook.type == "http":
        run = _post(hook, envelope)
    else:
        run = _command(hook, envelope, cwd)
    return HookRun(
        run.exit_code,
        run.stdout[:_MAX_OUTPUT],
        run.stderr[:_MAX_OUTPUT],
        run.timed_out,
        run.error,
        (time.monotonic() - started) * 1000,
    )


def _callback(hook: HookCommand, envelope: bytes) -> HookRun:
    """A function's answer, read like a command hook's JSON stdout (exit code 0)."""
    assert hook.callback is not None
    try:
        answer = hook.callback(json.loads(envelope))
        return HookRun(0, stdout=json.dumps(answer, ensure_ascii=False))
    except TimeoutError:
        return HookRun(None, timed_out=True, error=f"timed out after {hook.timeout_s:g} s")
    except Exception as e:  # the user's function failing is the hook failing, not the run
        return HookRun(None, error=f"the hook raised {type(e).__name__}: {e}")


def _shell() -> str:
    return shutil.which("bash") or "/bin/sh"


def _command(hook: HookCommand, envelope: bytes, cwd: Path) -> HookRun:
    env = dict(os.environ)
    env["CLAUDE_PROJECT_DIR"] = env["AGENTRUN_PROJECT_DIR"] = str(cwd)
    try:
        proc = subprocess.Popen(
            [_shell(), "-c", hook.command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,  # its own process group: a timeout kills its children too
        )
    except OSError as e:
        return HookRun(None, error=f"could not start the hook: {e.strerror or e}")
    try:
        out, err = proc.communicate(envelope, timeout=hook.timeout_s)
    except subprocess.TimeoutExpired:
        exited = proc.poll()
        _kill_group(proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            out, err = proc.communicate(timeout=5)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        proc.wait()
        if exited is not None:
            # It answered, but something it left running held its output open.
            return HookRun(exited, _text(out), _text(err))
        return HookRun(
            None,
            stderr=_text(err),
            timed_out=True,
            error=f"timed out after {hook.timeout_s:g} s (killed with its process group)",
        )
    except BrokenPipeError:  # it exited without reading stdin: its answer still counts
        out, err = proc.communicate()
    return HookRun(proc.returncode, _text(out), _text(err))


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


def _post(hook: HookCommand, envelope: bytes) -> HookRun:
    """``type: http``: the envelope is POSTed; a 2xx answer's body is read like stdout with
    exit code 0; any other status is a non-blocking error (its body as stderr)."""
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", **dict(hook.headers)}
    request = urllib.request.Request(hook.url, data=envelope, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=hook.timeout_s) as response:
            body = response.read(_MAX_OUTPUT).decode("utf-8", errors="replace")
            return HookRun(0, body)
    except urllib.error.HTTPError as e:
        body = e.read(_MAX_OUTPUT).decode("utf-8", errors="replace")
        return HookRun(1, stderr=body or f"HTTP {e.code}", error=f"HTTP {e.code}")
    except TimeoutError:
        return HookRun(None, timed_out=True, error=f"timed out after {hook.timeout_s:g} s")
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        return HookRun(None, error=f"HTTP request failed: {reason}")
