"""``scoped_env``: the batch runner's per-task variables and the test guard's server address are
set for a stretch of code and put back after it, also when that code raises."""

from __future__ import annotations

import os

import pytest

from agentrun.core.envscope import scoped_env


def test_variables_are_set_inside_and_put_back_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVSCOPE_OLD", "before")
    monkeypatch.delenv("ENVSCOPE_NEW", raising=False)
    with pytest.raises(RuntimeError), scoped_env({"ENVSCOPE_OLD": "in", "ENVSCOPE_NEW": "in"}):
        assert os.environ["ENVSCOPE_OLD"] == os.environ["ENVSCOPE_NEW"] == "in"
        raise RuntimeError("the body fails")
    assert os.environ["ENVSCOPE_OLD"] == "before"
    assert "ENVSCOPE_NEW" not in os.environ
