"""Git config files read as text, every include followed: what the user's git may run or read
from them, whatever directory it is started in.

``includeIf "gitdir:~/work/"`` is false where agentrun runs but true in the user's next
``git commit`` there, so conditions are not judged: every ``include.path`` and
``includeIf.*.path`` is followed (relative to the including file's directory, as git does),
to a depth limit. Nothing is executed."""

from __future__ import annotations

import os
import re
from pathlib import Path

_DEPTH = 10
"""Includes followed in a chain (git itself stops at 10)."""

_SECTION = re.compile(r'^\[\s*([^\]\s"]+)\s*(?:"((?:[^"\\]|\\.)*)")?\s*\]')


def config_entries(files: list[Path]) -> list[tuple[Path, str, str]]:
    """``(file, key, value)`` of every entry of ``files`` and of every file they include
    (listed as ``include.path`` entries with the resolved path as value); keys lower-cased
    except a subsection (``diff.Bin.textconv`` stays as written)."""
    out: list[tuple[Path, str, str]] = []
    seen: set[Path] = set()
    for f in files:
        _read(f, 0, seen, out)
    return out


def _read(path: Path, depth: int, seen: set[Path], out: list[tuple[Path, str, str]]) -> None:
    real = Path(os.path.realpath(path))
    if depth > _DEPTH or real in seen:
        return
    seen.add(real)
    try:
        text = real.read_text(errors="replace")
    except OSError:
        return
    for key, value in _entries(text):
        if key == "include.path" or (key.startswith("includeif.") and key.endswith(".path")):
            if not value:
                continue
            target = Path(value).expanduser()
            # relative to the including file as named, and as resolved (a symlinked
            # ~/.gitconfig): whichever git takes, both are followed
            bases = dict.fromkeys([path.parent, real.parent]) if not target.is_absolute() else {}
            for where in [Path(os.path.realpath(b / target)) for b in bases] or [target]:
                where = Path(os.path.realpath(where))
                out.append((path, "include.path", str(where)))
                _read(where, depth + 1, seen, out)
        else:
            out.append((path, key, value))


def _entries(text: str) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs of one config file, in order."""
    out: list[tuple[str, str]] = []
    section = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        while line.startswith("["):
            m = _SECTION.match(line)
            if m is None:
                line = ""
                break
            name, sub = m.group(1), m.group(2)
            section = name.lower() if sub is None else f"{name.lower()}.{_unquote(sub)}"
            if sub is None and "." in name:  # [section.sub]: the old form
                head, _, rest = name.partition(".")
                section = f"{head.lower()}.{rest}"
            line = line[m.end() :].strip()
        if not line or line[0] in "#;":
            continue
        name, eq, raw = line.partition("=")
        if not eq:
            out.append((f"{section}.{name.strip().lower()}", "true"))
            continue
        value, more = _value(raw)
        while more and i < len(lines):
            tail, more = _value(lines[i])
            value += tail
            i += 1
        out.append((f"{section}.{name.strip().lower()}", value.strip()))
    return out


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def _value(raw: str) -> tuple[str, bool]:
    """A value's text (quotes and escapes resolved, comment dropped), and whether it goes on
    on the next line (a trailing backslash)."""
    out: list[str] = []
    quoted = False
    j = 0
    while j < len(raw):
        c = raw[j]
        if c == "\\":
            if j + 1 >= len(raw):
                return "".join(out), True
            nxt = raw[j + 1]
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(nxt, nxt))
            j += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c in "#;" and not quoted:
            break
        else:
            out.append(c)
        j += 1
    return "".join(out), False


_WORD_SPLIT = re.compile(r"""[\s;|&()'"`<>=!,]+""")


def path_words(value: str, home: Path) -> list[Path]:
    """The absolute or ``~/`` (``$HOME/``) path-like words of a command or path value,
    resolved."""
    out: list[Path] = []
    value = value.replace("${HOME}", "~").replace("$HOME", "~")
    for word in _WORD_SPLIT.split(value):
        if word.startswith("~/") or word == "~":
            word = str(home / word[2:])
        if word.startswith("/"):
            out.append(Path(os.path.realpath(word)))
    return out
