"""agentrun's exception tree.

Every error agentrun raises on purpose derives from :class:`AgentrunError`::

    AgentrunError
    ├── ConfigError              bad flag, setting or input file; before any model call (exit 2)
    │   ├── AgentFileError       a malformed agent file (carries .path and .line)
    │   ├── ScriptFormatError    a malformed scripted-model file (carries .path and .line)
    │   └── MissingApiKeyError   no ANTHROPIC_API_KEY for a real model
    ├── ModelError               the model call failed after retries (exit 1; carries .status)
    │   └── ScriptMismatchError  a scripted model's expectation failed or its script ran out
    ├── SandboxUnavailableError  a layer the sandbox mode needs is missing (carries .layer)
    └── SessionError             a transcript cannot be found or read

Tool failures are *not* exceptions: they are ``ToolResult(is_error=True)`` values the model reads.
Expected stops (end_turn, max turns, budget, refusal) are a ``stop_reason``, not exceptions.
"""

from __future__ import annotations

from pathlib import Path


class AgentrunError(Exception):
    """Root of every error agentrun raises on purpose."""


class ConfigError(AgentrunError):
    """Invalid configuration or input, found before any model call (CLI exit code 2)."""


class _LocatedError(ConfigError):
    """A configuration error inside a file; the message starts with ``path:line:``."""

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(f"{where}{message}")


class AgentFileError(_LocatedError):
    """A malformed agent file; the message names the file and the line."""


class ScriptFormatError(_LocatedError):
    """A malformed scripted-model file; the message names the file and the line."""


class MissingApiKeyError(ConfigError):
    """A real model was asked for but no API key is configured."""


class ModelError(AgentrunError):
    """The model call failed for good (after the SDK's retries)."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class ScriptMismatchError(ModelError):
    """A scripted model's expectation failed, or the run asked past the script's last turn."""

    def __init__(self, message: str, *, turn: int | None = None):
        super().__init__(message)
        self.turn = turn


class SandboxUnavailableError(AgentrunError):
    """The sandbox mode needs a layer this machine does not provide; nothing ran."""

    def __init__(self, message: str, *, layer: str):
        super().__init__(message)
        self.layer = layer


class SessionError(AgentrunError):
    """A session transcript cannot be found or read."""
