"""``run_agent``: one agent run as a test wants it, and what it did, call by call."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

if TYPE_CHECKING:
    from agentrun.core.types import ToolCall, ToolResult
    from agentrun.runner.api import RunResult
    from agentrun.runner.keywords import RunKeywords


NO_MODEL = (
    "run_agent() needs model=...: a ScriptedModel or FunctionModel "
    "(from agentrun.testing), 'script:PATH' (a scripted YAML/JSON file), 'replay:PATH' (a "
    "recording), or a real model such as 'sonnet' in a test marked @pytest.mark.agentrun_live"
)


@dataclass(frozen=True)
class ToolOutcome:
    """One tool call of a run and the result the model got back."""

    call: ToolCall
    result: ToolResult
    duration_ms: float

    @property
    def name(self) -> str:
        return self.call.name

    @property
    def text(self) -> str:
        return self.result.text()

    @property
    def is_error(self) -> bool:
        return self.result.is_error


def run_agent(
    prompt: str,
    *,
    project: str | os.PathLike[str] | None = None,
    isolate_home: bool = False,
    **options: Unpack[RunKeywords],
) -> RunResult:
    """Run ``agent`` on ``prompt`` in ``cwd`` with ``model`` (a Model, or a SPEC such as
    ``script:PATH`` or ``replay:PATH``); returns the ``RunResult``, every event included.

    ``agent`` is found from ``project`` (default: the current directory, where pytest runs),
    not from the workspace, which is a temporary directory: a relative path is taken from
    there, a name in the workspace's own ``.claude/agents``, then the project's;
    ``isolate_home`` (the pytest fixture sets it) leaves the tester's home agents out.

    Defaults suited to tests: ``bypassPermissions`` (nobody is there to approve, and the
    sandbox still confines every tool to the workspace) and ``strict`` (a tool that raises
    fails the test instead of becoming a polite error result). A Ctrl-C during the run is
    raised again (as ``KeyboardInterrupt``) so that it stops the test session. The keywords
    are :class:`~agentrun.runner.runtime.RunOptions` fields.
    """
    from agentrun.core.vocab import DEFAULT_AGENT, INTERRUPTED_STOP
    from agentrun.runner import api
    from agentrun.runner.keywords import build_options

    if options.get("model") is None:  # no silent default: a test must say which model answers
        raise TypeError(NO_MODEL)
    options.setdefault("permission_mode", "bypassPermissions")
    options.setdefault("strict", True)
    cwd = Path(options.get("cwd", "."))
    options["cwd"] = os.fspath(cwd)
    options["agent"] = _find_agent(
        options.get("agent", DEFAULT_AGENT), Path(project or Path.cwd()), cwd, isolate_home
    )
    with _watching_sigint() as interrupted:
        result = api.run(prompt, build_options(None, options))
    if interrupted and result.stop_reason == INTERRUPTED_STOP:
        raise KeyboardInterrupt  # the user's Ctrl-C, not a model raising it on purpose
    return result


@contextlib.contextmanager
def _watching_sigint() -> Iterator[list[int]]:
    """A list that gets an entry when a real SIGINT arrives meanwhile (the usual handler still
    runs). Only the main thread can watch; elsewhere the list stays empty."""
    seen: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return
    from agentrun.core.signals import handling

    previous = signal.getsignal(signal.SIGINT)

    def note(signum: int, frame: Any) -> None:
        seen.append(signum)
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    with handling([signal.SIGINT], note):
        yield seen


def _find_agent(agent: Any, project: Path, workspace: Path, isolate: bool) -> Any:
    """``agent`` for a test run. A path: from the project, else the workspace. A name: the
    workspace's own ``.claude/agents`` first (a test may copy an agent in with the code, and
    the nearer file wins, as in Claude Code), then the project's, then the built-in ones;
    ``isolate`` leaves every home directory out (the tester's own agents)."""
    from agentrun.agentfile.agentfile import discover_agents, looks_like_path, resolve_agent
    from agentrun.core.errors import ConfigError

    if not isinstance(agent, str):
        return agent  # an AgentSpec already
    if looks_like_path(agent):
        try:
            return resolve_agent(agent, project)
        except ConfigError as first:
            try:
                return resolve_agent(agent, workspace)
            except ConfigError:
                raise first from None
    # home=the directory itself: its own .claude/agents is then the only one read besides the
    # built-in agents (see agentfile._search_dirs).
    local, _ = discover_agents(workspace, home=workspace if isolate else None)
    spec = local.get(agent)
    if spec is not None and spec.path is not None and spec.path.is_relative_to(workspace):
        return spec
    return resolve_agent(agent, project, home=project if isolate else None)


def tool_outcomes(result: RunResult) -> list[ToolOutcome]:
    """Every tool call of the run with its result, in the order the model made the calls
    (read-only tools of one turn run concurrently and may finish in any order)."""
    return [
        ToolOutcome(call=e.call, result=e.result, duration_ms=e.duration_ms)
        for e in result.tool_ends
    ]
