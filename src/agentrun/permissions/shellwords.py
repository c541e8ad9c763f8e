"""The words of a bash line the scanner of :mod:`agentrun.permissions.shellparse` checks:
reserved words (which must pair up as bash pairs them), and the shapes of expansions, heredoc
delimiters and redirections it can vouch for."""

from __future__ import annotations

import re


class ShellParseError(ValueError):
    """The command line is not understood well enough to vouch for what it runs."""


class RedirOp(str):
    """A redirection operator the scanner read unquoted (``>``, ``2>&1``, ``<<EOF``): only
    these redirect. A quoted ``'>'`` is a plain ``str`` argument (``grep '>' f``); the type
    survives slicing and tuples, so later steps tell the two apart without re-parsing."""

    __slots__ = ()


def is_redirection(word: str) -> bool:
    return isinstance(word, RedirOp)


# Reserved words that may start a command but are not the command itself; stripping them
# exposes ``rm`` in ``if x; then rm y; fi`` to the rules.
_PREFIX_KEYWORDS = frozenset({"if", "then", "else", "elif", "while", "until", "do", "!", "{"})
_CLOSING_KEYWORDS = frozenset({"fi", "done", "}", "esac"})

_OPENS = {"{": "}", "if": "fi", "do": "done"}
_INSIDE = {"then": "fi", "elif": "fi", "else": "fi"}


def _balanced_parens(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _strip_keywords(words: list[str], plain: list[bool], opened: list[str]) -> list[str]:
    """``words`` without the reserved words around the command (``if x``, ``{ rm y``, ``fi``),
    which must pair up as bash pairs them; reserved words are only those in command position
    and unquoted (``'{' x`` runs a command named ``{``)."""
    start = 0
    while start < len(words) and plain[start] and words[start] in _PREFIX_KEYWORDS:
        word = words[start]
        if word in _OPENS:
            opened.append(_OPENS[word])
        elif word in _INSIDE and (not opened or opened[-1] != _INSIDE[word]):
            raise ShellParseError(f"{word!r} outside an 'if'")
        start += 1
    if start < len(words) and plain[start] and words[start] in _CLOSING_KEYWORDS:
        word = words[start]
        if not opened or opened[-1] != word:
            raise ShellParseError(f"{word!r} closes nothing")
        opened.pop()
        rest = words[start + 1 :]
        if rest and not is_redirection(rest[0]):
            raise ShellParseError(f"words after {word!r}")
        return rest  # a group's redirections (`{ a; } > f`) are still writes
    if start < len(words) and plain[start] and words[start] == "[[" and words[-1] != "]]":
        raise ShellParseError("'[[' without ']]'")
    if start < len(words) and words[start] in ("function", "coproc", "select", "case"):
        # bodies and names these introduce hide what runs; refuse rather than guess
        raise ShellParseError(f"'{words[start]}' is not supported")
    return words[start:]


# `$(( 1 + 2 ))`: numbers and operators only, no names (whose values bash evaluates in turn).
_PLAIN_ARITHMETIC = re.compile(r"[0-9\s+\-*/%<>=!&|^~?:()]*")
# `${name}`, `${#name}`, `${name:-word}`, `${name%pattern}`...: no subscripts, indirection,
# substring offsets (arithmetic) or substitutions.
_PLAIN_PARAMETER = re.compile(
    r"\$\{#?(?:[A-Za-z_][A-Za-z0-9_]*(?:\[(?:[0-9]+|[@*])\])?|[0-9]|[@*#?$!-])(?:(?::?[-=?+]|[#%]{1,2}|/{1,2}|\^{1,2}|,{1,2})[^$`\[\]{}\\'\"]*)?\}"
)
_HEREDOC_DELIMITER = re.compile(r"'[\w.-]+'|\"[\w.-]+\"|\\?[\w.-]+")
_REDIRECTION_WORD = re.compile(r"\d*(?:<|>|&>)")
