"""The Bash tool: Claude Code's name and input schema, run through the session's BashSession."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from agentrun.core.types import JSON, ToolResult
from agentrun.tools.specs import BASH_DESCRIPTION, BASH_SCHEMA, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS

if TYPE_CHECKING:
    from agentrun.tools.base import ToolContext


class BashTool:
    """Runs shell commands through the session's :class:`agentrun.tools.shell.BashSession`."""

    name = "Bash"
    description = BASH_DESCRIPTION
    input_schema = BASH_SCHEMA
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
