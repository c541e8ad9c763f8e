"""The Anthropic Messages API adapter: the only module that imports ``anthropic``.

The SDK is imported inside :meth:`AnthropicModel.complete` (it costs over a second), so building
the model, ``--help`` and scripted runs never pay for it. Requests stream (``messages.stream``)
so long answers never hit the non-streaming time limit, and text deltas reach ``on_text`` live.

Prompt caching: up to four ``cache_control`` breakpoints — the last tool, the system prompt, the
last block of the newest message and of the user message before it — so each request reads the
whole previous conversation from the cache and only the newest turn is written.

Retries: the SDK retries 408/409/429/5xx/529 and connection errors when it opens the stream
(``max_retries``, default 2, honouring ``retry-after``); what it raises after that is final and
is never retried again here (that would square the count). Failures the SDK cannot retry, because
the response had started, are retried by this adapter within the same count: a stream cut
mid-answer, and an ``error`` event sent mid-stream (``overloaded_error`` and the like, which the
API sends on a 200 response). A final failure is a :class:`ModelError` carrying the HTTP status
(for an ``error`` event, the status its error type stands for).

What a request carries besides the conversation (``max_tokens``, adaptive thinking, effort,
context edits, server-side compaction and their beta headers) comes from the model table,
:func:`agentrun.models.catalog.request_options`: a model without a feature is not sent it.
Thinking deltas reach ``on_thinking`` live, for the REPL's folded thinking line.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import importlib
import logging
import os
import random
import threading
import time
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ModelError
from agentrun.core.types import JSON, ContentBlock, Message, ModelRequest, ModelResponse, Usage
from agentrun.models.catalog import RequestOptions, request_options

if TYPE_CHECKING:
    from agentrun.core.protocols import TextSink

log = logging.getLogger(__name__)

RETRY_BASE_S = 0.5
"""The wait before retrying a stream that broke, doubled each time (at most 8 s)."""

EPHEMERAL: JSON = {"type": "ephemeral"}
_UNCACHEABLE = ("thinking", "redacted_thinking")


def _refuse_real_api_under_test_guard(base_url: str) -> None:
    """Inside a test run guarded by agentrun's pytest plugin, refuse a client that would reach
    a non-local host. The plugin points ANTHROPIC_BASE_URL at a refusing server, but a
    ``base_url`` given in code (or a client made before the guard was set) ignores that."""
    from urllib.parse import urlsplit

    from agentrun.models.requestguard import BLOCKED_MESSAGE, note_blocked, real_requests_allowed

    if real_requests_allowed():
        return
    host = urlsplit(base_url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
        note_blocked()  # the test fails even if the code under test catches this error
        raise ModelError(f"{BLOCKED_MESSAGE} (this model would reach {base_url})")


def preload_sdk() -> None:
    """Import the SDK now, ahead of the first request: a batch worker before its first task, an
    interactive session in a background thread while the user types."""
    import anthropic  # noqa: F401


_CLIENTS: dict[tuple[object, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_CLIENTS_MAX = 8
_CLIENT_ENV = ("ANTHROPIC_", "SSL_CERT_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def _shared_client(
    max_retries: int, api_key: str | None, base_url: str | None, timeout_s: float | None
) -> Any:
    """One SDK client per set of options and environment it was built from, shared by every
    model of this process: a batch worker's tasks reuse its TLS context (loading the CA bundle
    costs ~50 ms) and its connection pool instead of building both per task. The environment
    variables the SDK and its HTTP client read at construction are part of the key, so a task
    with its own ``env`` (another key, URL or proxy) gets its own client."""
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith(_CLIENT_ENV)))
    key = (max_retries, api_key, base_url, timeout_s, env)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is not None:
            return client
    import anthropic

    options: dict[str, Any] = {"max_retries": max_retries}
    if api_key is not None:
        options["api_key"] = api_key
    if base_url is not None:
        options["base_url"] = base_url
    if timeout_s is not None:
        options["timeout"] = timeout_s
    client = anthropic.Anthropic(**options)
    _refuse_real_api_under_test_guard(str(client.base_url))
    with _CLIENTS_LOCK:
        if not _CLIENTS:
            # Closed before the interpreter tears modules down (the SDK's __del__ fails then).
            atexit.register(_close_shared)
        if len(_CLIENTS) >= _CLIENTS_MAX:  # the oldest is dropped, not closed: a model may hold it
            _CLIENTS.pop(next(iter(_CLIENTS)))
        return _CLIENTS.setdefault(key, client)


def _close_shared() -> None:
    with _CLIENTS_LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        with contextlib.suppress(Exception):
            client.close()


class AnthropicModel:
    """A real Claude model through the official SDK (``ANTHROPIC_API_KEY``/``_BASE_URL`` apply)."""

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        max_retries: int = 2,
        timeout_s: float | None = None,
        cache: bool = True,
        effort: str | None = None,
        compact_at: int | None = None,
    ) -> None:
        self._model = model
        self.effort = effort
        self.compact_at = compact_at
        """Input tokens at which the server compacts (when the model supports it); None: never."""
        self.compact_instructions: str | None = None
        self.on_thinking: TextSink | None = None
        self._api_key = api_key
        self._base_url = base_url
        self.max_retries = max_retries
        self._timeout_s = timeout_s
        self.cache = cache
        self._client: Any = None

    @property
    def model_id(self) -> str:
        return self._model

    def __repr__(self) -> str:  # never show the key
        return f"AnthropicModel({self._model!r}, max_retries={self.max_retries})"

    def _get_client(self) -> Any:
        if self._client is None:
            self._client = _shared_client(
                self.max_retries, self._api_key, self._base_url, self._timeout_s
            )
        _refuse_real_api_under_test_guard(str(self._client.base_url))
        return self._client

    def close(self) -> None:
        """Drop this model's client (a later call takes one again). The client itself is shared
        with other models made alike in this process and stays open for them."""
        self._client = None

    def complete(self, request: ModelRequest, *, on_text: TextSink | None = None) -> ModelResponse:
        import anthropic

        cut_errors: tuple[type[BaseException], ...] = (
            anthropic.APIConnectionError,
            _StreamCutError,
            *_transport_errors(),
        )
        client = self._get_client()
        # A request for another model (WebFetch's small model) gets that model's own options,
        # without the session's effort or compaction settings.
        options = self.options() if request.model == self._model else request_options(request.model)
        params = build_params(request, cache=self.cache, options=options)
        if options.betas:
            params["betas"] = list(options.betas)
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            opened = False  # past this, the SDK's own retries are spent or inapplicable
            if attempt > 1:
                # Like the SDK's backoff for a 529: an overloaded API is not hammered again at once.
                time.sleep(min(RETRY_BASE_S * 2 ** (attempt - 2), 8.0) * random.uniform(0.75, 1.25))
            # The SDK's retries (before a stream opens) and ours (after it broke) share one budget:
            # each attempt of ours leaves the SDK only what is left of it.
            sdk = client.with_options(max_retries=attempts - attempt)
            api = sdk.beta.messages if options.betas else sdk.messages
            try:
                with api.stream(**params) as stream:
                    opened = True
                    for event in stream:
                        if event.type == "text" and on_text is not None:
                            on_text(event.text)
                        elif event.type == "thinking" and self.on_thinking is not None:
                            self.on_thinking(event.thinking)
                    final = stream.get_final_message()
                if final.stop_reason is None:
                    raise _StreamCutError("the stream ended before message_stop")
                return to_response(final.to_dict(mode="json", exclude_none=True))
            except anthropic.APIStatusError as e:
                status, message = _status(e)
                if not (opened and _retryable(status)) or attempt == attempts:
                    raise ModelError(
                        f"Anthropic API error {status}: {message}", status=status
                    ) from e
                log.warning("error event mid-stream (%s %s); retrying", status, message)
            except cut_errors as e:
                if not opened:  # the SDK already tried max_retries + 1 times to connect
                    raise ModelError(
                        f"Anthropic API connection failed after {attempts} attempt(s): {e}"
                    ) from e
                if attempt == attempts:
                    raise ModelError(f"Anthropic API stream cut off {attempts} time(s): {e}") from e
                log.warning("stream interrupted (%s); retrying", e)
            except anthropic.AnthropicError as e:  # e.g. a response the SDK cannot parse
                raise ModelError(f"Anthropic API call failed: {e}") from e
        raise AssertionError("unreachable")  # pragma: no cover

    def options(self) -> RequestOptions:
        """What this model's requests carry besides the conversation (see the model table)."""
        return request_options(
            self._model,
            effort=self.effort,
            compact_at=self.compact_at,
            compact_instructions=self.compact_instructions,
        )


class _StreamCutError(Exception):
    """A stream that ended without its final events."""


def _transport_errors() -> tuple[type[BaseException], ...]:
    # A cut mid-stream surfaces as the HTTP library's own error, unwrapped by the SDK; which
    # library that is (httpx or its successor httpx2) depends on the SDK version.
    for name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return (module.TransportError,)
    return ()


# What an ``error`` event's type stands for: the API sends these mid-stream on a 200 response.
_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def _status(error: Any) -> tuple[int, str]:
    status = int(error.status_code)
    body = getattr(error, "body", None)
    if status < 400 and isinstance(body, dict) and isinstance(body.get("error"), dict):
        status = _ERROR_STATUS.get(str(body["error"].get("type")), 500)
    return status, _message(error)


def _retryable(status: int) -> bool:
    """The statuses the SDK retries (it cannot once a stream has started)."""
    return status in (408, 409, 429) or status >= 500


def _message(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", error))
    return str(getattr(error, "message", error))


def to_response(data: JSON) -> ModelResponse:
    """The SDK's final message (as a dict) -> ModelResponse; blocks kept verbatim."""
    content = [_clean_block(b) for b in data.get("content", [])]
    return ModelResponse(
        content=content,
        stop_reason=str(data.get("stop_reason")),
        usage=Usage.from_dict(data.get("usage")),
        model=str(data.get("model", "")),
        id=str(data.get("id", "")),
    )


def _clean_block(block: JSON) -> JSON:
    # The SDK's parsed text blocks carry client-side extras; the API would reject them echoed.
    if block.get("type") == "text":
        return {k: v for k, v in block.items() if k in ("type", "text", "citations")}
    return block


def build_params(
    request: ModelRequest, *, cache: bool = True, options: RequestOptions | None = None
) -> JSON:
    """The ``messages.stream`` keyword arguments for ``request``, with cache breakpoints;
    ``options`` (the model table's) sets ``max_tokens`` and adds its fields."""
    tools = [t.to_dict() for t in request.tools]
    system: list[ContentBlock] = (
        [{"type": "text", "text": request.system}] if request.system else []
    )
    messages: list[Message] = copy.deepcopy(request.messages)
    if cache:
        if tools:
            tools[-1]["cache_control"] = EPHEMERAL
        if system:
            system[-1]["cache_control"] = EPHEMERAL
        _mark_last_block(messages, -1)
        _mark_last_block(messages, -3)  # the previous user message: a safe read point
    params: JSON = {
        "model": request.model,
        "max_tokens": request.max_tokens if options is None else options.max_tokens,
        "messages": messages,
        **(options.fields if options is not None else {}),
        **request.extra,
    }
    if system:
        params["system"] = system
    if tools:
        params["tools"] = tools
    return params


def _mark_last_block(messages: list[Message], index: int) -> None:
    if len(messages) < -index:
        return
    message = messages[index]
    if isinstance(message["content"], str):
        if not message["content"]:
            return
        message["content"] = [{"type": "text", "text": message["content"]}]
    for block in reversed(message["content"]):
        if block.get("type") in _UNCACHEABLE or (block.get("type") == "text" and not block["text"]):
            continue
        block["cache_control"] = EPHEMERAL
        return
