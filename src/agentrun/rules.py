"""What one permission rule matches: ``Tool`` or ``Tool(spec)``, in Claude Code's syntax.

- Bash specs: ``npm test`` exact, ``git diff:*`` prefix (word by word), ``git * main`` wildcard,
  each matched against one simple command (:mod:`agentrun.shellparse` finds them all). Deny and
  ask rules also look through wrappers and assignments (``env X=1 sudo rm`` runs ``rm``).
- Path specs (Read, Edit, Write, Glob, Grep): gitignore-style. ``//abs`` is absolute, ``~/p`` is
  under home, ``/p`` is relative to the settings file's project, ``p`` and ``./p`` to the working
  directory; a pattern without a slash matches at any depth. ``Read(...)`` also covers Glob and
  Grep (they read files), ``Edit(...)`` every tool that edits files.
- Bare names: ``Tool`` exactly, ``mcp__server`` for all of that server's tools.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.errors import ConfigError
from agentrun.pathutil import is_within
from agentrun.shellparse import ShellParseError, split_commands

if TYPE_CHECKING:
    from agentrun.types import JSON

__all__ = [
    "EDIT_TOOLS",
    "Rule",
    "bash_spec_matches",
    "bash_unverifiable",
    "command_variants",
    "split_rules",
    "tool_paths",
]

EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
# A path rule written for one tool covers its siblings (Claude Code: Read rules apply to Grep
# and Glob; Edit rules to every tool that edits files).
_PATH_FAMILY = {
    "Read": frozenset({"Read", "Glob", "Grep"}),
    "Edit": EDIT_TOOLS,
    "Write": frozenset({"Write"}),
    "Glob": frozenset({"Glob"}),
    "Grep": frozenset({"Grep"}),
}


@dataclass(frozen=True)
class Rule:
    """One permission rule: a tool name, optionally narrowed by a spec (``Bash(git:*)``)."""

    tool: str
    spec: str | None = None
    root: Path | None = None
    """Anchor for ``/path`` patterns (the settings file's project); None means the cwd."""

    @classmethod
    def parse(cls, text: str, *, root: Path | None = None) -> Rule:
        text = text.strip()
        m = re.fullmatch(r"([A-Za-z0-9_\-]+)(?:\((.*)\))?", text, flags=re.S)
        if not m:
            raise ConfigError(f"bad permission rule {text!r}: expected Tool or Tool(spec)")
        spec = m.group(2)
        return cls(tool=m.group(1), spec=spec if spec not in (None, "", "*") else None, root=root)

    def __str__(self) -> str:
        return self.tool if self.spec is None else f"{self.tool}({self.spec})"

    def matches(
        self, tool: str, tool_input: JSON, *, cwd: Path, home: Path, any_part: bool
    ) -> bool:
        """Whether this rule covers the call. ``any_part`` (deny/ask): one matching part of a
        compound command, or one spelling of a path, is enough; otherwise (allow) all must."""
        if self.spec is None:
            return self.tool == tool or (
                self.tool.startswith("mcp__") and tool.startswith(self.tool + "__")
            )
        if tool == "Bash" and self.tool == "Bash":
            return _bash_matches(self.spec, str(tool_input.get("command", "")), any_part=any_part)
        family = _PATH_FAMILY.get(self.tool)
        if family is None or tool not in family:
            return False
        paths = tool_paths(tool_input, tool, cwd)
        if not paths:
            return False
        regex, base = self._path_pattern(cwd, home)
        hits = [_path_matches(regex, base, p) for p in paths]
        # deny/ask if any spelling of the path matches; allow only if all do (symlinks)
        return any(hits) if any_part else all(hits)

    def _path_pattern(self, cwd: Path, home: Path) -> tuple[re.Pattern[str], Path]:
        spec = self.spec or ""
        if spec.startswith("//"):
            base, pat = Path("/"), spec[2:]
        elif spec.startswith("~/"):
            base, pat = home, spec[2:]
        elif spec.startswith("/"):
            base, pat = self.root or cwd, spec[1:]
        else:
            base, pat = cwd, spec[2:] if spec.startswith("./") else spec
        return _glob_regex(pat), base.resolve()


def split_rules(values: str | Iterable[str]) -> list[str]:
    """Split ``--allowedTools`` values on spaces and commas outside parentheses."""
    texts = [values] if isinstance(values, str) else list(values)
    out: list[str] = []
    for text in texts:
        depth, cur = 0, list[str]()
        for ch in text:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth = max(0, depth - 1)
            if depth == 0 and (ch in ", \t\n"):
                if cur:
                    out.append("".join(cur))
                cur = []
                continue
            cur.append(ch)
        if depth:
            raise ConfigError(f"bad permission rule {text!r}: unbalanced parentheses")
        if cur:
            out.append("".join(cur))
    return out


def tool_paths(tool_input: JSON, tool: str, cwd: Path) -> list[Path]:
    """The path a file tool acts on, as written (normalised) and with symlinks resolved."""
    key = "path" if tool in ("Glob", "Grep") else "file_path"
    raw = tool_input.get(key) or ("." if key == "path" else None)
    if not isinstance(raw, str) or not raw:
        return []
    normal = os.path.normpath(cwd / Path(raw).expanduser())
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")  # the kernel reads //etc as /etc; so do the rules
    lexical = Path(normal)
    return list(dict.fromkeys([lexical, lexical.resolve()]))


def bash_spec_matches(spec: str, words: tuple[str, ...]) -> bool:
    """One rule spec against one simple command's words (compared word by word, so quoting
    in the rule or the command does not matter)."""
    prefix = spec.endswith(":*")
    try:
        spec_parts = split_commands(spec.removesuffix(":*"))
    except ShellParseError:
        return False
    if len(spec_parts) != 1:
        return False
    want = spec_parts[0].words
    if prefix:
        return words[: len(want)] == want
    if "*" in spec:
        regex = ".*".join(re.escape(part) for part in spec.split("*"))
        return re.fullmatch(regex, " ".join(words), flags=re.S) is not None
    return words == want


def _bash_matches(spec: str, command: str, *, any_part: bool) -> bool:
    if any_part:
        # deny/ask: also what wrappers, `sh -c`, `eval` and `find -exec` would really run; a
        # line whose commands cannot all be known may match (ask or deny results, never allow)
        try:
            runs = _commands_run(command, 0)
        except _UnverifiableError:
            return True
        return any(bash_spec_matches(spec, words) for words in runs)
    try:
        parts = split_commands(command)
    except ShellParseError:
        return False
    return bool(parts) and all(bash_spec_matches(spec, p.words) for p in parts)


def bash_unverifiable(command: str) -> str | None:
    """Why deny and ask rules cannot be checked against ``command``, or None when they can.

    It cannot be checked when it runs code the text does not show: a line the parser cannot
    vouch for, a shell reading its commands from stdin (``curl ... | sh``, ``bash <<EOF``), a
    ``sh -c`` / ``eval`` payload built at run time (``bash -c "$CMD"``), or a command named by
    an expansion (``$(echo rm) x``). A literal payload is checked like the line itself:
    ``bash -c 'rm -rf x'`` runs ``rm``.
    """
    try:
        _commands_run(command, 0)
    except _UnverifiableError as e:
        return str(e)
    return None


class _UnverifiableError(Exception):
    pass


_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "fish", "rbash"})
_SHELL_OPTS_WITH_ARG = frozenset({"--rcfile", "--init-file"})
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_MAX_NESTING = 4
_REDIRECTION = re.compile(r"\d*(?:<<<|&>>|&>|>>|>\||<>|>|<)")


def _commands_run(command: str, depth: int) -> list[tuple[str, ...]]:
    """The word lists of every command ``command`` runs, wrappers and payloads unwrapped;
    raises :class:`_UnverifiableError` when some of them cannot be known from the text."""
    if depth > _MAX_NESTING:
        raise _UnverifiableError("shell payloads nest too deeply")
    try:
        parts = split_commands(command)
    except ShellParseError as e:
        raise _UnverifiableError(f"it could not be parsed ({e})") from e
    out: list[tuple[str, ...]] = []
    for part in parts:
        out.extend(_words_run(part.words, depth))
    return out


def _words_run(words: tuple[str, ...], depth: int) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for variant in command_variants(words):
        out.append(variant)
        name = variant[0]
        if not _ASSIGNMENT.fullmatch(name) and ("$" in name or "`" in name):
            raise _UnverifiableError(f"the command name {name!r} is only known at run time")
        base = name.rsplit("/", 1)[-1]
        if base == "find":
            for i, word in enumerate(variant):
                if word in _FIND_EXEC:
                    rest = variant[i + 1 :]
                    end = next((j for j, w in enumerate(rest) if w in (";", "+")), len(rest))
                    if rest[:end]:
                        out.extend(_words_run(rest[:end], depth + 1))
        payload = _payload(base, _without_redirections(variant[1:]))
        if payload is not None:
            out.extend(_commands_run(payload, depth + 1))
    return out


def _payload(name: str, args: tuple[str, ...]) -> str | None:
    """The command text ``name args`` hands to a shell, or None if it runs no shell code."""
    if name == "env":  # env -S 'rm -rf x' splits the string into a command
        flag = next((i for i, a in enumerate(args) if a in ("-S", "--split-string")), None)
        return " ".join(args[flag + 1 :]) or None if flag is not None else None
    if name == "eval":
        return " ".join(args) or None
    if name == "watch":  # watch [-n SECS] [options] COMMAND...: run through `sh -c`
        i = 0
        while i < len(args) and args[i].startswith("-"):
            i += 2 if args[i] in ("-n", "--interval", "-q", "--equexit") else 1
        return " ".join(args[i:]) or None
    if name == "su":
        flag = next((i for i, a in enumerate(args) if a in ("-c", "--command")), None)
        if flag is None:
            raise _UnverifiableError("su starts a shell whose commands are not in the text")
        return args[flag + 1] if flag + 1 < len(args) else None
    if name not in _SHELLS:
        return None
    i, command_flag, from_stdin = 0, False, False
    while i < len(args):
        arg = args[i]
        if arg in ("-", "--"):
            i += 1
            break
        if arg in _SHELL_OPTS_WITH_ARG:
            i += 2
        elif arg.startswith("--"):
            i += 1
        elif arg[:1] in "-+" and len(arg) > 1:
            letters = arg[1:]
            command_flag |= arg[0] == "-" and "c" in letters
            from_stdin |= arg[0] == "-" and "s" in letters
            i += 2 if ("o" in letters or "O" in letters) else 1  # -o pipefail, -eo pipefail
        else:
            break
    operands = args[i:]
    if command_flag:
        return operands[0] if operands else None
    if from_stdin or not operands:
        raise _UnverifiableError(f"{name} reads its commands from stdin")
    return None  # a script file: a program like any other


def _without_redirections(words: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.lstrip("0123456789").startswith("<<") and not word.endswith("<<<"):
            pass  # a heredoc: its body was cut out of the line, no target word follows
        elif _REDIRECTION.fullmatch(word):
            skip = True  # the target (file or string) is the next word
        elif re.fullmatch(r"\d*(?:>|<|&>)&[\d-]*", word):
            pass  # 2>&1, >&2, <&-
        else:
            out.append(word)
    return tuple(out)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """gitignore-style: ``**`` spans directories, ``*`` and ``?`` stay within one; a pattern
    with no inner slash matches at any depth; a match on a directory covers what is below it."""
    pattern = pattern.rstrip("/")
    anywhere = "/" not in pattern
    # `dir/**` also names `dir` itself (Glob/Grep given the directory as their path)
    if pattern.endswith("/**"):
        pattern = pattern[:-3]
    i, out = 0, []
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    return re.compile(("(?:.*/)?" if anywhere else "") + body + "(?:/.*)?", flags=re.S)


def _path_matches(regex: re.Pattern[str], base: Path, path: Path) -> bool:
    if path == base:
        return regex.fullmatch("") is not None
    if not is_within(path, base):
        return False
    return regex.fullmatch(path.relative_to(base).as_posix()) is not None


# Commands that run their arguments as another command, with the options they take before it
# (those in the value take an argument). `env rm x` or `sudo -u me rm x` still runs `rm`.
_WRAPPERS: dict[str, frozenset[str]] = {
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "sudo": frozenset({"-u", "-g", "-h", "-p", "-C", "-U", "-r", "-t", "-D"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o"}),
    "command": frozenset(),
    "builtin": frozenset(),
    "exec": frozenset({"-a"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "setsid": frozenset(),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
    "xargs": frozenset({"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--delimiter"}),
    "doas": frozenset({"-u", "-C"}),
    "busybox": frozenset(),
    "unbuffer": frozenset(),
    "chrt": frozenset(),
    "taskset": frozenset(),
}
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", flags=re.S)


def command_variants(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """``words`` and the commands it would really run, for deny rules: without leading
    ``NAME=value`` assignments, through wrappers (``env``, ``sudo``, ``timeout 5``, ``xargs``,
    ...) and with a path-qualified command named by its basename (``/bin/rm`` -> ``rm``)."""
    out = [words]
    rest = words
    while rest:
        i = 0
        while i < len(rest) and _ASSIGNMENT.fullmatch(rest[i]):
            i += 1
        if i < len(rest) and "/" in rest[i]:
            out.append((rest[i].rsplit("/", 1)[1], *rest[i + 1 :]))
        name = rest[i].rsplit("/", 1)[-1] if i < len(rest) else ""
        if name not in _WRAPPERS:
            if i:
                out.append(rest[i:])
            break
        i += 1
        takes_arg = _WRAPPERS[name]
        while i < len(rest) and (rest[i].startswith("-") or _ASSIGNMENT.fullmatch(rest[i])):
            i += 2 if rest[i] in takes_arg else 1
        if name == "timeout" and i < len(rest):
            i += 1  # the duration
        rest = rest[i:]
        if rest:
            out.append(rest)
    return list(dict.fromkeys(v for v in out if v))
