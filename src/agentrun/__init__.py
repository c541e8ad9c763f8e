"""agentrun: run Claude Code-style agent files against the Anthropic Messages API from Python.

Public names are imported lazily (PEP 562), so ``import agentrun`` stays cheap and has no side
effects; ``anthropic`` itself is only imported when a real API call is about to happen.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agentrun.core.lazy import lazy_names

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


_lookup = lazy_names(__name__, _EXPORTS, globals())


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    return _lookup(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    # ``X as X``: re-exported for a strict checker, which cannot read the computed ``__all__``;
    # ``agentrun.batch`` is the function here, so its typed keywords are checked at the call.
    from agentrun.agentfile.agentfile import AgentSpec as AgentSpec
    from agentrun.agentfile.agentfile import find_agents as find_agents
    from agentrun.agentfile.agentfile import load_agent as load_agent
    from agentrun.batch import batch as batch
    from agentrun.core.errors import AgentFileError as AgentFileError
    from agentrun.core.errors import AgentrunError as AgentrunError
    from agentrun.core.errors import ConfigError as ConfigError
    from agentrun.core.errors import ModelError as ModelError
    from agentrun.core.errors import SandboxUnavailableError as SandboxUnavailableError
    from agentrun.core.types import ModelRequest as ModelRequest
    from agentrun.core.types import ModelResponse as ModelResponse
    from agentrun.core.types import ToolResult as ToolResult
    from agentrun.core.types import Usage as Usage
    from agentrun.runner.api import AgentSession as AgentSession
    from agentrun.runner.api import RunResult as RunResult
    from agentrun.runner.api import run as run
