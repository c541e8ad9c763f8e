"""What the gate needs to know about one Bash line: the simple commands as written (for allow
rules), every command it really runs (for deny and ask rules), whether that can be known from
the text at all, and the files its output redirections write."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from agentrun.permissions.bashrun import (
    UnverifiableError,
    _without_redirections,
    command_variants,
    commands_run,
)
from agentrun.permissions.cmdwrites import Writes, command_writes
from agentrun.permissions.codeinputs import script_args_write
from agentrun.permissions.fdwrites import FdMap, fd_map
from agentrun.permissions.runopts import python_module
from agentrun.permissions.shellparse import ShellParseError, split_commands
from agentrun.permissions.shellwords import is_redirection

__all__ = ["BashView", "view_bash"]

# `>`, `>>`, `>|`, `&>`, `&>>`, `<>`, `>&` (followed by a file name, not a descriptor), with an
# optional descriptor number in front; the target is the next word.
_WRITE_REDIRECTION = re.compile(r"\d*(?:>|>>|>\||&>|&>>|<>|>&)")
# Targets that are not files a write could change.
_HARMLESS_TARGETS = frozenset({"/dev/null", "/dev/tty"})
# A target the shell expands at run time (variables, substitutions, globs, braces, `~`: the
# jailed shell's HOME is not the user's).
_EXPANDED = re.compile(r"[$`*?\[\]{}]|^~")


@dataclass(frozen=True)
class BashView:
    parts: tuple[tuple[str, ...], ...]
    """The simple commands as written (allow rules must cover every one)."""
    runs: tuple[tuple[str, ...], ...]
    """Everything the line runs, through payloads and wrappers (deny and ask rules)."""
    unknown: str | None
    """Why what the line runs cannot be known from its text, or None."""
    targets: tuple[str, ...]
    """The files its output redirections write, as written."""
    unknown_targets: tuple[str, ...]
    """Redirection targets only known at run time (``> "$F"``, ``> *.txt``)."""
    local_program: str | None = None
    """A program run by path from outside the system's directories (``./x``): a deny rule
    cannot tell what it is (``cp /bin/rm x; ./x f``), an allow rule may still name it."""
    file_writes: tuple[tuple[str, str], ...] = ()
    """Files its commands' options and operands write (``sort -o f``), with what writes them."""
    dir_writes: tuple[tuple[str, str], ...] = ()
    """Directories its commands write into under names the text does not give (``tar -x``)."""
    opaque_writes: tuple[str, ...] = ()
    """Why its commands may write files the text does not name (``python -c``), if so."""


def view_bash(command: str) -> BashView:
    unparsed = False
    try:
        parts = tuple(p.words for p in split_commands(command))
    except ShellParseError:
        parts, unparsed = (), True
    try:
        runs = tuple(commands_run(command))
        unknown = None
    except UnverifiableError as e:
        runs, unknown = (), str(e)
    targets: list[str] = []
    unknown_targets: list[str] = []
    # after a `cd` in the same line, a relative target is relative to a directory the text
    # may not pin down (`cd "$D"`, `cd -`, `cd` in a subshell)
    moves = any(w and w[0] in ("cd", "pushd", "popd") for w in (*parts, *runs))
    fds = fd_map((*parts, *runs))
    for words in (*parts, *runs):
        for i, word in enumerate(words[:-1]):
            if not (is_redirection(word) and _WRITE_REDIRECTION.fullmatch(word)):
                continue
            for target in _through_fds(words[i + 1], fds, unknown_targets):
                if target in _HARMLESS_TARGETS:
                    continue
                opaque = bool(_EXPANDED.search(target)) or (moves and not target.startswith("/"))
                (unknown_targets if opaque else targets).append(target)
    local = next((w[0] for w in runs if _local_program(w)), None)
    found = _option_writes((*parts, *runs), moves, fds)
    if unparsed:  # a bare `Bash` rule may still run it: what it writes is not known
        found.opaque.append("the line could not be parsed, so the files it writes are unknown")
    return BashView(
        file_writes=tuple(dict.fromkeys(found.files)),
        dir_writes=tuple(dict.fromkeys(found.dirs)),
        opaque_writes=tuple(dict.fromkeys(found.opaque)),
        local_program=local,
        parts=parts,
        runs=runs,
        unknown=unknown,
        targets=tuple(dict.fromkeys(targets)),
        unknown_targets=tuple(dict.fromkeys(unknown_targets)),
    )


def _through_fds(target: str, fds: FdMap, unknown: list[str]) -> list[str]:
    """The files a write to ``target`` writes: itself, or those the descriptor it names was
    opened on (``3<f ... >/dev/fd/3``); a descriptor the line does not open is unknown."""
    resolved = fds.resolve(target)
    if resolved is None:
        return [target]
    if resolved[1]:
        unknown.append(target)
    return resolved[0]


def _option_writes(commands: tuple[tuple[str, ...], ...], moves: bool, fds: FdMap) -> Writes:
    """What the commands write through options and operands; a path only known at run time
    (expanded by the shell, or relative after a ``cd``) makes the write opaque."""
    found = Writes()
    seen: set[tuple[str, ...]] = set()
    for words in commands:
        for variant in command_variants(words):
            plain = _without_redirections(variant)
            if plain in seen:
                continue
            seen.add(plain)
            writes = command_writes(plain)
            found.opaque += writes.opaque
            if plain and (why := _script_args_write(plain)) is not None:
                found.opaque.append(why)
            for listed, into in ((writes.files, found.files), (writes.dirs, found.dirs)):
                for written, how in listed:
                    unknown: list[str] = []
                    for path in _through_fds(written, fds, unknown):
                        _add_write(found, into, path, how, moves)
                    found.opaque += [f"{how} writes {p!r}, a descriptor" for p in unknown]
    return found


def _script_args_write(words: tuple[str, ...]) -> str | None:
    name, args = words[0].rsplit("/", 1)[-1], words[1:]
    if (module := python_module(name, args)) is not None:
        name, args = module
    return script_args_write(name, args)


def _add_write(
    found: Writes, into: list[tuple[str, str]], path: str, how: str, moves: bool
) -> None:
    if path == "-" or path in _HARMLESS_TARGETS:
        return
    if into is found.dirs and path.endswith("/") and path.strip("/"):
        path = path.rstrip("/")
    if _EXPANDED.search(path) or (moves and not path.startswith("/")):
        found.opaque.append(f"{how} writes {path!r}, only known at run time")
    else:
        into.append((path, how))


_SYSTEM_DIRS = ("/bin/", "/usr/bin/", "/usr/local/bin/", "/sbin/", "/usr/sbin/", "/usr/local/sbin/")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def _local_program(words: tuple[str, ...]) -> bool:
    """A program the line names by path from outside the system's directories."""
    rest = list(itertools.dropwhile(_ASSIGNMENT.match, words))
    name = rest[0] if rest else ""
    return "/" in name and not name.startswith(_SYSTEM_DIRS)
