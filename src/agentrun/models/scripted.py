"""A deterministic model that plays a script: ``--model script:PATH`` and ``ScriptedModel``.

The format (YAML or JSON, DESIGN.md)::

    model: claude-sonnet-5-5          # optional: whose prices cost the scripted usage
    turns:                            # one entry per model response, in order
      - text: "Looking first."
        tool_calls:
          - {name: Read, input: {file_path: app.py}}
      - expect:                       # checks on the tool results just sent back, in call order
          - {is_error: false, contains: "def main"}
        usage: {input_tokens: 1200, output_tokens: 80}
        stop_reason: end_turn         # default: tool_use when there are tool_calls, else end_turn
        text: "Done."
    web_fetch: "The page says 42."    # optional: WebFetch's page answers (default: the page)
    web_search:                       # optional: what every WebSearch finds (default: none,
      - {title: Docs, url: "https://docs.example.com/"}   # WebSearch fails as without search)

Schema errors are :class:`ScriptFormatError` (a configuration error, exit 2) naming the file and
line; a failed expectation or a request past the last turn is :class:`ScriptMismatchError`, which
ends the run with ``error_during_execution`` and a message naming the turn, the call and the
difference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from agentrun.core.errors import ModelError, ScriptFormatError, ScriptMismatchError
from agentrun.core.pricing import ALIASES, DEFAULT_ALIAS, resolve_alias
from agentrun.core.types import JSON, ContentBlock, ModelRequest, ModelResponse, Usage
from agentrun.core.webcalls import web_call
from agentrun.models.catalog import is_summary_request

if TYPE_CHECKING:
    from agentrun.core.protocols import TextSink

_TURN_KEYS = {"text", "tool_calls", "expect", "usage", "stop_reason"}
_CALL_KEYS = {"name", "input"}
CLAUDE_CODE_TOOLS = (
    *("Read", "Write", "Edit", "MultiEdit", "Bash", "Glob", "Grep", "LS", "NotebookEdit"),
    *("WebFetch", "WebSearch", "TodoWrite", "Task", "Agent", "ExitPlanMode", "BashOutput"),
    *("KillShell", "KillBash", "SlashCommand", "Skill", "AskUserQuestion"),
)
"""Claude Code's tool names: a script may call one agentrun lacks (to test that error path)."""
_EXPECT_KEYS = {"is_error", "contains", "not_contains", "matches", "equals"}
_USAGE_KEYS = set(Usage().to_dict())
STOP_REASONS = (
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
)
"""The Messages API's stop reasons: a script may give any of them, and nothing else."""
_KIND_NAMES = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    dict: "a mapping",
    list: "a list",
}


@dataclass(frozen=True)
class Expectation:
    """Checks on one tool result. ``contains``/``not_contains`` take one string or several."""

    is_error: bool | None = None
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    matches: str | None = None
    equals: str | None = None

    def failures(self, text: str, is_error: bool) -> list[str]:
        """What differs, worded for a person reading a failed test; empty when all hold."""
        out: list[str] = []
        if self.is_error is not None and self.is_error != is_error:
            out.append(
                f"expected is_error {str(self.is_error).lower()}, got {str(is_error).lower()}"
            )
        out.extend(f"expected it to contain {s!r}" for s in self.contains if s not in text)
        out.extend(f"expected it not to contain {s!r}" for s in self.not_contains if s in text)
        if self.matches is not None and re.search(self.matches, text) is None:
            out.append(f"expected it to match /{self.matches}/")
        if self.equals is not None and text != self.equals:
            out.append(f"expected it to equal {self.equals!r}")
        return out


@dataclass(frozen=True)
class ScriptTurn:
    """One scripted model response."""

    text: str = ""
    tool_calls: tuple[tuple[str, JSON], ...] = ()
    expect: tuple[Expectation, ...] = ()
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None
    line: int | None = None
    """Where the turn starts in its file, for messages."""


@dataclass
class ScriptedModel:
    """Plays ``turns`` in order, one per :meth:`complete`; see the module docstring.

    Build it from a file (``ScriptedModel.load(path)``), from parsed data
    (``ScriptedModel.from_data({...})``) or from :class:`ScriptTurn` values.
    """

    turns: Sequence[ScriptTurn]
    model: str = field(default_factory=lambda: ALIASES[DEFAULT_ALIAS])
    source: str = "<script>"
    used: int = 0
    agents: Mapping[str, Sequence[ScriptTurn]] = field(default_factory=dict)
    """Subagents' scripts by agent name (top-level ``agents``), played by :meth:`for_agent`."""
    id_prefix: str = "script"
    """What its tool_use and message ids start with (``toolu_script_001_01``)."""
    context_window: int | None = None
    """Tokens: each request's size (about 4 characters a token) is checked against it and
    reported as its usage, so a run compacts deterministically (DESIGN.md, Round 2)."""
    summary: str | None = None
    """The answer to the runtime's own summary request (which uses no turn)."""
    summaries: int = 0
    web_fetch: str | None = None
    """The answer to every WebFetch page question (None: the question itself, page included)."""
    web_search: Sequence[JSON] | None = None
    """The results every WebSearch finds (``{title, url}``); None: the script cannot search."""
    web_calls: int = 0

    @property
    def model_id(self) -> str:
        return self.model

    @classmethod
    def load(cls, path: Path | str) -> ScriptedModel:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as e:
            raise ScriptFormatError(f"cannot read the script: {e.strerror}", path=path) from e
        return cls._from_text(text, source=path)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, source: str = "<script>") -> ScriptedModel:
        """From already-parsed YAML/JSON data (errors name no line: there is no file)."""
        try:
            text = yaml.safe_dump(dict(data), sort_keys=False)
        except yaml.YAMLError as e:
            raise ScriptFormatError(f"not plain YAML/JSON data: {e}", path=source) from e
        return cls._from_text(text, source=source, lines=False)

    @classmethod
    def _from_text(cls, text: str, *, source: Path | str, lines: bool = True) -> ScriptedModel:
        try:
            loader, node = _compose(text)
        except yaml.YAMLError as e:
            if "\t" not in text or not _is_json(text):
                mark = getattr(e, "problem_mark", None)
                line = mark.line + 1 if mark is not None else None
                raise ScriptFormatError(f"not valid YAML/JSON: {e}", path=source, line=line) from e
            # YAML refuses tabs as indentation, JSON allows them; and in valid JSON a tab is
            # only ever whitespace (one inside a string is escaped), so spaces mean the same
            # and keep every line where it was.
            loader, node = _compose(text.replace("\t", " "))
        return _Parser(loader, source, lines=lines).script(node)

    def complete(self, request: ModelRequest, *, on_text: TextSink | None = None) -> ModelResponse:
        call = web_call(request)
        if call is not None:
            from agentrun.models.scriptweb import web_answer

            self.web_calls += 1
            return web_answer(
                call,
                request,
                fetch_text=self.web_fetch,
                results=self.web_search,
                model=self.model,
                number=self.web_calls,
            )
        size = self._measure(request)
        if is_summary_request(request):
            self.summaries += 1
            text = self.summary or (
                f"Summary {self.summaries}: the conversation up to scripted turn "
                f"{self.used} (of {len(self.turns)})."
            )
            return ModelResponse(
                content=[{"type": "text", "text": text}],
                stop_reason="end_turn",
                usage=Usage(input_tokens=size, output_tokens=len(text) // 4 + 1),
                model=self.model,
            )
        number = self.used + 1
        if self.used >= len(self.turns):
            raise ScriptMismatchError(
                f"{self.source}: the run asked for turn {number} but the script has only "
                f"{len(self.turns)} turn(s)",
                turn=number,
            )
        turn = self.turns[self.used]
        self.used += 1
        self._check(number, turn, request)
        if turn.text and on_text is not None:
            on_text(turn.text)
        response = turn_response(turn, turn_number=number, model=self.model, prefix=self.id_prefix)
        if self.context_window is not None and turn.usage == Usage():
            out = len(json.dumps(response.content)) // 4 + 1
            response = replace(response, usage=Usage(input_tokens=size, output_tokens=out))
        return response

    def _measure(self, request: ModelRequest) -> int:
        """The request's size in tokens; past ``context_window``, the API's 400."""
        if self.context_window is None:
            return 0
        tools = [t.to_dict() for t in request.tools]
        size = len(json.dumps([request.system, tools, request.messages])) // 4 + 1
        if size > self.context_window:
            raise ModelError(
                f"prompt is too long: {size} tokens > {self.context_window} maximum",
                status=400,
            )
        return size

    def for_agent(
        self, name: str, model: str | None = None, call_id: str = ""
    ) -> ScriptedModel | None:
        """A fresh player of subagent ``name``'s script (from its first turn), answering as
        ``model`` (default: this script's), for the Task call ``call_id`` (its ids are made
        from that one, so they are unique in the run); None when the script has none for it."""
        turns = self.agents.get(name)
        if turns is None:
            return None
        source = f"{self.source} (agent {name})"
        prefix = call_id.removeprefix("toolu_") or f"{self.id_prefix}_{name}"
        # the agents map goes along: a subagent that delegates plays the same scripts
        return ScriptedModel(
            turns,
            model or self.model,
            source,
            agents=self.agents,
            id_prefix=prefix,
            web_fetch=self.web_fetch,
            web_search=self.web_search,
        )

    def check_tools(self, offered: Sequence[str]) -> None:
        """Raise :class:`ScriptFormatError` for a tool call naming a tool that is neither
        ``offered`` nor one of Claude Code's (a typo such as ``Raed`` would otherwise only
        give the model an error result, and the test would pass without the call it meant)."""
        known = {*offered, *CLAUDE_CODE_TOOLS}
        for number, turn in enumerate(self.turns, 1):
            for index, (name, _) in enumerate(turn.tool_calls, 1):
                if name in known or name.startswith("mcp__"):
                    continue
                import difflib

                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ScriptFormatError(
                    f"turn {number} tool call {index} names an unknown tool {name!r}{hint}; "
                    f"this run offers {', '.join(offered) or 'no tools'}",
                    path=self.source,
                    line=turn.line,
                )

    def assert_complete(self) -> None:
        """Raise AssertionError unless every turn of the script was played."""
        if self.used != len(self.turns):
            raise AssertionError(
                f"{self.source}: {self.used} of {len(self.turns)} scripted turn(s) were used"
            )

    def _check(self, number: int, turn: ScriptTurn, request: ModelRequest) -> None:
        if not turn.expect:
            return
        results = last_tool_results(request)
        where = f"{self.source}: turn {number}"
        if turn.line is not None:
            where += f" (line {turn.line})"
        if len(turn.expect) > len(results):
            raise ScriptMismatchError(
                f"{where}: expected {len(turn.expect)} tool result(s), got {len(results)}",
                turn=number,
            )
        for i, (exp, (name, text, is_error)) in enumerate(
            zip(turn.expect, results, strict=False), 1
        ):
            problems = exp.failures(text, is_error)
            if problems:
                preview = text if len(text) <= 300 else text[:300] + "…"
                raise ScriptMismatchError(
                    f"{where}, call {i} ({name}): {'; '.join(problems)}; the result was "
                    f"{'an error' if is_error else 'ok'}: {preview!r}",
                    turn=number,
                )


def _compose(text: str) -> tuple[yaml.SafeLoader, yaml.Node | None]:
    loader = yaml.SafeLoader(text)
    try:
        return loader, loader.get_single_node()
    finally:
        loader.dispose()


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _whole_characters(value: Any) -> Any:
    """``value`` with each UTF-16 surrogate pair joined into its character, recursively.

    JSON writes a character beyond U+FFFF as two escapes (``json.dumps`` does it for every
    emoji: ``"\\ud83d\\ude00"``); YAML reads them as two lone surrogates, which no encoder
    accepts.
    """
    if isinstance(value, str):
        if not any("\ud800" <= c <= "\udfff" for c in value):
            return value
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_whole_characters(v) for v in value]
    if isinstance(value, dict):
        return {_whole_characters(k): _whole_characters(v) for k, v in value.items()}
    return value


def turn_response(
    turn: ScriptTurn, *, turn_number: int, model: str, prefix: str = "script"
) -> ModelResponse:
    """The assistant message for one scripted turn; tool_use ids depend only on the position
    (and ``prefix``: a subagent's script is tagged with the Task call it answers)."""
    content: list[ContentBlock] = []
    if turn.text:
        content.append({"type": "text", "text": turn.text})
    for i, (name, tool_input) in enumerate(turn.tool_calls, 1):
        content.append(
            {
                "type": "tool_use",
                "id": f"toolu_{prefix}_{turn_number:03d}_{i:02d}",
                "name": name,
                "input": tool_input,
            }
        )
    stop = turn.stop_reason or ("tool_use" if turn.tool_calls else "end_turn")
    return ModelResponse(
        content=content,
        stop_reason=stop,
        usage=turn.usage,
        model=model,
        id=f"msg_{prefix}_{turn_number:03d}",
    )


def last_tool_results(request: ModelRequest) -> list[tuple[str, str, bool]]:
    """(tool name, text, is_error) of each tool_result in the request's last message, in order."""
    if not request.messages:
        return []
    names: dict[str, str] = {}
    for message in request.messages:
        if message.get("role") == "assistant" and isinstance(message.get("content"), list):
            for block in message["content"]:
                if block.get("type") == "tool_use":
                    names[str(block.get("id"))] = str(block.get("name"))
    content = request.messages[-1].get("content")
    if not isinstance(content, list):
        return []
    out = []
    for block in content:
        if block.get("type") != "tool_result":
            continue
        raw = block.get("content", "")
        text = raw if isinstance(raw, str) else "".join(b.get("text", "") for b in raw)
        out.append(
            (names.get(str(block.get("tool_use_id")), "?"), text, bool(block.get("is_error")))
        )
    return out


class _Parser:
    """Validates the composed YAML node tree, so every error can name its line."""

    def __init__(self, loader: yaml.SafeLoader, source: Path | str, *, lines: bool = True) -> None:
        self.loader = loader
        self.source = source
        self.lines = lines
        """False for data that never was a file: its YAML's line numbers would mislead."""

    def line(self, node: yaml.Node) -> int | None:
        return node.start_mark.line + 1 if self.lines else None

    def fail(self, node: yaml.Node, message: str) -> ScriptFormatError:
        return ScriptFormatError(message, path=self.source, line=self.line(node))

    def value(self, node: yaml.Node) -> Any:
        return _whole_characters(self.loader.construct_object(node, deep=True))

    def mapping(self, node: yaml.Node | None, what: str, keys: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise (
                self.fail(node, f"{what} must be a mapping")
                if node
                else ScriptFormatError(f"{what} is missing", path=self.source)
            )
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(self.value(key_node))
            if key not in keys:
                raise self.fail(
                    key_node, f"unknown key {key!r} in {what} (expected one of {sorted(keys)})"
                )
            if key in out:  # YAML would silently keep the last one
                raise self.fail(key_node, f"duplicate key {key!r} in {what}")
            out[key] = value_node
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return list(node.value)

    def typed(self, node: yaml.Node, what: str, kind: type | tuple[type, ...]) -> Any:
        value = self.value(node)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            kinds = (kind,) if isinstance(kind, type) else kind
            names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
            raise self.fail(node, f"{what} must be {names}, got {value!r}")
        return value

    def script(self, node: yaml.Node | None) -> ScriptedModel:
        if node is None:
            raise ScriptFormatError(
                "the script is empty (expected a 'turns' list)", path=self.source
            )
        top = self.mapping(
            node,
            "the script",
            {"turns", "model", "agents", "context_window", "summary", "web_fetch", "web_search"},
        )
        if "turns" not in top:
            raise self.fail(node, "the script has no 'turns' list")
        turns = [self.turn(n, i) for i, n in enumerate(self.sequence(top["turns"], "'turns'"), 1)]
        if not turns:
            raise self.fail(top["turns"], "'turns' is empty")
        model = ALIASES[DEFAULT_ALIAS]
        if "model" in top:
            model = resolve_alias(self.typed(top["model"], "'model'", str))
        window = self.opt(top, "context_window", "the script", int)
        if window is not None and window < 1:
            raise self.fail(top["context_window"], "'context_window' must be a positive number")
        return ScriptedModel(
            turns=turns,
            model=model,
            source=str(self.source),
            context_window=window,
            summary=self.opt(top, "summary", "the script", str),
            agents=self.agents(top["agents"]) if "agents" in top else {},
            web_fetch=self.opt(top, "web_fetch", "the script", str),
            web_search=self.web_results(top["web_search"]) if "web_search" in top else None,
        )

    def web_results(self, node: yaml.Node) -> list[JSON]:
        """``web_search: [{title, url}, ...]``: what every WebSearch finds."""
        from agentrun.models.scriptweb import check_results

        value = self.value(node)
        problem = check_results(value)
        if problem is not None:
            raise self.fail(node, problem)
        return list(value)

    def agents(self, node: yaml.Node) -> dict[str, tuple[ScriptTurn, ...]]:
        """``agents: {NAME: {turns: [...]}}``: each subagent's own script."""
        out: dict[str, tuple[ScriptTurn, ...]] = {}
        self.typed(node, "'agents'", dict)
        for key_node, value in node.value:
            name = self.typed(key_node, "an agent name in 'agents'", str)
            what = f"agent {name!r}'s script"
            fields = self.mapping(value, what, {"turns"})
            if "turns" not in fields:
                raise self.fail(value, f"{what} has no 'turns' list")
            seq = self.sequence(fields["turns"], f"{what} 'turns'")
            if not seq:
                raise self.fail(fields["turns"], f"{what} 'turns' is empty")
            out[name] = tuple(self.turn(n, i) for i, n in enumerate(seq, 1))
        return out

    def opt(
        self, fields: dict[str, yaml.Node], key: str, what: str, kind: type | tuple[type, ...]
    ) -> Any:
        """The value under ``key`` checked against ``kind``, or None when absent."""
        return self.typed(fields[key], f"{what} {key!r}", kind) if key in fields else None

    def items(self, fields: dict[str, yaml.Node], key: str, what: str) -> list[yaml.Node]:
        return self.sequence(fields[key], f"{what} {key!r}") if key in fields else []

    def turn(self, node: yaml.Node, number: int) -> ScriptTurn:
        what = f"turn {number}"
        fields = self.mapping(node, what, _TURN_KEYS)
        calls: list[tuple[str, JSON]] = []
        for i, call_node in enumerate(self.items(fields, "tool_calls", what), 1):
            call_what = f"{what} tool call {i}"
            call = self.mapping(call_node, call_what, _CALL_KEYS)
            if "name" not in call:
                raise self.fail(call_node, f"{call_what} has no 'name'")
            name = self.typed(call["name"], f"{call_what} 'name'", str)
            calls.append((name, self.opt(call, "input", call_what, dict) or {}))
        expects = [
            self.expectation(n, f"{what} expect {i}")
            for i, n in enumerate(self.items(fields, "expect", what), 1)
        ]
        usage = Usage()
        if "usage" in fields:
            raw = self.mapping(fields["usage"], f"{what} 'usage'", _USAGE_KEYS)
            counts = {k: self.opt(raw, k, f"{what} usage", int) for k in raw}
            for key, count in counts.items():
                if count < 0:  # a negative count would make a negative cost
                    raise self.fail(raw[key], f"{what} usage {key!r} must be >= 0, got {count}")
            usage = Usage.from_dict(counts)
        stop_reason = self.opt(fields, "stop_reason", what, str)
        if stop_reason is not None and stop_reason not in STOP_REASONS:
            raise self.fail(
                fields["stop_reason"],
                f"{what} 'stop_reason' {stop_reason!r} is not a stop reason "
                f"(expected one of {list(STOP_REASONS)})",
            )
        return ScriptTurn(
            text=self.opt(fields, "text", what, str) or "",
            tool_calls=tuple(calls),
            expect=tuple(expects),
            usage=usage,
            stop_reason=stop_reason,
            line=self.line(node),
        )

    def expectation(self, node: yaml.Node, what: str) -> Expectation:
        fields = self.mapping(node, what, _EXPECT_KEYS)

        def strings(key: str) -> tuple[str, ...]:
            value = self.opt(fields, key, what, (str, list))
            items = [] if value is None else [value] if isinstance(value, str) else value
            if not all(isinstance(s, str) for s in items):
                raise self.fail(
                    fields[key], f"{what} {key!r} must be a string or a list of strings"
                )
            return tuple(items)

        matches = self.opt(fields, "matches", what, str)
        if matches is not None:
            try:
                re.compile(matches)
            except re.error as e:
                raise self.fail(
                    fields["matches"], f"{what} 'matches' is not a valid regex: {e}"
                ) from e
        return Expectation(
            is_error=self.opt(fields, "is_error", what, bool),
            contains=strings("contains"),
            not_contains=strings("not_contains"),
            matches=matches,
            equals=self.opt(fields, "equals", what, str),
        )
