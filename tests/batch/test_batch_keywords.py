"""``agentrun.batch(...)`` takes ``run_batch``'s keywords, typed: one list, checked here."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from typing import Any

import pytest

import agentrun
from agentrun.batch.engine import run_batch
from agentrun.batch.keywords import BatchKeywords


def _annotation(value: Any) -> str:
    return value.__forward_arg__ if isinstance(value, typing.ForwardRef) else str(value)


def test_batch_keywords_are_run_batch_keywords_with_the_same_types() -> None:
    params = inspect.signature(run_batch).parameters.values()
    keywords = {p.name: str(p.annotation) for p in params if p.kind is p.KEYWORD_ONLY}
    typed = {name: _annotation(t) for name, t in BatchKeywords.__annotations__.items()}
    assert typed == keywords


def test_a_misspelt_batch_option_is_refused(tmp_path: Path) -> None:
    tasks = [{"id": "a", "prompt": "p", "repo": str(tmp_path)}]
    with pytest.raises(TypeError, match="worker"):
        agentrun.batch(tasks, worker=2)  # type: ignore[call-arg]
