"""The context budget of one session, and when to compact.

The prompt's size is known from the API's ``usage`` after each answer (``input_tokens`` plus
cache reads and writes); the answer and what was appended since (tool results, a new prompt)
are estimated at about 4 characters a token. Before each model call the
loop asks :meth:`ContextManager.before_call`; past the threshold the history is compacted:

- by the API when the model supports server-side compaction (``compact_20260112``, the model
  table's ``compaction``) and the model is the Anthropic adapter: the adapter asks for it at
  the threshold, and the ``compaction`` block in an answer marks the boundary (the API ignores
  what came before it; the history is sent on unchanged, so its cache prefix holds);
- else by a summary request of ours (:mod:`agentrun.context.compaction`).

Either way the transcript gets a ``compact_boundary`` entry (trigger, tokens before and after,
and for our own compaction the new history, which ``--resume`` starts from) and the run emits a
:class:`~agentrun.core.events.CompactEvent`. ``pre_compact`` is the ``PreCompact`` hook's call site.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agentrun.context.tokens import estimate_tokens
from agentrun.core.events import AssistantEvent
from agentrun.models.catalog import model_info

if TYPE_CHECKING:
    from agentrun.context.parts import ContextParts
    from agentrun.core.events import Event
    from agentrun.core.loop import Conversation
    from agentrun.core.moreevents import CompactEvent
    from agentrun.core.protocols import Model
    from agentrun.core.types import JSON, ToolSpec, Usage

DEFAULT_THRESHOLD = 0.85
"""Compact when the prompt passes this share of the window (Claude Code's is near the window;
this leaves room for one more big tool result and for the summary request itself)."""
KEEP_SHARE = 0.25
"""The share of the threshold the verbatim tail may take after a compaction."""
THRESHOLD_ENV = "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE"
"""Claude Code's override, a percentage of the window."""

PreCompactHook = Callable[[str, "str | None"], object]
"""``(trigger, instructions)``: the ``PreCompact`` hook's call site (hooks wire it)."""


def threshold_share(setting: float | None) -> float:
    """The compaction threshold as a share of the window: ``setting``, else the environment's
    percentage, else :data:`DEFAULT_THRESHOLD`; anything outside (0, 1] is ignored."""
    raw = os.environ.get(THRESHOLD_ENV)
    candidates: list[float | None] = [setting]
    try:
        candidates.append(float(raw) / 100 if raw else None)
    except ValueError:
        pass
    for value in candidates:
        if value is not None and 0 < value <= 1:
            return value
    return DEFAULT_THRESHOLD


class ContextManager:
    """Tracks one session's prompt size and compacts its history."""

    def __init__(
        self,
        conv: Conversation,
        model: Model,
        *,
        tools: Callable[[], list[ToolSpec]],
        system: str,
        persist: Callable[[JSON], None],
        share: float | None = None,
    ) -> None:
        self.conv = conv
        self.model = model
        self.tools = tools
        self.system = system
        self.persist = persist
        self.emit: Callable[[Event], None] = lambda event: None
        self.pre_compact: PreCompactHook | None = None
        self.post_compact: Callable[[], str] | None = None
        """SessionStart hooks with source ``compact``: their context joins the summary."""
        declared = getattr(model, "context_window", None)
        self.window = int(declared) if declared else model_info(model.model_id).window
        self.threshold = int(self.window * threshold_share(share))
        self.compactions = 0
        self._floor = 0  # len(conv.messages) after the last compaction
        self._known: int | None = None  # prompt + answer tokens of the last call
        self._known_len = 0  # len(conv.messages) when _known was measured
        adapter: Any = getattr(model, "inner", model)
        self.server_side = bool(
            hasattr(adapter, "compact_at") and model_info(model.model_id).compaction
        )
        if self.server_side:
            adapter.compact_at = self.threshold

    def observe(self, event: Event) -> None:
        """Learn the prompt's size from an answer's usage (and spot a server-side compaction)."""
        if not isinstance(event, AssistantEvent):
            return
        before = self.estimate()
        # The answer's own size is estimated: output_tokens also counts thinking the API may
        # drop from later prompts.
        self._known = event.usage.total_input_tokens + estimate_tokens(event.message)
        self._known_len = len(self.conv.messages)
        content = event.message.get("content")
        if isinstance(content, list) and any(b.get("type") == "compaction" for b in content):
            self._boundary("auto", before, self._known, None, server=True)

    def estimate(self) -> int:
        """The size of the next request's prompt, in tokens."""
        messages = self.conv.messages
        if self._known is None or self._known_len > len(messages):
            self._known = estimate_tokens(
                [self.system, [t.to_dict() for t in self.tools()], messages]
            )
            self._known_len = len(messages)
        extra = messages[self._known_len :]
        return self._known + (estimate_tokens(extra) if extra else 0)

    def parts(self) -> ContextParts:
        """The next request's size by part (``/context``)."""
        from agentrun.context.parts import context_parts

        return context_parts(
            self.system,
            self.tools(),
            self.conv.messages,
            total=self.estimate(),
            window=self.window,
            threshold=self.threshold,
            server_side=self.server_side,
        )

    def before_call(self) -> None:
        """Compact when the next prompt passes the threshold. A failed summary request is
        logged and the call goes ahead (the API then says whether it fits); right after a
        compaction that could not get below the threshold, nothing new would be dropped, so
        the next one waits for two more messages."""
        if self.server_side or self.estimate() <= self.threshold:
            return
        if len(self.conv.messages) < self._floor + 2:
            return
        from agentrun.core.errors import ModelError

        try:
            self.compact("auto")
        except ModelError as e:
            import logging

            logging.getLogger(__name__).warning(
                "compaction failed; the call goes ahead uncompacted: %s", e
            )
            self._floor = len(self.conv.messages)

    def compact(self, trigger: str = "manual", instructions: str | None = None) -> CompactEvent:
        """Summarise the history and continue from the summary (raises ModelError)."""
        if self.pre_compact is not None:
            self.pre_compact(trigger, instructions)
        from agentrun.context.compaction import compact

        pre = self.estimate()
        done = compact(
            self.model,
            self.conv.messages,
            tools=self.tools(),
            system=self.system,
            window=self.window,
            # /compact asks for room: only the last exchange stays verbatim.
            keep_tokens=int(self.threshold * KEEP_SHARE) if trigger == "auto" else 0,
            pre_tokens=pre,
            instructions=instructions,
        )
        if self.post_compact is not None:
            extra = self.post_compact()
            head = done.messages[0] if done.messages else None
            if extra and head is not None and head.get("role") == "user":
                blocks = head["content"]
                if isinstance(blocks, str):
                    blocks = [{"type": "text", "text": blocks}]
                added = {**head, "content": [*blocks, {"type": "text", "text": extra}]}
                done = dataclasses.replace(done, messages=[added, *done.messages[1:]])
        self.conv.messages = done.messages
        self._floor = len(done.messages)
        self._account(done.usage)
        self._known, self._known_len = done.post_tokens, len(done.messages)
        return self._boundary(trigger, pre, done.post_tokens, done, server=False)

    def _account(self, usage: Usage) -> None:
        from agentrun.core.pricing import cost_usd

        self.conv.usage += usage
        cost = cost_usd(self.model.model_id, usage)
        if cost is None or self.conv.cost_usd is None:
            self.conv.cost_usd = None
        else:
            self.conv.cost_usd += cost

    def _boundary(
        self, trigger: str, pre: int, post: int, done: object, *, server: bool
    ) -> CompactEvent:
        from agentrun.context.compaction import Compacted
        from agentrun.core.moreevents import CompactEvent

        self.compactions += 1
        entry: JSON = {
            "type": "compact_boundary",
            "trigger": trigger,
            "pre_tokens": pre,
            "post_tokens": post,
            "server": server,
            "ts": time.time(),
        }
        if isinstance(done, Compacted):
            entry["summary"] = done.summary
            entry["messages"] = done.messages
        self.persist(entry)
        event = CompactEvent(self.conv.session_id, trigger, pre, post, server=server)
        self.emit(event)
        return event
