"""The one rule for keeping secrets out of what agentrun writes: transcripts and recordings.

A transcript or a recording holds what tools printed and read, so a key a command echoed, a
config file, a ``curl -H 'x-api-key: ...'`` line can all end up there. Before anything is
written, :func:`redact` replaces:

- the values of the API key variables (:func:`env_secrets`), wherever they appear;
- anything shaped like a key: ``sk-ant-...``, other vendors' ``sk-...``, a ``Bearer`` token;
- the value of an ``x-api-key``/``api_key``/``authorization``/``auth_token``/``secret`` header
  or assignment in text, and of a mapping field with such a name;
- the password of basic auth in a URL (``https://user:PASSWORD@host``);
- the value of an environment-style assignment to a capitalised name ending in ``TOKEN``,
  ``SECRET``, ``PASSWORD``, ``API_KEY``, ``ACCESS_KEY`` or ``PRIVATE_KEY`` (an ``env`` dump);
- GitHub (``ghp_...``, ``github_pat_...``), AWS key id (``AKIA...``) and Slack (``xox?-...``)
  token shapes anywhere.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

__all__ = ["REDACTED", "env_secrets", "redact"]

REDACTED = "[REDACTED]"

SECRET_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
"""Environment variables whose values must never be written, wherever they show up."""

_NAME = r"(?:x-)?(?:api[-_]?key|authorization|auth[-_]?token|secret)"
# An environment dump (`env`, /proc/*/environ, a `.env` file) names its secrets in capitals:
# GITHUB_TOKEN=..., AWS_SECRET_ACCESS_KEY=..., DB_PASSWORD=...
_ENV_NAME = r"\b[A-Z][A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|PRIVATE_KEY)"
# Each alternative keeps what names the secret (group 1 or 2) and replaces what follows it.
_PATTERN_TEXT = (
    # a header or assignment: `x-api-key: VALUE`, `"authorization": "Basic VALUE"`, `secret=V`;
    # only a token-like value, so that code (`api_key = os.environ["KEY"]`) reads the same
    rf"(?i:(\b{_NAME}[\"']?\s*[:=]\s*[\"']?(?:(?:basic|bearer|token)\s+)?)"
    r"[A-Za-z0-9._~+/\-]{8,}=*(?=[\s\"',;&]|$))"
    # basic auth in a URL: scheme://user:PASSWORD@host
    r"|(?i:(\b[a-z][a-z0-9+.\-]*://[^/\s:@]+:)[^/\s@]+(?=@))"
    # an environment-style assignment of a secret-named variable
    rf"|({_ENV_NAME}[\"']?\s*[:=]\s*[\"']?)[^\s\"']{{8,}}"
    # key shapes anywhere: Anthropic and other `sk-` keys, GitHub, AWS key ids, Slack
    r"|sk-ant-[A-Za-z0-9_\-]{8,}|\bsk-[A-Za-z0-9_\-]{20,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"
    r"|\bAKIA[0-9A-Z]{16}\b|\bxox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/\-]{16,}=*"
)


# Text each pattern above needs somewhere in what it matches (a name holds "key", "auth",
# "secret", "token" or "passw"; a token shape starts with its vendor's prefix), under the same
# case folding. Most text has none, and this compiles in ~0.05 ms
# where the full patterns take ~1 ms: one search spares most runs compiling them at all.
_NEEDED_TEXT = r"(?i)key|auth|secret|token|passw|bearer|sk-|://|gh[pousr]_|github_pat_|akia|xox"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Compiled at the first use, not on import: every session imports this module."""
    return re.compile(_PATTERN_TEXT), re.compile(rf"(?i)^{_NAME}$")


@functools.cache
def _needed() -> re.Pattern[str]:
    return re.compile(_NEEDED_TEXT)


def env_secrets() -> tuple[str, ...]:
    """The values of the API key variables set now (long enough not to be a false match)."""
    return tuple(v for name in SECRET_ENV if len(v := os.environ.get(name, "")) >= 8)


def _replace(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2) or match.group(3) or "") + REDACTED


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with ``secrets`` and anything key-like replaced by ``[REDACTED]``."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    if not _needed().search(text):
        return text
    return _patterns()[0].sub(_replace, text)


def redact(value: Any, *, secrets: tuple[str, ...] = ()) -> Any:
    """``value`` (JSON-shaped: mappings, lists, strings, ...) with every secret replaced by
    ``[REDACTED]``, recursively; a string field named like a credential is replaced whole.
    ``secrets`` are literal values to remove as well (callers pass :func:`env_secrets`)."""
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {
            key: REDACTED
            if isinstance(key, str)
            and isinstance(item, str)
            and _needed().search(key)
            and _patterns()[1].match(key)
            else redact(item, secrets=secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item, secrets=secrets) for item in value]
    return value
