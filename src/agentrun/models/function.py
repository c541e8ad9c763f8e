"""A model backed by a Python function: tests that react to what the tools returned.

The function receives the whole :class:`ModelRequest` (system, messages, tools) and returns the
next answer as any of:

- a :class:`ModelResponse`, used as is;
- a ``str``: one text block, ``end_turn``;
- a ``dict`` in Messages shape (``{"content": [...], "stop_reason": ...}``), or in the scripted
  turn shape (``{"text": ..., "tool_calls": [{"name": ..., "input": {...}}], "usage": {...}}``).

tool_use ids are generated deterministically when a returned block has none. The function gets
its own copy of the request (each message copied once, then reused), so whatever it does to it
never changes the session's conversation.
An answer of another type, or a dict that cannot be read (a tool call without a ``name``), is a
:class:`ModelError`: the run ends with ``error_during_execution`` naming the problem.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ModelError
from agentrun.core.pricing import ALIASES, DEFAULT_ALIAS
from agentrun.core.types import ContentBlock, Message, ModelRequest, ModelResponse, Usage
from agentrun.models.scriptturn import STOP_REASONS, ScriptTurn, turn_response

if TYPE_CHECKING:
    from agentrun.core.protocols import TextSink

ModelFunction = Callable[[ModelRequest], "ModelResponse | str | dict[str, Any]"]


@dataclass
class FunctionModel:
    """Answers each request with ``fn(request)``; ``calls`` counts the requests answered."""

    fn: ModelFunction
    model: str = field(default_factory=lambda: ALIASES[DEFAULT_ALIAS])
    calls: int = 0
    # The messages last seen and the function's copies of them. The loop only appends to the
    # conversation (a merge replaces the last message), so each message is copied once: a deep
    # copy of the whole history every turn made turn 1,000 of a session 16x slower than turn 10.
    _seen: list[Message] = field(default_factory=list, init=False, repr=False)
    _copies: list[Message] = field(default_factory=list, init=False, repr=False)

    @property
    def model_id(self) -> str:
        return self.model

    def complete(self, request: ModelRequest, *, on_text: TextSink | None = None) -> ModelResponse:
        self.calls += 1
        answer = self.fn(self._private_copy(request))
        try:
            response = _to_response(answer, number=self.calls, model=self.model)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ModelError(
                f"FunctionModel: answer {self.calls} cannot be read ({type(e).__name__}: {e}): "
                f"{answer!r:.300}"
            ) from e
        text = response.text()
        if text and on_text is not None:
            on_text(text)
        return response

    def for_agent(self, name: str, model: str | None = None, call_id: str = "") -> FunctionModel:
        """A model of its own for subagent ``name`` (same function, answering as ``model``):
        concurrent subagents must not share one's copies of the conversation."""
        return FunctionModel(self.fn, model or self.model)

    def _private_copy(self, request: ModelRequest) -> ModelRequest:
        new = request.messages
        shared = min(len(self._seen), len(new))
        while shared and new[shared - 1] is not self._seen[shared - 1]:
            shared -= 1  # a merged or different message: copy from there on
        self._seen = [*self._seen[:shared], *new[shared:]]
        self._copies = [*self._copies[:shared], *(copy.deepcopy(m) for m in new[shared:])]
        return dataclasses.replace(
            request,
            messages=list(self._copies),
            tools=list(request.tools),
            extra=copy.deepcopy(request.extra),
        )


def _to_response(answer: object, *, number: int, model: str) -> ModelResponse:
    if isinstance(answer, ModelResponse):
        return answer
    if isinstance(answer, str):
        return turn_response(ScriptTurn(text=answer), turn_number=number, model=model)
    if isinstance(answer, dict):
        stop = answer.get("stop_reason")
        if stop is not None and stop not in STOP_REASONS:
            raise ValueError(f"stop_reason {stop!r} is not one of {list(STOP_REASONS)}")
        if "content" in answer:
            return _from_message(answer, number=number, model=model)
        calls = tuple(
            (str(c["name"]), dict(c.get("input") or {})) for c in answer.get("tool_calls") or ()
        )
        turn = ScriptTurn(
            text=str(answer.get("text") or ""),
            tool_calls=calls,
            usage=Usage.from_dict(answer.get("usage")),
            stop_reason=answer.get("stop_reason"),
        )
        return turn_response(turn, turn_number=number, model=model)
    raise ModelError(
        f"FunctionModel: the function returned {type(answer).__name__}; "
        "expected a ModelResponse, a str or a dict"
    )


def _from_message(answer: dict[str, Any], *, number: int, model: str) -> ModelResponse:
    content: list[ContentBlock] = []
    for i, block in enumerate(answer["content"], 1):
        block = dict(block)
        if block.get("type") == "tool_use" and not block.get("id"):
            block["id"] = f"toolu_fn_{number:03d}_{i:02d}"
        content.append(block)
    has_tools = any(b.get("type") == "tool_use" for b in content)
    return ModelResponse(
        content=content,
        stop_reason=str(answer.get("stop_reason") or ("tool_use" if has_tools else "end_turn")),
        usage=Usage.from_dict(answer.get("usage")),
        model=str(answer.get("model") or model),
        id=str(answer.get("id") or f"msg_fn_{number:03d}"),
    )
