"""What a test can queue on the fake Messages API: a reply (a Messages-shaped dict, a
``ModelResponse``), an HTTP error (:class:`Fail`) or a cut stream (:class:`Drop`), and the
check that names the accepted shapes when a queued reply is none of them."""

from __future__ import annotations

from dataclasses import dataclass

from agentrun.core.types import JSON, ModelResponse


@dataclass(frozen=True)
class Fail:
    """Answer the next request with an HTTP error (the SDK retries 408/409/429/5xx)."""

    status: int
    message: str = "injected failure"
    retry_after: float | None = None
    """Seconds, sent as ``retry-after`` (the SDK honours it; keep it small in tests)."""


@dataclass(frozen=True)
class Drop:
    """Start streaming the next request's answer, then cut the connection after ``after`` events.

    With ``error_type`` (e.g. ``"overloaded_error"``) the stream is not cut: it ends with an SSE
    ``error`` event of that type, as the real API does when it fails mid-answer.
    """

    after: int = 3
    text: str = "This answer never arrives in full"
    error_type: str | None = None
    error_message: str = "Overloaded"


Reply = JSON | ModelResponse | Fail | Drop


REPLY_SHAPES = (
    'a Messages-shaped dict such as {"content": [{"type": "text", "text": "Hello"}], '
    '"stop_reason": "end_turn"} (optional "usage", "id"), an agentrun ModelResponse, '
    "Fail(status, message) or Drop(after)"
)
_REPLY_KEYS = {"content", "stop_reason", "usage", "id", "model", "role", "type", "stop_sequence"}


def check_reply(reply: object, number: int) -> None:
    """Raise TypeError now, naming the accepted shapes, for a reply the server could not send
    (found at request time, it would only be an HTTP 400 deep inside the code under test)."""
    if isinstance(reply, ModelResponse | Fail | Drop):
        return
    problem = None
    if not isinstance(reply, dict):
        problem = f"is {type(reply).__name__} {reply!r:.60}"
    elif not isinstance(reply.get("content"), list):
        problem = f'{reply!r:.80} has no "content" list'
    elif unknown := sorted(set(reply) - _REPLY_KEYS):
        problem = f"has unknown keys {unknown}"
    elif not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in reply["content"]):
        problem = 'has a "content" item that is not a block with a "type"'
    elif not isinstance(reply.get("stop_reason", ""), str | None):
        problem = '"stop_reason" is not a string'
    elif not isinstance(reply.get("usage", {}), dict):
        problem = '"usage" is not a dict'
    if problem is not None:
        raise TypeError(f"FakeAnthropicServer reply {number} {problem}; a reply is {REPLY_SHAPES}")
