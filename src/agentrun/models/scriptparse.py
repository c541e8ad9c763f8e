"""Reading a script file (YAML or JSON) into :class:`ScriptTurn` values, every error naming
its file and line (:class:`ScriptFormatError`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agentrun.core.errors import ScriptFormatError
from agentrun.core.pricing import ALIASES, DEFAULT_ALIAS, resolve_alias
from agentrun.core.types import JSON, Usage
from agentrun.models.scriptturn import STOP_REASONS, Expectation, ScriptTurn

_TURN_KEYS = {"text", "tool_calls", "expect", "usage", "stop_reason"}
_CALL_KEYS = {"name", "input"}
_EXPECT_KEYS = {"is_error", "contains", "not_contains", "matches", "equals"}
_USAGE_KEYS = set(Usage().to_dict())
_KIND_NAMES = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    dict: "a mapping",
    list: "a list",
}


@dataclass(frozen=True)
class ParsedScript:
    """What a script file says."""

    turns: list[ScriptTurn]
    model: str
    context_window: int | None
    summary: str | None
    agents: dict[str, tuple[ScriptTurn, ...]]
    web_fetch: str | None = None
    web_search: list[JSON] | None = None


def parse_script(text: str, *, source: Path | str, lines: bool = True) -> ParsedScript:
    """``text`` (a script file's content) checked and read; ``lines`` False for data that never
    was a file (its YAML's line numbers would mislead)."""
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

    def script(self, node: yaml.Node | None) -> ParsedScript:
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
        return ParsedScript(
            turns=turns,
            model=model,
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
