"""A fake Anthropic Messages API on 127.0.0.1, for testing through the real ``anthropic`` SDK.

``FakeAnthropicServer`` is a real threaded HTTP server. Point the SDK at it with
``ANTHROPIC_BASE_URL=server.url`` (or ``Anthropic(base_url=server.url)``) and it answers
``POST /v1/messages`` — streaming (SSE: ``message_start``, ``content_block_start`` /
``content_block_delta`` (``text_delta``, ``input_json_delta``, ``thinking_delta``,
``signature_delta``) / ``content_block_stop``, ``message_delta``, ``message_stop``) or plain JSON —
from, in order of precedence:

1. a queue of replies (``server.add(...)`` or the constructor): a Messages-shaped dict
   (``{"content": [...], "stop_reason": "end_turn"}``), a :class:`ModelResponse`, a
   :class:`Fail` (an HTTP error, e.g. 529 or 429 with ``retry-after``) or a :class:`Drop` (the
   connection is cut mid-stream, or the stream ends with an ``error`` event);
2. a ``model`` (any agentrun Model, e.g. a ``ScriptedModel``) asked with the decoded request.

Usage is computed like the real API, so prompt caching can be measured: a request is a sequence
of segments (each tool, each system block, each message content block, in that order) costing
``ceil(len(json)/4)`` tokens each. Tokens up to the longest prefix that ended at a
``cache_control`` breakpoint in an earlier request are cache reads; tokens from there to this
request's last breakpoint are cache writes (and those prefixes are remembered); the rest is plain
input. (No minimum cacheable length and no TTL: the fake never forgets.)

Requests are checked like the real API checks them, and a broken one gets the same 400
``invalid_request_error`` (``validate=False`` turns this off): the first message is a user message;
no message but a final assistant one is empty; every ``tool_use`` is answered by a ``tool_result``
in the next message and every ``tool_result`` answers one of the previous message's ``tool_use``
ids; at most four ``cache_control`` breakpoints.

Server-side compaction (``context_management.edits`` holding ``compact_20260112``, which needs
the ``compact-2026-01-12`` beta header, like the real API): content before the last
``compaction`` block a request sends back is ignored (for usage and for the serving model), and
when the rest passes the edit's ``trigger`` the answer starts with a new ``compaction`` block
(streamed as ``compaction_delta``) whose summary the serving model writes when it answers the
runtime's summary request (a scripted model's ``summary``), else a fixed line.

Every request is logged in ``server.requests`` (path, headers, decoded body) for assertions::

    with FakeAnthropicServer([{"content": [{"type": "text", "text": "hi"}]}]) as server:
        client = anthropic.Anthropic(base_url=server.url, api_key="test")
        client.messages.create(model="claude-sonnet-5-5", max_tokens=10, messages=[...])
        assert server.requests[0].body["model"] == "claude-sonnet-5-5"
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from agentrun.core.types import JSON, ModelRequest, ModelResponse, ToolSpec, block_text
from agentrun.testing.fakereplies import REPLY_SHAPES, Drop, Fail, Reply, check_reply
from agentrun.testing.fakerules import (
    COMPACT_BETA,
    COMPACT_EDIT,
    after_compaction,
    compact_edit,
    compute_usage,
    request_problem,
    segments,
    tokens,
)
from agentrun.testing.fakestream import sse_events

if TYPE_CHECKING:
    from agentrun.core.protocols import Model

__all__ = [
    "REPLY_SHAPES",
    "Drop",
    "Fail",
    "FakeAnthropicServer",
    "FakeRequest",
    "check_reply",
    "compute_usage",
    "request_problem",
    "sse_events",
]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class FakeRequest:
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: JSON


@dataclass
class _State:
    replies: deque[Reply]
    model: Model | None
    requests: list[FakeRequest] = field(default_factory=list)
    cached: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0
    validate: bool = True


class FakeAnthropicServer:
    """A Messages API stand-in on ``127.0.0.1`` (see the module docstring). A context manager."""

    def __init__(
        self, replies: Iterable[Reply] = (), *, model: Model | None = None, validate: bool = True
    ) -> None:
        replies = list(replies) if not isinstance(replies, str | bytes | dict) else [replies]
        for number, reply in enumerate(replies, 1):
            check_reply(reply, number)
        self._state = _State(replies=deque(replies), model=model, validate=validate)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running (use it as a context manager)")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[FakeRequest]:
        return self._state.requests

    def add(self, *replies: Reply) -> None:
        for number, reply in enumerate(replies, len(self._state.replies) + 1):
            check_reply(reply, number)
        with self._state.lock:
            self._state.replies.extend(replies)

    def start(self) -> FakeAnthropicServer:
        state = self._state

        class Handler(_Handler):
            pass

        Handler.state = state
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeAnthropicServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Each SSE event is written and flushed on its own, like the real API streams them; with
    # Nagle on, the second small write waited for the client's delayed ACK (~40 ms on loopback)
    # in every streamed response, a stall of this server's making that every client paid.
    disable_nagle_algorithm = True
    state: _State

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._error(400, "the body is not JSON")
        state = self.state
        routed = self.path.startswith("/v1/messages")
        problem = request_problem(body) if routed and state.validate else None
        with state.lock:
            state.requests.append(
                FakeRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            # A rejected request leaves the queued replies for the requests that follow.
            reply = state.replies.popleft() if state.replies and routed and not problem else None
            state.counter += 1
            number = state.counter
        if not routed:
            return self._error(404, f"no route {self.path}")
        if problem is not None:
            return self._error(400, problem)
        if isinstance(reply, Fail):
            return self._error(reply.status, reply.message, reply.retry_after)
        if isinstance(reply, Drop):
            return self._drop(body, reply)
        edit = compact_edit(body)
        if edit is not None and COMPACT_BETA not in self.headers.get("anthropic-beta", ""):
            return self._error(400, f"context_management: {COMPACT_EDIT} needs the beta header")
        body = after_compaction(body)
        try:
            summary = self._compaction(body, edit)
            message = self._answer(body, reply, number)
        except Exception as e:  # the serving model's own failure, e.g. a script mismatch
            # A 400 is not retried: the client sees this message at once, instead of a dropped
            # connection retried three times and reported as "connection failed".
            return self._error(400, f"the fake server's model failed: {type(e).__name__}: {e}")
        if message is None:
            return self._error(500, "the fake server has no reply queued for this request")
        with state.lock:
            message["usage"].update(compute_usage(body, state.cached))
        if summary is not None:
            message["content"].insert(0, {"type": "compaction", "content": summary})
        if body.get("stream"):
            self._stream(message)
        else:
            self._send(200, json.dumps(message).encode(), "application/json")

    def _answer(self, body: JSON, reply: Reply | None, number: int) -> JSON | None:
        if reply is None and self.state.model is not None:
            request = ModelRequest(
                model=str(body.get("model", "")),
                system=_system_text(body.get("system")),
                messages=body.get("messages") or [],
                tools=[
                    ToolSpec(t["name"], t.get("description", ""), t["input_schema"])
                    for t in body.get("tools") or []
                ],
                max_tokens=int(body.get("max_tokens") or 0),
            )
            reply = self.state.model.complete(request)
        if reply is None:
            return None
        if isinstance(reply, ModelResponse):
            reply = {"content": reply.content, "stop_reason": reply.stop_reason}
        assert isinstance(reply, dict)
        content = [_strip_cache(b) for b in reply.get("content", [])]
        output = reply.get("usage", {}).get("output_tokens") or max(1, tokens(content))
        return {
            "id": reply.get("id") or f"msg_fake_{number:04d}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", ""),
            "content": content,
            "stop_reason": reply.get("stop_reason")
            or ("tool_use" if any(b.get("type") == "tool_use" for b in content) else "end_turn"),
            "stop_sequence": None,
            "usage": {"output_tokens": output},
        }

    def _compaction(self, body: JSON, edit: JSON | None) -> str | None:
        """The summary of a compaction this request triggers, or None."""
        if edit is None:
            return None
        trigger = (edit.get("trigger") or {}).get("value") or 150_000
        with self.state.lock:
            size = sum(tokens(segment) for segment, _ in segments(body))
        if size <= int(trigger):
            return None
        messages = body.get("messages") or []
        if self.state.model is not None:
            from agentrun.models.catalog import SUMMARY_PROMPT

            ask = [
                *messages,
                {"role": "user", "content": [{"type": "text", "text": SUMMARY_PROMPT}]},
            ]
            request = ModelRequest(
                str(body.get("model", "")), _system_text(body.get("system")), ask
            )
            return self.state.model.complete(request).text()
        return f"Summary of {len(messages)} messages ({size} tokens)."

    def _error(self, status: int, message: str, retry_after: float | None = None) -> None:
        payload = {
            "type": "error",
            "error": {"type": _ERROR_TYPES.get(status, "api_error"), "message": message},
        }
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(
        self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_fake")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", "req_fake")
        self.end_headers()

    def _event(self, event: JSON) -> None:
        data = f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, message: JSON) -> None:
        self._start_stream()
        for event in sse_events(message):
            self._event(event)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop(self, body: JSON, drop: Drop) -> None:
        message = {
            "id": "msg_dropped",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", ""),
            "content": [{"type": "text", "text": drop.text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
        self._start_stream()
        for event in sse_events(message)[: drop.after]:
            self._event(event)
        if drop.error_type is not None:
            self._event(
                {
                    "type": "error",
                    "error": {"type": drop.error_type, "message": drop.error_message},
                }
            )
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        # Cut the socket without the terminating chunk: the client sees an incomplete body.
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


def _strip_cache(block: JSON) -> JSON:
    return {k: v for k, v in block.items() if k != "cache_control"}


def _system_text(system: Any) -> str:
    return block_text(system) if isinstance(system, list) else str(system or "")
