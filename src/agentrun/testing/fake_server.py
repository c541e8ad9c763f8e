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

import hashlib
import json
import math
import socket
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from agentrun.core.types import JSON, ModelRequest, ModelResponse, ToolSpec

if TYPE_CHECKING:
    from agentrun.core.protocols import Model

__all__ = ["Drop", "Fail", "FakeAnthropicServer", "FakeRequest"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


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


@dataclass(frozen=True)
class FakeRequest:
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: JSON


Reply = JSON | ModelResponse | Fail | Drop


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


def request_problem(body: JSON) -> str | None:
    """What the real Messages API would reject in ``body`` (its wording), or None."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if messages[0].get("role") != "user":
        return "messages: the first message must use the user role"
    marks = json.dumps(body).count('"cache_control"')
    if marks > 4:
        return f"A maximum of 4 blocks with cache_control may be provided. Found {marks}."
    for i, message in enumerate(messages):
        content = message.get("content")
        if not content and not (i == len(messages) - 1 and message.get("role") == "assistant"):
            return (
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        if message.get("role") == "user":
            offered = _ids(messages[i - 1], "tool_use", "id") if i else []
            strays = [r for r in _ids(message, "tool_result", "tool_use_id") if r not in offered]
            if strays:
                return (
                    f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {strays[0]}. Each `tool_result` block must have a corresponding "
                    "`tool_use` block in the previous message."
                )
        elif i + 1 < len(messages):
            answered = _ids(messages[i + 1], "tool_result", "tool_use_id")
            missing = [a for a in _ids(message, "tool_use", "id") if a not in answered]
            if missing:
                return (
                    f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(missing)}. Each `tool_use` block must have "
                    "a corresponding `tool_result` block in the next message."
                )
    return None


def _ids(message: JSON, block_type: str, key: str) -> list[str]:
    content = message.get("content")
    blocks = content if isinstance(content, list) else []
    return [str(b.get(key)) for b in blocks if isinstance(b, dict) and b.get("type") == block_type]


def _tokens(value: object) -> int:
    return math.ceil(len(json.dumps(value, sort_keys=True)) / 4)


def _segments(body: JSON) -> list[tuple[JSON, bool]]:
    """(segment without its cache_control, has a breakpoint) in cache-prefix order."""
    out: list[tuple[JSON, bool]] = []

    def add(block: Any) -> None:
        if isinstance(block, dict):
            marked = "cache_control" in block
            out.append(({k: v for k, v in block.items() if k != "cache_control"}, marked))
        else:
            out.append(({"text": block}, False))

    for tool in body.get("tools") or []:
        add(tool)
    system = body.get("system")
    for block in [system] if isinstance(system, str) else system or []:
        add(block)
    for message in body.get("messages") or []:
        content = message.get("content")
        for block in [content] if isinstance(content, str) else content:
            add({"role": message.get("role"), **block} if isinstance(block, dict) else block)
    return out


def compute_usage(body: JSON, cached: set[str]) -> dict[str, int]:
    """Input usage of a request as the API reports it; remembers this request's breakpoints."""
    digest = hashlib.sha256()
    prefixes: list[tuple[str, int, bool]] = []  # (hash, tokens so far, breakpoint here)
    total = 0
    for segment, marked in _segments(body):
        digest.update(json.dumps(segment, sort_keys=True).encode())
        total += _tokens(segment)
        prefixes.append((digest.copy().hexdigest(), total, marked))
    marks = [i for i, (_, _, marked) in enumerate(prefixes) if marked]
    last_mark = marks[-1] if marks else -1
    read = max(
        (t for i, (h, t, _) in enumerate(prefixes) if i <= last_mark and h in cached), default=0
    )
    written = prefixes[last_mark][1] - read if marks else 0
    for i in marks:
        cached.add(prefixes[i][0])
    return {
        "input_tokens": total - read - max(written, 0),
        "cache_creation_input_tokens": max(written, 0),
        "cache_read_input_tokens": read,
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
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
        output = reply.get("usage", {}).get("output_tokens") or max(1, _tokens(content))
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
            size = sum(_tokens(segment) for segment, _ in _segments(body))
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


COMPACT_EDIT = "compact_20260112"
COMPACT_BETA = "compact-2026-01-12"


def compact_edit(body: JSON) -> JSON | None:
    """The request's ``compact_20260112`` edit, if it asks for server-side compaction."""
    edits = (body.get("context_management") or {}).get("edits") or []
    return next((e for e in edits if isinstance(e, dict) and e.get("type") == COMPACT_EDIT), None)


def after_compaction(body: JSON) -> JSON:
    """``body`` as the API reads it: everything before the last ``compaction`` block is dropped
    and the block stands in for it (as the opening user text)."""
    messages = body.get("messages") or []
    for i in range(len(messages) - 1, -1, -1):
        content = messages[i].get("content")
        blocks = content if isinstance(content, list) else []
        at = [j for j, b in enumerate(blocks) if b.get("type") == "compaction"]
        if not at:
            continue
        summary = blocks[at[-1]].get("content") or ""
        rest = blocks[at[-1] + 1 :]
        head: JSON = {"role": "user", "content": [{"type": "text", "text": summary}]}
        tail = [{"role": messages[i]["role"], "content": rest}] if rest else []
        return {**body, "messages": [head, *tail, *messages[i + 1 :]]}
    return body


def _strip_cache(block: JSON) -> JSON:
    return {k: v for k, v in block.items() if k != "cache_control"}


def _system_text(system: Any) -> str:
    if isinstance(system, list):
        return "".join(b.get("text", "") for b in system)
    return str(system or "")


def _chunks(text: str, size: int = 24) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def sse_events(message: JSON) -> list[JSON]:
    """The server-sent events that stream ``message``, as the real API orders them."""
    start = dict(message, content=[], stop_reason=None)
    start["usage"] = dict(message["usage"], output_tokens=1)
    events: list[JSON] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(message["content"]):
        kind = block.get("type")
        deltas: list[JSON] = []
        first: JSON
        if kind == "text":
            first = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": c} for c in _chunks(block["text"])]
        elif kind == "tool_use":
            first = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            deltas = [
                {"type": "input_json_delta", "partial_json": c}
                for c in _chunks(json.dumps(block["input"]))
            ]
        elif kind == "compaction":
            first = {"type": "compaction", "content": None}
            deltas = [{"type": "compaction_delta", "content": block.get("content")}]
        elif kind == "thinking":
            first = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": c} for c in _chunks(block["thinking"])]
            deltas.append({"type": "signature_delta", "signature": block.get("signature", "")})
        else:  # redacted_thinking and anything else arrive whole
            first = block
        events.append({"type": "content_block_start", "index": index, "content_block": first})
        events.extend({"type": "content_block_delta", "index": index, "delta": d} for d in deltas)
        events.append({"type": "content_block_stop", "index": index})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        }
    )
    events.append({"type": "message_stop"})
    return events
