"""What a session hands on to a subagent's gate is typed as ``Gate.load``'s own keywords."""

from __future__ import annotations

import inspect
import re
import typing
from typing import Any

from agentrun.permissions.gate import Gate
from agentrun.permissions.keywords import GateKeywords


def _annotation(value: Any) -> str:
    text = value.__forward_arg__ if isinstance(value, typing.ForwardRef) else str(value)
    return re.sub(r"^NotRequired\[(.*)\]$", r"\1", text)


def test_gate_keywords_are_gate_load_keywords_with_the_same_types() -> None:
    params = inspect.signature(Gate.load).parameters
    typed = {name: _annotation(t) for name, t in GateKeywords.__annotations__.items()}
    assert typed == {name: str(params[name].annotation) for name in typed if name in params}
    no_default = {n for n, p in params.items() if p.default is p.empty} - {"cls", "mode"}
    assert no_default <= set(typed)  # ``cwd``: a session always says where it works
