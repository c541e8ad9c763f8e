"""agentrun: run Claude Code-style agent files against the Anthropic Messages API from Python.

Public names are imported lazily (PEP 562), so ``import agentrun`` stays cheap and has no side
effects; ``anthropic`` itself is only imported when a real API call is about to happen.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AgentSpec": "agentrun.agentfile.agentfile",
    "load_agent": "agentrun.agentfile.agentfile",
    "find_agents": "agentrun.agentfile.agentfile",
    "AgentrunError": "agentrun.core.errors",
    "ConfigError": "agentrun.core.errors",
    "AgentFileError": "agentrun.core.errors",
    "ModelError": "agentrun.core.errors",
    "SandboxUnavailableError": "agentrun.core.errors",
    "ToolResult": "agentrun.core.types",
    "Usage": "agentrun.core.types",
    "ModelRequest": "agentrun.core.types",
    "ModelResponse": "agentrun.core.types",
    "run": "agentrun.runner.api",
    "RunResult": "agentrun.runner.api",
    "AgentSession": "agentrun.runner.api",
}
# ``agentrun.batch(...)``: the package ``agentrun.batch`` is itself callable (see its __init__),
# since importing any of its modules makes the package the attribute ``agentrun.batch``.
_MODULES = {"batch": "agentrun.batch"}

__all__ = ["__version__", *sorted([*_EXPORTS, *_MODULES])]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentrun' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec, find_agents, load_agent
    from agentrun.core.errors import (
        AgentFileError,
        AgentrunError,
        ConfigError,
        ModelError,
        SandboxUnavailableError,
    )
    from agentrun.core.types import ModelRequest, ModelResponse, ToolResult, Usage
    from agentrun.runner.api import AgentSession, RunResult, run
