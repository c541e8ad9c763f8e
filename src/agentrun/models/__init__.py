"""Models: the Anthropic adapter, scripted and function models, record/replay.

:func:`resolve_model` turns a ``--model`` SPEC (or the agent file's ``model``) into a Model. Each
implementation module is imported only when chosen, so ``anthropic`` is never imported for
scripted or replayed runs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.core.errors import ConfigError, MissingApiKeyError
from agentrun.core.pricing import ALIASES, DEFAULT_ALIAS, resolve_alias

if TYPE_CHECKING:
    from agentrun.core.protocols import Model

__all__ = ["ALIASES", "default_model_id", "resolve_model"]

_DEFAULTS = (None, "", "inherit", "default")
SPEC_PREFIXES = ("script:", "replay:")
_SPEC_PREFIX = re.compile(r"[A-Za-z]+:")
_SCRIPT_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")


def default_model_id() -> str:
    """``ANTHROPIC_MODEL`` if set, else the sonnet alias's id."""
    return resolve_alias(os.environ.get("ANTHROPIC_MODEL") or DEFAULT_ALIAS)


def resolve_model(
    spec: str | None,
    *,
    agent_model: str | None = None,
    record: Path | str | None = None,
    replay_drift: str = "error",
    max_retries: int | None = None,
) -> Model:
    """The model for a run. ``spec`` (``--model``) wins over ``agent_model``; ``inherit``,
    ``default`` (both seen in agent files) or nothing means :func:`default_model_id`.

    SPEC forms: an alias (``sonnet``, ``opus``, ``haiku``, ``fable``), a model id,
    ``script:PATH``, ``replay:PATH``. A real model without ``ANTHROPIC_API_KEY`` (or
    ``ANTHROPIC_AUTH_TOKEN``) raises :class:`MissingApiKeyError` here, before any call.
    ``record`` wraps the model in a :class:`RecordingModel` writing to that path.
    ``max_retries`` defaults to ``$AGENTRUN_MAX_RETRIES``, else the SDK's 2.
    """
    chosen = spec if spec not in _DEFAULTS else agent_model
    if chosen in _DEFAULTS:
        chosen = default_model_id()
    assert chosen is not None
    model: Model
    if chosen.startswith("script:"):
        from agentrun.models.scripted import ScriptedModel

        model = ScriptedModel.load(_spec_path(chosen, "script:"))
    elif chosen.startswith("replay:"):
        from agentrun.models.replay import ReplayModel

        if replay_drift not in ("error", "warn"):
            raise ConfigError(f"--replay-drift must be 'error' or 'warn', not {replay_drift!r}")
        model = ReplayModel(_spec_path(chosen, "replay:"), drift=replay_drift)
    elif (problem := _unknown_prefix(chosen)) is not None:
        raise ConfigError(problem)
    else:
        if not (os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN")):
            raise MissingApiKeyError(
                f"model {chosen!r} needs ANTHROPIC_API_KEY to be set "
                "(or use --model script:PATH for an offline scripted run)"
            )
        from agentrun.models.anthropic import AnthropicModel

        model = AnthropicModel(resolve_alias(chosen), max_retries=_retries(max_retries))
    if record is not None:
        from agentrun.models.recording import RecordingModel

        model = RecordingModel(model, Path(record))
    return model


def _unknown_prefix(spec: str) -> str | None:
    """The usage error for a mistyped spec prefix (``scrpt:t.yaml``), which would otherwise
    be taken for a model id and ask for an API key. A ``word:`` prefix counts as one when it
    is close to a known prefix or what follows it looks like a file; anything else (a model
    id behind a proxy, ``name:tag``) is left to be a model id."""
    import difflib

    match = _SPEC_PREFIX.match(spec)
    if match is None:
        return None
    prefix, rest = match.group(0), spec[match.end() :]
    close = difflib.get_close_matches(prefix.lower(), SPEC_PREFIXES, n=1, cutoff=0.6)
    if not close and "/" not in rest and not rest.lower().endswith(_SCRIPT_SUFFIXES):
        return None
    hint = f"; did you mean {close[0]}{rest}?" if close else ""
    return (
        f"unknown model spec {spec!r}: {prefix!r} is not a known prefix "
        f"({', '.join(p + 'PATH' for p in SPEC_PREFIXES)}){hint}"
    )


def _spec_path(spec: str, prefix: str) -> Path:
    raw = spec[len(prefix) :]
    if not raw:
        raise ConfigError(f"--model {prefix}PATH needs a path")
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ConfigError(f"--model {spec}: no such file")
    return path


def _retries(value: int | None) -> int:
    if value is not None:
        return value
    raw = os.environ.get("AGENTRUN_MAX_RETRIES", "2")
    try:
        return max(0, int(raw))
    except ValueError:
        raise ConfigError(f"AGENTRUN_MAX_RETRIES must be a whole number, not {raw!r}") from None
