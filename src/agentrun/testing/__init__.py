"""What to import in your own tests: deterministic models, a fake Messages API, record/replay,
and helpers to run an agent and look at what it did.

- :class:`ScriptedModel` plays a script of turns (the format is in
  :mod:`agentrun.models.scripted`); :class:`FunctionModel`
  answers each request with a Python function (:func:`last_tool_results` reads the request's
  newest tool results).
- :class:`FakeAnthropicServer` is a real HTTP server on 127.0.0.1 speaking the Messages API
  (with SSE streaming), for tests that go through the ``anthropic`` SDK; :class:`Fail` and
  :class:`Drop` make it answer with an HTTP error or cut a stream.
- :class:`RecordingModel` / :class:`ReplayModel`: record a run's model traffic, replay it offline.
- :func:`run_agent` runs an agent and returns the ``RunResult``; :func:`tool_outcomes` lists
  every tool call in it with its result.
- :mod:`agentrun.testing.storesuite`: the conformance suite a session store of your own
  (``RunOptions.session_store``) must pass.
- The pytest plugin (:mod:`agentrun.testing.plugin`, loaded automatically) adds the fixtures
  ``agentrun_workspace``, ``agentrun_workspace_factory``, ``agentrun_home`` and ``run_agent``,
  and keeps tests off the real API unless they are marked ``@pytest.mark.agentrun_live``.

Names are imported on first use, so importing this package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.core.lazy import lazy_names

_EXPORTS: dict[str, str] = {
    "ScriptedModel": "agentrun.models.scripted",
    "last_tool_results": "agentrun.models.scripted",
    "FunctionModel": "agentrun.models.function",
    "RecordingModel": "agentrun.models.recording",
    "ReplayModel": "agentrun.models.replay",
    "FakeAnthropicServer": "agentrun.testing.fake_server",
    "Fail": "agentrun.testing.fake_server",
    "Drop": "agentrun.testing.fake_server",
    "run_agent": "agentrun.testing.runner",
    "tool_outcomes": "agentrun.testing.runner",
    "ToolOutcome": "agentrun.testing.runner",
    "copy_workspace": "agentrun.runner.workspace",
    "bundled_sandbox": "agentrun.runner.workspace",
    "real_requests_allowed": "agentrun.testing.guard",
}

__all__ = [
    "Drop",
    "Fail",
    "FakeAnthropicServer",
    "FunctionModel",
    "RecordingModel",
    "ReplayModel",
    "ScriptedModel",
    "ToolOutcome",
    "bundled_sandbox",
    "copy_workspace",
    "last_tool_results",
    "real_requests_allowed",
    "run_agent",
    "tool_outcomes",
]


_lookup = lazy_names(__name__, _EXPORTS, globals())


def __getattr__(name: str) -> Any:
    return _lookup(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from agentrun.models.function import FunctionModel
    from agentrun.models.recording import RecordingModel
    from agentrun.models.replay import ReplayModel
    from agentrun.models.scripted import ScriptedModel, last_tool_results
    from agentrun.runner.workspace import bundled_sandbox, copy_workspace
    from agentrun.testing.fake_server import Drop, Fail, FakeAnthropicServer
    from agentrun.testing.guard import real_requests_allowed
    from agentrun.testing.runner import ToolOutcome, run_agent, tool_outcomes
