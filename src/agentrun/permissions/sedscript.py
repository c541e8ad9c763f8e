"""What a GNU sed call does besides printing: the files its script writes (``w F``, ``W F``,
``s/a/b/w F``), whether it runs shell code (``e``, ``s/a/b/e``), and the files ``-i`` edits.

The script is parsed the way sed parses it (addresses ``N``, ``$``, ``/re/``, ``\\cREc``,
``first,last``, ``!``; commands separated by ``;`` or newlines; ``{}`` blocks), so ``/error/p``
is not an ``e`` and ``1wF`` is a ``w``. A script it cannot follow, or one read from a file, is
reported as unsure: the caller treats it as writing and running what the text does not name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["SedCall", "read_sed"]

_LONG = (
    "expression", "file", "in-place", "line-length", "quiet", "silent", "sandbox", "separate",
    "null-data", "zero-terminated", "regexp-extended", "posix", "debug", "follow-symlinks",
    "unbuffered", "binary", "help", "version",
)  # fmt: skip
_LONG_ARGS = ("expression", "file", "line-length")
_NO_ARG = frozenset("=dDgGhHnNpPxzF")
_NUMBER_ARG = frozenset("lLqQ")
_TEXT = frozenset("aic")
_LABEL = frozenset(":btTv")
_FLAGS = re.compile(r"[gpiImMe0-9 \t]*")  # GNU sed allows blanks among the flags


@dataclass
class SedCall:
    scripts: list[str] = field(default_factory=list)
    from_file: bool = False
    in_place: str | None = None
    sandbox: bool = False
    operands: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    runs: bool = False
    unsure: bool = False


def _long(word: str) -> str | None:
    """The sed long option ``--word`` abbreviates (any unambiguous prefix), or None."""
    name = word[2:].split("=", 1)[0]
    hits = [n for n in _LONG if n.startswith(name)] if name else []
    exact = name if name in _LONG else None
    return exact or (hits[0] if len(hits) == 1 else None)


def read_sed(args: tuple[str, ...]) -> SedCall:
    call = SedCall()
    rest: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        i += 1
        if word == "--":
            rest += args[i:]  # `-- --sandbox` is a file name
            break
        if word.startswith("--"):
            name = _long(word)
            if name is None:
                call.unsure = True  # an ambiguous or unknown option: sed would refuse it
                continue
            value = word.split("=", 1)[1] if "=" in word else None
            if name in _LONG_ARGS and value is None:
                value, i = nxt, i + 1
            if name == "expression":
                call.scripts.append(value or "")
            elif name == "file":
                call.from_file = True
            elif name == "in-place":
                call.in_place = value or ""
            elif name == "sandbox":
                call.sandbox = True
            continue
        if not word.startswith("-") or word == "-":
            rest.append(word)
            continue
        for k, letter in enumerate(word[1:], start=1):
            attached = word[k + 1 :]
            if letter in "efl":
                value = attached or nxt
                i += 0 if attached else 1
                if letter == "e":
                    call.scripts.append(value or "")
                elif letter == "f":
                    call.from_file = True
                break
            if letter == "i":
                call.in_place = attached
                break
    if not call.scripts and not call.from_file and rest:
        call.scripts.append(rest.pop(0))
    call.operands = rest
    if call.from_file:
        call.unsure = True
    _scan(call, "\n".join(call.scripts))
    return call


def _scan(call: SedCall, s: str) -> None:
    i, n = 0, len(s)

    def regex(start: int, delim: str) -> int:
        """The index just past the closing ``delim`` of a regex or replacement."""
        j = start
        while j < n and s[j] != delim:
            j += 2 if s[j] == "\\" else 1
        if j >= n:
            raise ValueError("unterminated")
        return j + 1

    def to_eol(start: int) -> tuple[str, int]:
        end = s.find("\n", start)
        end = n if end < 0 else end
        return s[start:end], end

    def address(j: int) -> int:
        if j < n and s[j] == "/":
            j = regex(j + 1, "/")
        elif j < n and s[j] == "\\" and j + 1 < n:
            j = regex(j + 2, s[j + 1])
        elif j < n and s[j] == "$":
            return j + 1
        else:
            m = re.match(r"[+~]?\d+(?:~\d+)?", s[j:])
            return j + m.end() if m else j
        while j < n and s[j] in "IM":
            j += 1
        return j

    try:
        while i < n:
            while i < n and s[i] in " \t\n;":
                i += 1
            if i >= n:
                break
            i = address(i)
            while i < n and s[i] in " \t":
                i += 1
            if i < n and s[i] == ",":
                i = address(i + 1)
            while i < n and s[i] in " \t!":
                i += 1
            if i >= n:
                raise ValueError("missing command")
            c = s[i]
            i += 1
            if c in "{}":
                continue
            if c == "#":
                i = to_eol(i)[1]
                continue
            if c in _TEXT:
                while True:  # `a\` continues on the next line
                    line, i = to_eol(i)
                    if not line.endswith("\\") or i >= n:
                        break
                    i += 1
                continue
            if c in "rRwW":
                name, i = to_eol(i)
                if c in "wW":
                    _write(call, name)
                continue
            if c == "e":
                call.runs = True
                i = to_eol(i)[1]
                continue
            if c in _LABEL:
                while i < n and s[i] not in ";\n":
                    i += 1
                continue
            if c in _NUMBER_ARG:
                while i < n and (s[i].isdigit() or s[i] in " \t"):
                    i += 1
            elif c in "sy":
                if i >= n or s[i] in "\n\\":
                    raise ValueError("bad delimiter")
                delim = s[i]
                i = regex(regex(i + 1, delim), delim)
                if c == "s":
                    m = _FLAGS.match(s, i)
                    assert m is not None
                    call.runs |= "e" in m.group(0)
                    i = m.end()
                    if i < n and s[i] == "w":
                        name, i = to_eol(i + 1)
                        _write(call, name)
                        continue
            elif c not in _NO_ARG:
                raise ValueError(f"unknown command {c!r}")
            while i < n and s[i] in " \t":
                i += 1
            if i < n and s[i] not in ";\n}#":
                raise ValueError("junk after a command")
    except ValueError:
        call.unsure = True


def _write(call: SedCall, name: str) -> None:
    # sed skips the blanks before the name and keeps the rest of the line
    if name.lstrip(" \t"):
        call.writes.append(name.lstrip(" \t"))
    else:
        call.unsure = True
