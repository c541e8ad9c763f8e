"""Record a run's model traffic: ``--record PATH`` and ``RecordingModel``.

The recording is JSONL. The first line is a header, then one line per model call, in order::

    {"agentrun_recording": 1, "model_id": "claude-sonnet-..."}
    {"turn": 1, "request": {...}, "response": {...}}

``request`` holds what the model was sent (model, system, messages, tool names, max_tokens,
extra); ``response`` the assistant message it gave back. So that a long session does not write
its whole history again on every line, ``messages`` holds only what is new since the previous
request, from index ``messages_from`` of the conversation, and ``system`` is written only when
it changed. ``agentrun.models.replay`` plays it back offline.

The web tools' traffic is written too, as ``web`` lines among the turns (see
:mod:`agentrun.models.replayweb`): WebFetch's page outcome (final URL, status, Markdown or
error) and its small model's request and response, WebSearch's server-side search request and
response, each whole, so that a replay serves them without going online.

Requests carry no credentials by construction, but a tool result can: a key a command printed,
a config file the agent read. So every line goes through the transcripts' own
:func:`agentrun.session.redact.redact` before it is written.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from agentrun.core.errors import ModelError
from agentrun.core.types import JSON, ModelRequest, ModelResponse, Usage
from agentrun.core.webcalls import web_call
from agentrun.core.webtape import PageOutcome, WebTape
from agentrun.session.redact import env_secrets, redact

if TYPE_CHECKING:
    from agentrun.core.protocols import Model, TextSink

FORMAT_VERSION = 1


def request_to_json(request: ModelRequest, *, previous: ModelRequest | None = None) -> JSON:
    """The recorded form of a request: compared with ``previous`` (the request before it),
    only the new messages, and the system prompt only if it changed. Tool schemas are reduced
    to names: they are agentrun's own constants."""
    start = 0
    if previous is not None and request.messages[: len(previous.messages)] == previous.messages:
        start = len(previous.messages)
    data: JSON = {"model": request.model}
    if previous is None or request.system != previous.system:
        data["system"] = request.system
    data["messages_from"] = start
    data["messages"] = request.messages[start:]
    data["tools"] = [tool.name for tool in request.tools]
    data["max_tokens"] = request.max_tokens
    data["extra"] = request.extra
    return data


def response_to_json(response: ModelResponse) -> JSON:
    return {
        "id": response.id,
        "model": response.model,
        "content": response.content,
        "stop_reason": response.stop_reason,
        "usage": response.usage.to_dict(),
    }


def response_from_json(data: JSON) -> ModelResponse:
    return ModelResponse(
        content=list(data["content"]),
        stop_reason=str(data["stop_reason"]),
        usage=Usage.from_dict(data.get("usage")),
        model=str(data.get("model") or ""),
        id=str(data.get("id") or ""),
    )


class RecordingModel:
    """Wraps any :class:`~agentrun.core.protocols.Model` and appends each request/response pair to
        ``path`` (created mode 0600 or truncated at the first call, flushed after every line, so a
        run that dies mid-way still leaves every completed turn on disk).

        Failed turns are not recorded: a replay serves answers, and there was none. A web tool's
    failed request is (see :meth:`_web_call`).
    """

    def __init__(self, inner: Model, path: Path | str) -> None:
        self.inner = inner
        self.path = Path(path)
        self.turns = 0
        self._file: IO[str] | None = None
        self._previous: ModelRequest | None = None
        self._secrets = env_secrets()
        # The web tools of one turn run concurrently: lines are written whole, one at a time.
        self._lock = threading.RLock()
        self._started = False

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def complete(self, request: ModelRequest, *, on_text: TextSink | None = None) -> ModelResponse:
        kind = web_call(request)
        if kind is not None:
            return self._web_call(kind, request, on_text)
        response = self.inner.complete(request, on_text=on_text)
        with self._lock:
            self.turns += 1
            entry = {
                "turn": self.turns,
                "request": request_to_json(request, previous=self._previous),
                "response": response_to_json(response),
            }
            self._previous = request
            self._write(entry)  # under the lock: turn lines stay in their order
        return response

    def _web_call(
        self, kind: str, request: ModelRequest, on_text: TextSink | None
    ) -> ModelResponse:
        """A web tool's own request: kept whole and out of the turns' sequence (concurrent
        fetches finish in any order; a replay finds it by what it asked). Its failure is kept
        too (a provider without search): the replay fails the same way."""
        entry: JSON = {"web": kind, "request": request_to_json(request)}
        try:
            response = self.inner.complete(request, on_text=on_text)
        except ModelError as e:
            self._write({**entry, "error": str(e)})
            raise
        self._write({**entry, "response": response_to_json(response)})
        return response

    def web_page(self, url: str, live: Callable[[], PageOutcome]) -> PageOutcome:
        """WebFetch's page for ``url``, fetched (by the wrapped model's tape if it has one, a
        replay being recorded again) and written down."""
        inner = self.inner
        page = inner.web_page(url, live) if isinstance(inner, WebTape) else live()
        self._write({"web": "page", "url": url, "page": page.to_json()})
        return page

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> RecordingModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, entry: JSON) -> None:
        line = json.dumps(redact(entry, secrets=self._secrets), ensure_ascii=False)
        with self._lock:
            self._append(line)

    def _append(self, line: str) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Private, like a transcript: it holds the code and command output the agent saw.
            # Started afresh once; a model used for another run after close() goes on with
            # the same file (turns keep counting, as a replay serves them in order).
            fresh = not self._started
            self._started = True
            flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_TRUNC if fresh else os.O_APPEND)
            self._file = open(os.open(self.path, flags, 0o600), "w", encoding="utf-8")  # noqa: SIM115
            if fresh:
                header = {"agentrun_recording": FORMAT_VERSION, "model_id": self.inner.model_id}
                self._file.write(json.dumps(header) + "\n")
        self._file.write(line + "\n")
        self._file.flush()

    def __del__(self) -> None:
        # The loop may not know it holds a RecordingModel; don't leak the file handle.
        file = getattr(self, "_file", None)
        if file is not None:
            file.close()
