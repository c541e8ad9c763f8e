"""The Claude Agent SDK's exception classes, raised where they mean something on agentrun.

    ClaudeSDKError
    ├── CLIConnectionError    the client is not connected, or the session could not be built
    │   └── CLINotFoundError  kept for ``except`` clauses; agentrun runs no CLI, never raised
    ├── ProcessError          the run failed before any result (exit_code 1, stderr the reason)
    ├── CLIJSONDecodeError    kept for ``except`` clauses; no JSON stream to decode, never raised
    └── UnsupportedOptionError  an option agentrun cannot honour was set (``option`` names it)

A configuration error (bad agent, unknown model, unknown session) is a CLIConnectionError whose
``__cause__`` is agentrun's :class:`~agentrun.core.errors.ConfigError`.
"""

from __future__ import annotations

__all__ = [
    "CLIConnectionError",
    "CLIJSONDecodeError",
    "CLINotFoundError",
    "ClaudeSDKError",
    "ProcessError",
    "ResultError",
    "UnsupportedOptionError",
]


class ClaudeSDKError(Exception):
    """Base of every error this package raises."""


class CLIConnectionError(ClaudeSDKError):
    """The session could not be built, or the client is used while not connected."""


class CLINotFoundError(CLIConnectionError):
    def __init__(self, message: str = "Claude Code not found", cli_path: str | None = None):
        super().__init__(f"{message}: {cli_path}" if cli_path else message)


class ProcessError(ClaudeSDKError):
    def __init__(self, message: str, exit_code: int | None = None, stderr: str | None = None):
        self.exit_code = exit_code
        self.stderr = stderr
        if exit_code is not None:
            message = f"{message} (exit code: {exit_code})"
        if stderr:
            message = f"{message}\nError output: {stderr}"
        super().__init__(message)


class CLIJSONDecodeError(ClaudeSDKError):
    def __init__(self, line: str, original_error: Exception):
        self.line = line
        self.original_error = original_error
        super().__init__(f"Failed to decode JSON: {line[:100]}...")


class UnsupportedOptionError(ClaudeSDKError, ValueError):
    """``ClaudeAgentOptions.<option>`` was set to something agentrun cannot do."""

    def __init__(self, option: str, why: str):
        self.option = option
        super().__init__(f"ClaudeAgentOptions.{option}: {why}")


class ResultError(ProcessError):
    """A run that ended in an error result; kept for ``except`` clauses (agentrun reports
    that as the final ``ResultMessage`` with ``is_error`` and never raises this)."""

    def __init__(
        self,
        message: str,
        subtype: str = "error_during_execution",
        errors: list[str] | None = None,
        exit_code: int | None = 1,
    ):
        self.subtype = subtype
        self.errors = errors or []
        super().__init__(message, exit_code=exit_code)
