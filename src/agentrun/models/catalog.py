"""What each model supports, in one table, and the request options that follow from it.

Claude Code (2.1.332) sends a current model ``thinking: {"type": "adaptive", "display":
"updates"}``, ``output_config: {"effort": "medium"}``, ``max_tokens: 128000`` and
``context_management: {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}``.
:func:`request_options` builds the same for a model whose row says it supports each part, and
leaves out what a model lacks: an older model (or an id this table does not know, e.g. a
proxy's) gets a plain request, never an error. Windows and output limits are Anthropic's model
pages (Dec 2026). Aliases live in :mod:`agentrun.core.pricing` (``ALIASES``), next to prices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentrun.core.pricing import resolve_alias

if TYPE_CHECKING:
    from agentrun.core.types import JSON, ModelRequest

EFFORT_LEVELS = ("low", "medium", "high", "xhigh", "max")
"""Every effort level the API knows, lowest first."""
DEFAULT_EFFORT = "medium"
"""Claude Code's default effort."""
CONTEXT_EDIT_BETA = "context-management-2025-06-27"
COMPACT_BETA = "compact-2026-01-12"
COMPACT_EDIT = "compact_20260112"
CLEAR_THINKING_EDIT: JSON = {"type": "clear_thinking_20251015", "keep": "all"}

SUMMARY_PROMPT = (
    "[agentrun compaction] Your context window is nearly full. Write a summary of this "
    "conversation so far that lets you continue the task without the earlier messages: the "
    "user's requests, what has been done and found (files, functions, commands and their "
    "outcomes, errors and how they were fixed), decisions made, and what is left to do next. "
    "Reply with the summary only; call no tools."
)
"""The runtime's own summary request (model-facing text). Its first words are how a scripted
model, or the fake API serving one, tells this request from a turn."""
SUMMARY_TAG = "[agentrun compaction]"


def is_summary_request(request: ModelRequest) -> bool:
    """Whether ``request`` is the runtime's own summary request (its last text is the prompt)."""
    if not request.messages or request.messages[-1].get("role") != "user":
        return False
    content = request.messages[-1]["content"]
    blocks = [content] if isinstance(content, str) else [b.get("text") for b in content]
    last = blocks[-1] if blocks else None
    return isinstance(last, str) and last.startswith(SUMMARY_TAG)


_ALL = EFFORT_LEVELS
_NO_MAX = ("low", "medium", "high", "xhigh")


@dataclass(frozen=True)
class ModelInfo:
    """One model's limits and features."""

    window: int
    """Context window, tokens."""
    max_output: int
    """The largest ``max_tokens`` it accepts."""
    adaptive_thinking: bool = False
    effort_levels: tuple[str, ...] = ()
    """The ``output_config.effort`` levels it accepts; empty: no effort parameter."""
    context_edits: bool = False
    """``context_management`` edits (``clear_thinking``, ``clear_tool_uses``) are accepted."""
    compaction: bool = False
    """Server-side compaction (``compact_20260112``) is accepted."""


UNKNOWN = ModelInfo(window=200_000, max_output=32_000)
"""What a model this table does not know is assumed to have: the request agentrun always sent."""

MODELS: dict[str, ModelInfo] = {
    "claude-fable-5-2": ModelInfo(1_000_000, 128_000, True, _ALL, True, True),
    "claude-opus-5-5": ModelInfo(1_000_000, 128_000, True, _ALL, True, True),
    "claude-sonnet-5-5": ModelInfo(1_000_000, 128_000, True, _NO_MAX, True, True),
    "claude-haiku-5-5": ModelInfo(200_000, 64_000, True, _NO_MAX, True, True),
    # Earlier models: extended (not adaptive) thinking, no effort, no server-side compaction.
    "claude-opus-4-5": ModelInfo(200_000, 64_000, context_edits=True),
    "claude-opus-4-1": ModelInfo(200_000, 32_000, context_edits=True),
    "claude-opus-4": ModelInfo(200_000, 32_000, context_edits=True),
    "claude-sonnet-4-5": ModelInfo(200_000, 64_000, context_edits=True),
    "claude-sonnet-4": ModelInfo(200_000, 64_000, context_edits=True),
    "claude-haiku-4-5": ModelInfo(200_000, 64_000, context_edits=True),
    "claude-3-7-sonnet": ModelInfo(200_000, 64_000),
    "claude-3-5-haiku": ModelInfo(200_000, 8_192),
}

_SNAPSHOT = re.compile(r"(.+)-(?:\d{8}|latest)")


def model_info(model: str) -> ModelInfo:
    """The row of ``model`` (an alias, an id, or a dated snapshot of one); :data:`UNKNOWN` else."""
    model_id = resolve_alias(model)
    match = _SNAPSHOT.fullmatch(model_id)
    return MODELS.get(match.group(1) if match else model_id, UNKNOWN)


def check_effort(level: str | None) -> str | None:
    """``level`` if it is an effort level (or None); the usage error text otherwise."""
    if level is None or level in EFFORT_LEVELS:
        return None
    return f"unknown effort level {level!r}; choose one of {', '.join(EFFORT_LEVELS)}"


def effective_effort(info: ModelInfo, wanted: str | None) -> str | None:
    """The level sent: ``wanted`` (default :data:`DEFAULT_EFFORT`), lowered to the highest level
    the model accepts when it lacks that one (``max`` on a model without it is its ``xhigh``);
    None for a model without effort."""
    if not info.effort_levels:
        return None
    wanted = wanted or DEFAULT_EFFORT
    rank = EFFORT_LEVELS.index(wanted) if wanted in EFFORT_LEVELS else 1
    usable = [level for level in info.effort_levels if EFFORT_LEVELS.index(level) <= rank]
    return usable[-1] if usable else info.effort_levels[0]


@dataclass(frozen=True)
class RequestOptions:
    """What a request to one model carries besides its conversation."""

    max_tokens: int
    fields: JSON
    """Extra top-level request fields (``thinking``, ``output_config``, ``context_management``)."""
    betas: tuple[str, ...] = ()
    """``anthropic-beta`` values the fields need."""


def request_options(
    model: str,
    *,
    effort: str | None = None,
    compact_at: int | None = None,
    compact_instructions: str | None = None,
) -> RequestOptions:
    """Claude Code's request options for ``model``, limited to what it supports.

    ``compact_at`` (tokens) asks for server-side compaction at that input size when the model
    has it; the caller compacts on its own otherwise (see :mod:`agentrun.context`)."""
    info = model_info(model)
    fields: JSON = {}
    betas: list[str] = []
    if info.adaptive_thinking:
        fields["thinking"] = {"type": "adaptive", "display": "updates"}
    level = effective_effort(info, effort)
    if level is not None:
        fields["output_config"] = {"effort": level}
    edits: list[JSON] = []
    if info.context_edits and info.adaptive_thinking:
        # clear_thinking needs thinking on; "keep all" only asks the API to keep it as sent.
        edits.append(dict(CLEAR_THINKING_EDIT))
    if info.compaction and compact_at is not None:
        edit: JSON = {
            "type": COMPACT_EDIT,
            "trigger": {"type": "input_tokens", "value": compact_at},
        }
        if compact_instructions:
            edit["instructions"] = compact_instructions
        edits.append(edit)
        betas.append(COMPACT_BETA)
    if edits:
        fields["context_management"] = {"edits": edits}
        betas.insert(0, CONTEXT_EDIT_BETA)
    return RequestOptions(max_tokens=info.max_output, fields=fields, betas=tuple(betas))
