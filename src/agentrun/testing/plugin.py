"""agentrun's pytest plugin (registered through the ``pytest11`` entry point).

What it gives every test session:

- ``agentrun_workspace``: a fresh empty directory for an agent to work in;
  ``agentrun_workspace_factory(source=None)`` makes more, optionally copied from a directory.
- ``agentrun_home``: a private ``AGENTRUN_HOME`` (sessions, settings) for the test.
- ``run_agent(prompt, model=..., **options)``: :func:`agentrun.testing.run_agent` in
  ``agentrun_workspace`` with ``agentrun_home``; returns the ``RunResult`` (every event in it).
- The real-request guard (:mod:`agentrun.testing.guard`): while a test of agentrun runs (one
  using these fixtures or in a module that imports agentrun), real Anthropic API requests fail
  with a 403 that says why, and the test that made one fails, unless it is marked
  ``@pytest.mark.agentrun_live`` or pytest runs with ``--agentrun-live``. ``-p no:agentrun``
  turns the plugin off.

Importing it must stay cheap and side-effect free: pytest loads it in every test session of every
project that has agentrun installed. So everything beyond ``os`` and ``pytest`` is imported
inside the fixtures, and the guard's local server starts with the first test that runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Unpack

import pytest

if TYPE_CHECKING:
    from agentrun.runner.api import RunResult
    from agentrun.runner.keywords import RunKeywords
    from agentrun.testing.guard import RefusingServer

_REFUSED_BEFORE = pytest.StashKey[tuple["RefusingServer", int]]()
"""On a guarded test's item: the guard's server and the refusals counted when the test began
(the server's and the in-process adapter's together)."""

LIVE_MARKER = "agentrun_live"
LIVE_OPTION = "--agentrun-live"

WorkspaceFactory = Callable[..., Path]


class RunAgent(Protocol):
    """The ``run_agent`` fixture: :func:`agentrun.testing.run_agent` in the test's workspace."""

    def __call__(
        self,
        prompt: str,
        *,
        project: str | os.PathLike[str] | None = None,
        isolate_home: bool = True,
        **options: Unpack[RunKeywords],
    ) -> RunResult: ...


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agentrun")
    group.addoption(
        LIVE_OPTION,
        action="store_true",
        default=False,
        help="allow real Anthropic API requests in every test (default: only in tests marked "
        f"@pytest.mark.{LIVE_MARKER})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{LIVE_MARKER}: allow real Anthropic API requests in this test"
    )


def live_allowed(request: pytest.FixtureRequest) -> bool:
    """Whether the running test opted in to real API requests."""
    return bool(request.config.getoption(LIVE_OPTION)) or (
        request.node.get_closest_marker(LIVE_MARKER) is not None
    )


@pytest.fixture(scope="session")
def _agentrun_refusing_server() -> Iterator[RefusingServer]:
    from agentrun.testing.guard import RefusingServer

    server = RefusingServer().start()
    try:
        yield server
    finally:
        server.stop()


def uses_agentrun(item: pytest.Item) -> bool:
    """Whether a test is about agentrun: it asks for one of the plugin's fixtures, or its module
    imported something of agentrun. Other projects that merely have agentrun installed keep
    their own ``ANTHROPIC_BASE_URL``: the plugin loads everywhere, the guard applies here only."""
    names = getattr(item, "fixturenames", ())
    if any(n == "run_agent" or n.startswith("agentrun_") for n in names):
        return True
    module = getattr(item, "module", None)
    for value in vars(module).values() if module is not None else ():
        owner = getattr(value, "__module__", None) or getattr(value, "__name__", None)
        if isinstance(owner, str) and owner.partition(".")[0] == "agentrun":
            return True
    # `import agentrun...` inside the test function itself
    code = getattr(getattr(item, "function", None), "__code__", None)
    return any(name.partition(".")[0] == "agentrun" for name in getattr(code, "co_names", ()))


@pytest.fixture(autouse=True)
def _agentrun_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    if live_allowed(request) or not uses_agentrun(request.node):
        yield
        return
    from agentrun.core.envscope import scoped_env
    from agentrun.testing.guard import ENV_VAR, guarding

    server: RefusingServer = request.getfixturevalue("_agentrun_refusing_server")
    request.node.stash[_REFUSED_BEFORE] = (server, _refused(server))
    # Set and restored by hand, not through monkeypatch: the test's own monkeypatch must be able
    # to point ANTHROPIC_BASE_URL at a fake server and have its undo land on our value.
    # The guard holds even if the test unsets those variables.
    with scoped_env({"ANTHROPIC_BASE_URL": server.url, ENV_VAR: "0"}), guarding():
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a guarded test that made a real API request, whatever became of the refusal."""
    guarded = item.stash.get(_REFUSED_BEFORE, None)
    try:
        yield
    except Exception as e:  # the test failed already: say why first
        if guarded is not None and _refused(guarded[0]) > guarded[1]:
            raise pytest.fail.Exception(_refused_message(*guarded), pytrace=False) from e
        raise
    if guarded is not None and _refused(guarded[0]) > guarded[1]:
        pytest.fail(_refused_message(*guarded), pytrace=False)


def _refused(server: RefusingServer) -> int:
    from agentrun.testing.guard import blocked_count

    return server.refused + blocked_count()


def _refused_message(server: RefusingServer, before: int) -> str:
    from agentrun.testing.guard import BLOCKED_MESSAGE

    made = _refused(server) - before
    return f"this test made {made} real Anthropic API request(s): {BLOCKED_MESSAGE}"


@pytest.fixture
def agentrun_workspace_factory(tmp_path_factory: pytest.TempPathFactory) -> WorkspaceFactory:
    """``make(source=None, *, name="workspace") -> Path``: a fresh directory, empty or holding
    a copy of ``source`` (caches such as ``__pycache__`` left out)."""
    from agentrun.runner.workspace import copy_workspace

    def make(source: str | os.PathLike[str] | None = None, *, name: str = "workspace") -> Path:
        path = tmp_path_factory.mktemp(name)
        if source is not None:
            copy_workspace(Path(source), path)
        return path

    return make


@pytest.fixture
def agentrun_workspace(agentrun_workspace_factory: WorkspaceFactory) -> Path:
    """A fresh, empty workspace directory."""
    return agentrun_workspace_factory()


@pytest.fixture
def agentrun_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A private ``AGENTRUN_HOME``, so runs never write sessions into the user's home."""
    home = tmp_path_factory.mktemp("agentrun-home")
    monkeypatch.setenv("AGENTRUN_HOME", str(home))
    return home


@pytest.fixture
def run_agent(agentrun_workspace: Path, agentrun_home: Path) -> RunAgent:
    """Run an agent in ``agentrun_workspace``: ``run_agent(prompt, model=..., **options)``."""
    from agentrun.testing.runner import run_agent as run

    def run_in_workspace(
        prompt: str,
        *,
        project: str | os.PathLike[str] | None = None,
        isolate_home: bool = True,
        **options: Unpack[RunKeywords],
    ) -> RunResult:
        options.setdefault("cwd", agentrun_workspace)
        # isolate_home: no ~/.claude/agents of whoever runs the tests (the same suite, the
        # same agents).
        return run(prompt, project=project, isolate_home=isolate_home, **options)

    return run_in_workspace
