"""Replay a recorded run offline: ``--model replay:PATH`` and ``ReplayModel``.

The recorded responses are served in order. Before each one, the request's newest user message
(the prompt on the first call, then the tool results) is compared with the recorded request's:
if a tool now behaves differently, the recorded answers no longer fit the conversation, and the
replay says so with the turn and a unified diff. ``drift="error"`` (the default) ends the run
with :class:`~agentrun.core.errors.ScriptMismatchError`; ``drift="warn"`` logs a warning, keeps the
drift in :attr:`ReplayModel.drifts` and goes on.

The web tools are served from the recording's ``web`` lines, never from the network: WebFetch's
page by URL (:meth:`ReplayModel.web_page`; the tool never fetches), its small model's answer
and WebSearch's results by what they asked. A call the recording has no line for gets an error
result and is drift: under ``drift="error"`` the next turn ends the run with it.

Three things differ between honest runs and are masked before comparing: the workspace path (each
request's ``Working directory:`` line in the system prompt names it), the run's private tmp
directory (a new random name each run; Bash's ``TMPDIR`` and ``HOME``), and durations such as
``0.85s`` or ``12 ms`` (pytest and friends print them). The recording was scrubbed of secrets, so
this run's text is scrubbed the same way before comparing (a diff never shows a key either), and
a recorded ``[REDACTED]`` matches whatever stands in its place: a secret the recorder knew by
value (the API key of the recording run) need not be known to the replay.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ConfigError, ModelError, ScriptFormatError, ScriptMismatchError
from agentrun.core.webcalls import web_call
from agentrun.core.webtape import PageOutcome
from agentrun.models.recording import FORMAT_VERSION, response_from_json
from agentrun.models.replayweb import RecordedWeb, WebReplay, parse_web_line, request_key
from agentrun.session.redact import REDACTED, env_secrets, redact

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentrun.core.protocols import TextSink
    from agentrun.core.types import JSON, Message, ModelRequest, ModelResponse

logger = logging.getLogger(__name__)

DRIFT_MODES = ("error", "warn")

_WORKDIR = re.compile(r"^\s*Working directory:\s*(\S.*?)\s*$", re.MULTILINE)
_DURATION = re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|seconds)\b")
# runtime.py's private tmp: tempfile.mkdtemp(prefix="agentrun-"), 8 random characters.
_PRIVATE_TMP = re.compile(re.escape(tempfile.gettempdir()) + r"/agentrun-[a-z0-9_]{8}\b")


@dataclass(frozen=True)
class RecordedTurn:
    request: JSON
    response: ModelResponse
    line: int
    system: str
    """The system prompt in force (a line repeats it only when it changed)."""


@dataclass(frozen=True)
class Drift:
    """One request whose newest user message differed from the recording."""

    turn: int
    diff: str


def load_recording(
    path: Path, web: list[RecordedWeb] | None = None
) -> tuple[str, list[RecordedTurn]]:
    """The model id and turns of a recording (its web lines appended to ``web``, when given);
    :class:`ScriptFormatError` names file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ScriptFormatError(f"cannot read the recording: {e.strerror}", path=path) from e
    turns: list[RecordedTurn] = []
    model_id = ""
    system = ""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as e:
            raise ScriptFormatError(f"not a JSON line: {e}", path=path, line=number) from e
        if not isinstance(entry, dict):
            raise ScriptFormatError("expected a JSON object", path=path, line=number)
        if number == 1:
            if entry.get("agentrun_recording") != FORMAT_VERSION:
                raise ScriptFormatError(
                    f"not an agentrun recording (expected a header with "
                    f'"agentrun_recording": {FORMAT_VERSION})',
                    path=path,
                    line=1,
                )
            model_id = str(entry.get("model_id") or "")
            continue
        if "web" in entry:
            recorded = parse_web_line(entry, path, number)
            if web is not None:
                web.append(recorded)
            continue
        try:
            request = entry["request"]
            response = response_from_json(entry["response"])
            system = str(request.get("system", system))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ScriptFormatError(
                f"a recorded turn needs 'request' and 'response' with content and "
                f"stop_reason ({type(e).__name__}: {e})",
                path=path,
                line=number,
            ) from e
        turns.append(RecordedTurn(request=request, response=response, line=number, system=system))
    if not lines:
        raise ScriptFormatError("the recording is empty", path=path)
    if not turns:
        raise ScriptFormatError("the recording has no turns", path=path, line=1)
    return model_id, turns


class ReplayModel:
    """Serves the responses recorded at ``path`` in order; see the module docstring."""

    def __init__(self, path: Path | str, *, drift: str = "error") -> None:
        if drift not in DRIFT_MODES:
            raise ConfigError(f"replay drift must be one of {DRIFT_MODES}, got {drift!r}")
        self.path = Path(path)
        self.drift = drift
        web: list[RecordedWeb] = []
        self._model_id, self.turns = load_recording(self.path, web)
        self.web = WebReplay(web)
        self.used = 0
        self.drifts: list[Drift] = []
        self._pending: str | None = None
        """A web call's drift under ``drift="error"``: the next turn ends the run with it."""

    @property
    def model_id(self) -> str:
        return self._model_id

    def complete(self, request: ModelRequest, *, on_text: TextSink | None = None) -> ModelResponse:
        kind = web_call(request)
        if kind is not None:
            web = self._web(kind, request_key(request.messages, request.extra))
            if web is not None and web.error is not None:
                raise ModelError(web.error)
            if web is None or web.response is None:
                raise ModelError("this call is not in the recording (a replay never goes online)")
            return web.response
        number = self.used + 1
        if self._pending is not None:
            raise ScriptMismatchError(self._pending, turn=number)
        if self.used >= len(self.turns):
            raise ScriptMismatchError(
                f"{self.path}: the run asked for turn {number} but the recording has only "
                f"{len(self.turns)} turn(s)",
                turn=number,
            )
        recorded = self.turns[self.used]
        self.used += 1
        self._compare(number, recorded, request)
        text = recorded.response.text()
        if text and on_text is not None:
            on_text(text)
        return recorded.response

    def web_page(self, url: str, live: Callable[[], PageOutcome]) -> PageOutcome:
        """The recorded outcome of fetching ``url``; ``live`` (the real fetch) is never called:
        a replay is offline, and a recording is no licence to fetch anything."""
        recorded = self._web("page", url)
        if recorded is None or recorded.page is None:
            return PageOutcome(
                url, error=f"{url} was not fetched in the recording (a replay never goes online)."
            )
        return recorded.page

    def _web(self, kind: str, key: str) -> RecordedWeb | None:
        """The recorded web line for this call, or None after noting the drift."""
        key = redact(key, secrets=env_secrets())
        recorded, drift = self.web.take(kind, key, _redacted_match)
        if recorded is not None:
            return recorded
        number = self.used + 1
        message = f"{self.path}: before turn {number}: {drift}"
        if self.drift == "error":
            self._pending = self._pending or message
        else:
            self.drifts.append(Drift(turn=number, diff=drift))
            logger.warning("replay drift: %s", message)
        return None

    def assert_complete(self) -> None:
        """Raise AssertionError unless every recorded turn was served."""
        if self.used != len(self.turns):
            raise AssertionError(
                f"{self.path}: {self.used} of {len(self.turns)} recorded turn(s) were used"
            )

    def _compare(self, number: int, recorded: RecordedTurn, request: ModelRequest) -> None:
        expected = newest_user_message(
            recorded.request.get("messages") or [], workdir=_workdir(recorded.system)
        )
        actual = newest_user_message(
            request.messages, workdir=_workdir(request.system), secrets=env_secrets()
        )
        # A line that matches its recorded counterpart up to [REDACTED] is that line.
        actual = [
            line if i >= len(expected) or not _redacted_match(expected[i], line) else expected[i]
            for i, line in enumerate(actual)
        ]
        if expected == actual:
            return
        diff = "".join(
            difflib.unified_diff(
                expected,
                actual,
                fromfile=f"recorded (line {recorded.line})",
                tofile="this run",
            )
        )
        if number == 1:
            what = "the prompt differs from the recording (was the prompt or the agent changed?)"
        else:
            what = "the tool results differ from the recording (a tool now behaves differently?)"
        message = f"{self.path}: turn {number}: {what}\n{diff}"
        if self.drift == "error":
            raise ScriptMismatchError(message, turn=number)
        self.drifts.append(Drift(turn=number, diff=diff))
        logger.warning("replay drift: %s", message)


def newest_user_message(
    messages: list[Message], *, workdir: str | None = None, secrets: tuple[str, ...] = ()
) -> list[str]:
    """The last user message as comparable lines: text and tool results, scrubbed as a recording
    is (``secrets`` too), with the workspace path, the private tmp and durations masked. Tool
    names are looked up from the assistant's tool_use blocks."""
    if not messages:
        return []
    names: dict[str, str] = {}
    for message in messages:
        content = message.get("content")
        if message.get("role") == "assistant" and isinstance(content, list):
            for block in content:
                if block.get("type") == "tool_use":
                    names[str(block.get("id"))] = str(block.get("name"))
    last = messages[-1]
    content = last.get("content")
    blocks: list[Any] = [{"type": "text", "text": content}] if isinstance(content, str) else []
    if isinstance(content, list):
        blocks = content
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "text":
            lines.append("[text]\n")
            body = str(block.get("text", ""))
        elif kind == "tool_result":
            name = names.get(str(block.get("tool_use_id")), "?")
            lines.append(f"[tool_result {name} is_error={bool(block.get('is_error'))}]\n")
            raw = block.get("content", "")
            body = raw if isinstance(raw, str) else _text_of(raw)
        else:
            lines.append(f"[{kind}]\n")
            continue
        body = redact(body, secrets=secrets)
        lines.extend(line + "\n" for line in _mask(body, workdir).splitlines())
    return lines


def _text_of(blocks: Any) -> str:
    if not isinstance(blocks, list):
        return str(blocks)
    return "".join(
        str(b.get("text", "")) if b.get("type") == "text" else f"[{b.get('type')}]" for b in blocks
    )


def _workdir(system: Any) -> str | None:
    match = _WORKDIR.search(system) if isinstance(system, str) else None
    return match.group(1) if match else None


def _mask(text: str, workdir: str | None) -> str:
    if workdir and workdir != "/":
        text = text.replace(workdir, "<workspace>")
    return _DURATION.sub("<duration>", _PRIVATE_TMP.sub("<tmp>", text))


def _redacted_match(recorded: str, line: str) -> bool:
    """Whether ``line`` is ``recorded`` with something in place of each [REDACTED]."""
    if REDACTED not in recorded or recorded == line:
        return recorded == line
    parts = recorded.split(REDACTED)
    if not (line.startswith(parts[0]) and line.endswith(parts[-1])):
        return False
    pos, end = len(parts[0]), len(line) - len(parts[-1])
    for part in parts[1:-1]:  # each literal piece in order, something before it
        found = line.find(part, pos + 1, end)
        if found == -1:
            return False
        pos = found + len(part)
    return pos < end
