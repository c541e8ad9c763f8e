"""The Bash tool: Claude Code's name and input schema, run through the session's BashSession."""

from __future__ import annotations

import json
import math
from typing import Any

from agentrun.tools.base import ToolContext
from agentrun.tools.output import MAX_OUTPUT_CHARS
from agentrun.tools.shell import DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS
from agentrun.types import JSON, ToolResult

DESCRIPTION = f"""\
Runs a bash command and returns its output (stdout and stderr together, in the order written).

- Each call starts a fresh shell, but the working directory carries over: a `cd` sticks for \
later calls, as long as it stays inside the workspace (otherwise it is reset to the workspace \
root). Exported variables and shell functions do not carry over.
- `timeout` is in milliseconds: default {DEFAULT_TIMEOUT_MS:,} (2 minutes), at most \
{MAX_TIMEOUT_MS:,} (10 minutes). A command still running then is killed with every process it \
started.
- Output longer than {MAX_OUTPUT_CHARS:,} characters is cut in the middle (its beginning and \
end are kept); pipe long output through `head`, `tail` or `grep`.
- A non-zero exit makes the result an error that starts with the exit code.
- Commands read no input (stdin is empty): never start anything interactive; pass flags like \
`-y` or `--no-edit` instead.
- For a server, a watcher or a long build, set `run_in_background: true`: the call returns at \
once with a job id and a log file holding the job's output; read it later with Read or with \
`tail`/`cat` in Bash. A process started with `&` in an ordinary call is killed when that call \
ends; background jobs are killed when the session ends.
- To read, search, find or change files, prefer the Read, Grep, Glob, Edit and Write tools \
over `cat`, `grep`, `find`, `sed` or `echo >`.
- Quote paths that contain spaces. Chain dependent commands with `&&`.
"""

INPUT_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "command": {"type": "string", "description": "The bash command to run."},
        "timeout": {
            "type": "number",
            "description": f"Optional timeout in milliseconds (at most {MAX_TIMEOUT_MS}).",
        },
        "description": {
            "type": "string",
            "description": "A short description, in 5-10 words, of what the command does.",
        },
        "run_in_background": {
            "type": "boolean",
            "description": "Set to true to start the command in the background and return "
            "at once; its output goes to a log file you can read later.",
        },
    },
    "required": ["command"],
    "additionalProperties": False,
}


class BashTool:
    """Runs shell commands through the session's :class:`agentrun.tools.shell.BashSession`."""

    name = "Bash"
    description = DESCRIPTION
    input_schema = INPUT_SCHEMA
    read_only = False

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        shell = ctx.shell
        if shell is None:
            return ToolResult("Bash is not available in this session.", is_error=True)
        command = input.get("command")
        if not isinstance(command, str) or not command.strip():
            return ToolResult("`command` must be a non-empty string.", is_error=True)
        background = input.get("run_in_background", False)
        if not isinstance(background, bool):
            return ToolResult("`run_in_background` must be true or false.", is_error=True)
        if background:
            return shell.start_background(command)
        timeout = _timeout_ms(input.get("timeout"))
        if isinstance(timeout, ToolResult):
            return timeout
        return shell.run(command, timeout_ms=timeout, cancel=ctx.cancel)


def _show(value: Any) -> str:
    """A value as the model wrote it (JSON), not as Python prints it."""
    return json.dumps(value, default=str)


def _timeout_ms(value: Any) -> int | ToolResult:
    """The timeout in ms: default when absent, clamped to the maximum, an error when nonsense."""
    if value is None:
        return DEFAULT_TIMEOUT_MS
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return ToolResult(
            f"`timeout` must be a number of milliseconds, got {_show(value)}.", is_error=True
        )
    if value <= 0:
        return ToolResult(
            f"`timeout` must be a positive number of milliseconds (at most {MAX_TIMEOUT_MS}), "
            f"got {_show(value)}.",
            is_error=True,
        )
    return max(1, min(math.ceil(value), MAX_TIMEOUT_MS))
