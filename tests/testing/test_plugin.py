"""The pytest plugin, exercised the way users meet it: in a separate pytest run (``pytester``)
that loads it through the ``pytest11`` entry point."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from agentrun.testing.guard import BLOCKED_MESSAGE, ENV_VAR

pytest_plugins = ("pytester",)


def test_entry_point_registers_the_plugin() -> None:
    from importlib.metadata import entry_points

    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "agentrun"]
    assert plugin.value == "agentrun.testing.plugin"


def test_public_names_resolve() -> None:
    import agentrun.testing

    assert sorted(agentrun.testing.__all__) == sorted(agentrun.testing._EXPORTS)
    for name in agentrun.testing.__all__:
        assert getattr(agentrun.testing, name).__name__ == name


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, agentrun.testing.plugin, agentrun.testing; "
        "print(*(m in sys.modules for m in ('anthropic', 'yaml', 'rich', 'http.server')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False", "False"]


def test_workspace_fixtures(pytester: pytest.Pytester) -> None:
    source = pytester.mkdir("project")
    (source / "app.py").write_text("print('hi')\n")
    (source / "pkg").mkdir()
    (source / "pkg" / "mod.py").write_text("X = 1\n")
    (source / "pkg" / "__pycache__").mkdir()
    (source / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    pytester.makepyfile(
        f"""
        import os
        from pathlib import Path

        SOURCE = Path({str(source)!r})

        def test_empty(agentrun_workspace):
            assert agentrun_workspace.is_dir()
            assert list(agentrun_workspace.iterdir()) == []

        def test_copied(agentrun_workspace_factory, agentrun_workspace):
            copy = agentrun_workspace_factory(SOURCE)
            assert copy != agentrun_workspace
            files = sorted(str(p.relative_to(copy)) for p in copy.rglob("*"))
            assert files == ["app.py", "pkg", "pkg/mod.py"]
            (copy / "app.py").write_text("changed")
            assert (SOURCE / "app.py").read_text() == "print('hi')\\n"

        def test_home(agentrun_home):
            assert os.environ["AGENTRUN_HOME"] == str(agentrun_home)
            assert agentrun_home.is_dir()
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


GUARDED_SDK_CALL = """
    import anthropic
    import pytest

    import agentrun  # a test module of an agentrun user: the guard applies to its tests

    def call():
        client = anthropic.Anthropic(api_key="sk-ant-test-not-a-real-key", max_retries=0)
        return client.messages.create(
            model="claude-sonnet-5-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
"""


def both_refused(result: pytest.RunResult, first: str, second: str) -> None:
    """The report shows tests ``first`` then ``second`` failed, each for one real request."""
    refused = f"this test made 1 real Anthropic API request(s): {BLOCKED_MESSAGE}"
    result.stdout.fnmatch_lines([f"*_ {first} _*", refused, f"*_ {second} _*", refused])


def test_guard_refuses_real_requests_with_a_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        GUARDED_SDK_CALL
        + f"""
    def test_the_request_is_refused_and_the_test_fails_even_so():
        with pytest.raises(anthropic.PermissionDeniedError) as info:
            call()
        assert {BLOCKED_MESSAGE!r} in str(info.value)

    def test_an_unhandled_refusal_says_why_first():
        call()

    def test_flag_says_blocked():
        from agentrun.testing import real_requests_allowed
        assert not real_requests_allowed()
    """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    both_refused(
        result,
        "test_the_request_is_refused_and_the_test_fails_even_so",
        "test_an_unhandled_refusal_says_why_first",
    )


def test_an_agent_run_that_reaches_for_the_api_fails_its_test(pytester: pytest.Pytester) -> None:
    """agentrun's own Anthropic adapter, in process and in an ``agentrun -p`` subprocess: the
    run ends in an error naming the guard, and the test fails although it asserts nothing."""
    pytester.makepyfile(
        f"""
        import subprocess, sys
        from agentrun.testing import run_agent

        def test_in_process(monkeypatch, agentrun_workspace, agentrun_home):
            monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
            monkeypatch.setenv("AGENTRUN_MAX_RETRIES", "0")
            result = run_agent("hello", model="sonnet", cwd=agentrun_workspace)
            assert (result.subtype, result.is_error) == ("error_during_execution", True)
            assert {BLOCKED_MESSAGE!r} in result.result

        def test_in_a_subprocess(monkeypatch, agentrun_workspace, agentrun_home):
            monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
            monkeypatch.setenv("AGENTRUN_MAX_RETRIES", "0")
            argv = [sys.executable, "-m", "agentrun", "-p", "hi", "--cwd", str(agentrun_workspace)]
            done = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL)
            assert done.returncode == 1
        """
    )
    # In a subprocess: an in-process run would import agentrun's modules anew, and pytester's
    # sys.modules snapshot would leave this session holding two copies of their classes.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    both_refused(result, "test_in_process", "test_in_a_subprocess")


def test_unsetting_the_environment_does_not_sidestep_the_guard(pytester: pytest.Pytester) -> None:
    """A test that unsets ANTHROPIC_BASE_URL (and the guard's variable) and catches the error:
    the adapter refuses in process all the same, and the test fails."""
    pytester.makepyfile(
        """
        from agentrun.testing import run_agent

        def test_sidestep(monkeypatch, agentrun_workspace, agentrun_home):
            monkeypatch.delenv("ANTHROPIC_BASE_URL")
            monkeypatch.delenv("AGENTRUN_REAL_REQUESTS")
            monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
            monkeypatch.setenv("AGENTRUN_MAX_RETRIES", "0")
            result = run_agent("hello", model="haiku", cwd=agentrun_workspace)
            assert result.subtype == "error_during_execution"
            assert "api.anthropic.com" in result.result

        def test_base_url_in_code(agentrun_home):
            from agentrun.core.errors import ModelError
            from agentrun.models.anthropic import AnthropicModel
            from agentrun.core.types import ModelRequest

            model = AnthropicModel("m", api_key="k", base_url="https://api.example.com")
            try:
                model.complete(ModelRequest(model="m", system="", messages=[]))
            except ModelError:
                pass  # swallowed: the test must fail even so
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    both_refused(result, "test_sidestep", "test_base_url_in_code")


def test_guard_gives_way_to_a_fake_server_set_by_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        GUARDED_SDK_CALL
        + """
    from agentrun.testing import FakeAnthropicServer

    def test_through_the_real_sdk(monkeypatch):
        reply = {"content": [{"type": "text", "text": "hello"}], "stop_reason": "end_turn"}
        with FakeAnthropicServer([reply]) as server:
            monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
            assert call().content[0].text == "hello"
    """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


OPT_IN = """
    import os
    import pytest
    from agentrun.testing import real_requests_allowed

    ORIGINAL = {original!r}

    def guarded():
        return os.environ.get("ANTHROPIC_BASE_URL"), real_requests_allowed()

    @pytest.mark.agentrun_live
    def test_marked():
        assert guarded() == (ORIGINAL, True)

    def test_unmarked():
        url, allowed = guarded()
        assert url != ORIGINAL and url.startswith("http://127.0.0.1:")
        assert not allowed
"""


@pytest.mark.parametrize(
    ("flags", "outcomes"),
    [((), {"passed": 2}), (("--agentrun-live",), {"passed": 1, "failed": 1})],
    ids=["marker-only", "flag-opts-in-every-test"],
)
def test_opting_in(
    pytester: pytest.Pytester, flags: tuple[str, ...], outcomes: dict[str, int]
) -> None:
    original = "https://proxy.example.invalid"
    pytester.makepyfile(OPT_IN.format(original=original))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANTHROPIC_BASE_URL", original)
        mp.delenv(ENV_VAR, raising=False)
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *flags)
    result.assert_outcomes(**outcomes)
    if flags:  # with the flag the unmarked test is not guarded either: its check fails
        result.stdout.fnmatch_lines(["*test_unmarked*"])


def test_guard_restores_the_environment_after_each_test(pytester: pytest.Pytester) -> None:
    outer = {k: os.environ.get(k) for k in ("ANTHROPIC_BASE_URL", ENV_VAR)}
    pytester.makepyfile(
        f"""
        import os

        import agentrun

        def test_inside():
            assert os.environ["{ENV_VAR}"] == "0"
            assert os.environ["ANTHROPIC_BASE_URL"] != {outer["ANTHROPIC_BASE_URL"]!r}
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert {k: os.environ.get(k) for k in outer} == outer


def test_the_guard_leaves_other_projects_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installing agentrun must not change another project's tests: only tests of agentrun
    (its fixtures, or a module importing it) get the guard's ANTHROPIC_BASE_URL."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://gateway.example")
    pytester.makepyfile(
        test_other="""
        import os

        def test_unrelated():
            assert os.environ["ANTHROPIC_BASE_URL"] == "https://gateway.example"
        """,
        test_ours="""
        import os
        from agentrun.testing import run_agent

        def test_by_import():
            assert os.environ["ANTHROPIC_BASE_URL"].startswith("http://127.0.0.1:")
        """,
        test_fixture="""
        import os

        def test_by_fixture(agentrun_workspace):
            assert os.environ["ANTHROPIC_BASE_URL"].startswith("http://127.0.0.1:")
        """,
        test_lazy="""
        import os

        def test_by_an_import_inside():
            from agentrun.testing import run_agent
            assert os.environ["ANTHROPIC_BASE_URL"].startswith("http://127.0.0.1:")
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
