"""A deterministic model that plays a script: ``--model script:PATH`` and ``ScriptedModel``.

The format (YAML or JSON)::

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from agentrun.core.errors import ModelError, ScriptFormatError, ScriptMismatchError
from agentrun.core.pricing import ALIASES, DEFAULT_ALIAS
from agentrun.core.types import JSON, ModelRequest, ModelResponse, Usage
from agentrun.core.vocab import BUILTIN_TOOLS, SUBAGENT_TOOLS
from agentrun.core.webcalls import web_call
from agentrun.models.catalog import is_summary_request
from agentrun.models.scriptparse import parse_script
from agentrun.models.scriptturn import (
    STOP_REASONS,
    Expectation,
    ScriptTurn,
    last_tool_results,
    turn_response,
)

if TYPE_CHECKING:
    from agentrun.core.protocols import TextSink

__all__ = [
    "CLAUDE_CODE_TOOLS",
    "STOP_REASONS",
    "Expectation",
    "ScriptTurn",
    "ScriptedModel",
    "last_tool_results",
    "turn_response",
]

CLAUDE_CODE_TOOLS = (
    *BUILTIN_TOOLS,
    *SUBAGENT_TOOLS,
    *("NotebookEdit", "WebFetch", "WebSearch", "ExitPlanMode", "BashOutput"),
    *("KillShell", "KillBash", "SlashCommand", "Skill", "AskUserQuestion"),
)
"""Claude Code's tool names: a script may call one agentrun lacks (to test that error path)."""


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
    reported as its usage, so a run compacts deterministically."""
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
        parsed = parse_script(text, source=source, lines=lines)
        return cls(
            turns=parsed.turns,
            model=parsed.model,
            source=str(source),
            context_window=parsed.context_window,
            summary=parsed.summary,
            agents=parsed.agents,
            web_fetch=parsed.web_fetch,
            web_search=parsed.web_search,
        )

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
