"""What one permission rule matches: ``Tool`` or ``Tool(spec)``, in Claude Code's syntax.

- Bash specs: ``npm test`` exact, ``git diff:*`` prefix (word by word), ``git * main`` wildcard,
  each matched against one simple command (:mod:`agentrun.permissions.shellparse` finds them
  all). Deny and ask rules also look through assignments and shell payloads (``bash -c 'rm x'``
  runs ``rm``; :mod:`agentrun.permissions.bashrun` finds what a line really runs, or says it
  cannot be known from the text).
- Path specs (Read, Edit, Write, Glob, Grep): gitignore-style. ``//abs`` is absolute, ``~/p`` is
  under home, ``/p`` is relative to the settings file's project, ``p`` and ``./p`` to the working
  directory; a pattern without a slash matches at any depth. ``Read(...)`` also covers Glob and
  Grep (they read files), ``Edit(...)`` every tool that edits files.
- WebFetch specs: ``domain:example.com`` (that host), ``domain:*.example.com`` (below it);
  see :mod:`agentrun.permissions.webrules`.
- Bare names: ``Tool`` exactly, ``mcp__server`` for all of that server's tools.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.core.errors import ConfigError
from agentrun.core.pathutil import is_within

if TYPE_CHECKING:
    from agentrun.core.types import JSON
    from agentrun.permissions.bashview import BashView

__all__ = [
    "EDIT_TOOLS",
    "Rule",
    "agent_limits",
    "bash_covered",
    "bash_deny_matches",
    "bash_spec_matches",
    "existing_paths",
    "glob_escape",
    "path_key",
    "split_rules",
    "tool_paths",
]

EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
DELEGATION_TOOLS = frozenset({"Task", "Agent"})
KILL_TOOLS = frozenset({"KillShell", "KillBash"})
"""KillShell under its new and old names: a rule for one covers both."""
DIR_TOOLS = frozenset({"Glob", "Grep", "LS"})
"""The file tools whose input names a directory (``path``, default the cwd)."""
"""Claude Code's delegation tool under its old and new names: a rule for one covers both."""
# A path rule written for one tool covers its siblings (Claude Code: Read rules apply to Grep
# and Glob; Edit rules to every tool that edits files).
_PATH_FAMILY = {
    "Read": frozenset({"Read", "Glob", "Grep", "LS"}),
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
    words: tuple[str, ...] | None = None
    """For a Bash grant ("always"): the exact command the user saw; ``*`` in it is literal."""

    @classmethod
    def parse(cls, text: str, *, root: Path | None = None) -> Rule:
        text = text.strip()
        m = re.fullmatch(
            r"([A-Za-z0-9_\-]+|mcp__[A-Za-z0-9_\-]+__\*)(?:\((.*)\))?", text, flags=re.S
        )
        if not m:
            raise ConfigError(f"bad permission rule {text!r}: expected Tool or Tool(spec)")
        spec = m.group(2)
        if m.group(1) == "WebFetch" and spec:
            from agentrun.permissions.webrules import check_spec  # only where rules name it

            check_spec(spec)
        return cls(tool=m.group(1), spec=spec if spec not in (None, "", "*") else None, root=root)

    def __str__(self) -> str:
        return self.tool if self.spec is None else f"{self.tool}({self.spec})"

    def matches(
        self, tool: str, tool_input: JSON, *, cwd: Path, home: Path, any_part: bool
    ) -> bool:
        """Whether this rule covers the call. ``any_part`` (deny/ask): one matching part of a
        compound command, or one spelling of a path, is enough; otherwise (allow) all must."""
        delegation = self.tool in DELEGATION_TOOLS and tool in DELEGATION_TOOLS
        renamed = self.tool in KILL_TOOLS and tool in KILL_TOOLS
        if self.spec is None:
            if self.tool.endswith("__*"):  # mcp__server__*: every tool of that server
                return tool.startswith(self.tool[:-1])
            return (
                self.tool == tool
                or delegation
                or renamed
                or (self.tool.startswith("mcp__") and tool.startswith(self.tool + "__"))
            )
        if tool == "WebFetch" and self.tool == "WebFetch":  # WebFetch(domain:example.com)
            from agentrun.permissions.webrules import domain_matches  # only where rules name it

            return domain_matches(self.spec, str(tool_input.get("url", "")), embedded=any_part)
        if delegation:  # Task(name) / Task(a, b): the agents it names
            return str(tool_input.get("subagent_type", "")) in agent_names(self.spec)
        if tool == "Bash" and self.tool == "Bash":
            return _bash_matches(self.spec, str(tool_input.get("command", "")), any_part=any_part)
        family = _PATH_FAMILY.get(self.tool)
        if self.tool == "Write" and any_part:
            family = EDIT_TOOLS  # a deny on writing a file also keeps Edit from changing it
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
        base, pat = self.base_and_pattern(cwd, home)
        return _glob_regex(pat), base.resolve()

    def base_and_pattern(self, cwd: Path, home: Path) -> tuple[Path, str]:
        """A path spec's anchor directory and the pattern below it (``~/x`` -> home, ``x``)."""
        spec = self.spec or ""
        if spec.startswith("//"):
            return Path("/"), spec[2:]
        if spec.startswith("~/"):
            return home, spec[2:]
        if spec.startswith("/"):
            return self.root or cwd, spec[1:]
        return cwd, spec[2:] if spec.startswith("./") else spec


def agent_names(spec: str) -> set[str]:
    """The agent names of a ``Task(a, b)`` spec (commas and/or spaces between them)."""
    return {name for name in re.split(r"[,\s]+", spec) if name}


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


def path_key(tool: str) -> str:
    """The input parameter that names the path a file tool acts on."""
    if tool in DIR_TOOLS:
        return "path"
    return "notebook_path" if tool == "NotebookEdit" else "file_path"


def tool_paths(tool_input: JSON, tool: str, cwd: Path) -> list[Path]:
    """The path a file tool acts on, as written (normalised) and with symlinks resolved."""
    key = path_key(tool)
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
    from agentrun.permissions.shellparse import ShellParseError, split_commands

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


def bash_deny_matches(spec: str, words: tuple[str, ...]) -> bool:
    """A deny or ask rule against one command: as :func:`bash_spec_matches`, and a rule
    ``X Y...`` also matches ``X`` run with options before ``Y`` (``git -C w push`` for
    ``git push:*``). git's global options are known and skipped; for another program an
    option there may or may not take the next word, so any ``Y`` among its words matches."""
    if bash_spec_matches(spec, words):
        return True
    from agentrun.permissions.gitrules import git_subcommand
    from agentrun.permissions.shellparse import ShellParseError, split_commands

    try:
        spec_parts = split_commands(spec.removesuffix(":*"))
    except ShellParseError:
        return False
    if len(spec_parts) != 1 or len(spec_parts[0].words) < 2 or len(words) < 2:
        return False
    want = spec_parts[0].words
    if words[0] != want[0] or not words[1].startswith("-"):
        return False
    if want[0] == "git":
        j = git_subcommand(words[1:])
        if j is None:
            return want[1] in words
        return bash_spec_matches(spec, ("git", *words[1 + j :]))
    return want[1] in words[1:]


def _bash_matches(spec: str, command: str, *, any_part: bool) -> bool:
    # The shell parsers load at the first Bash rule matched, not with the rules.
    from agentrun.permissions.bashrun import UnverifiableError, commands_run
    from agentrun.permissions.shellparse import ShellParseError, split_commands

    if any_part:
        # deny/ask: also what wrappers, `sh -c`, `eval` and `find -exec` would really run; a
        # line whose commands cannot all be known may match (ask or deny results, never allow)
        try:
            runs = commands_run(command)
        except UnverifiableError:
            return True
        return any(bash_deny_matches(spec, words) for words in runs)
    try:
        parts = split_commands(command)
    except ShellParseError:
        return False
    return bool(parts) and all(_spec_covers(spec, p.words) for p in parts)


def _spec_covers(spec: str, words: tuple[str, ...]) -> bool:
    return bash_spec_matches(spec, words) or bash_spec_matches(spec, _without_locale(words))


# Assignments that only set a locale, time zone or width: `LC_ALL=C sort f` is `sort f` to an
# allow rule. Others may change what a program runs or writes (`TAR_OPTIONS=`, `TMPDIR=`).
_LOCALE_ASSIGNMENT = re.compile(r"(?:LC_[A-Z]+|LANG|LANGUAGE|TZ|COLUMNS|NO_COLOR)=[\w.@:+-]*")


def _without_locale(words: tuple[str, ...]) -> tuple[str, ...]:
    i = 0
    while i < len(words) - 1 and _LOCALE_ASSIGNMENT.fullmatch(words[i]):
        i += 1
    return words[i:]


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
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))  # an escaped metacharacter is itself
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


def existing_paths(rules: Iterable[Rule], *, cwd: Path, home: Path, limit: int) -> list[Path]:
    """The existing files and directories path ``rules`` name now, resolved (literal specs as
    written, globs expanded; patterns for any depth are skipped: not enumerable)."""
    found: list[Path] = []
    for rule in rules:
        base, pattern = rule.base_and_pattern(cwd, home)
        pattern = pattern.removesuffix("/**").rstrip("/")  # a directory covers what is below
        globbed = any(c in pattern for c in "*?[")
        if globbed and "/" not in pattern:
            continue
        try:
            matches = (
                list(itertools.islice(base.glob(pattern), limit)) if globbed else [base / pattern]
            )
        except (OSError, ValueError):
            continue
        found.extend(p.resolve() for p in matches if p.exists())
    return list(dict.fromkeys(found))[:limit]


def bash_covered(rules: Sequence[Rule], view: BashView) -> str | None:
    """The rules covering every simple command of the line, or None. A line whose commands
    cannot be known from its text is covered only by a bare ``Bash``."""
    if any(r.spec is None for r in rules):
        return "Bash"
    if view.unknown is not None or not view.parts:
        return None
    used: list[str] = []
    for words in view.parts:
        hit = next((r for r in rules if _covers(r, words)), None)
        if hit is None:
            return None
        used.append(str(hit))
    return ", ".join(dict.fromkeys(used))


def _covers(rule: Rule, words: tuple[str, ...]) -> bool:
    if rule.words is not None:
        return words == rule.words  # a grant: exactly what the user approved
    return _spec_covers(rule.spec or "", words)


def glob_escape(text: str) -> str:
    """``text`` as a path pattern matching itself only (a grant for a directory ``a*``)."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def agent_limits(agent_tools: Sequence[str] | None) -> dict[str, list[Rule]]:
    """Per tool, the specs an agent file limits it to (``Bash(git diff:*)``); a tool also
    listed bare, or not narrowed, has no limit."""
    if agent_tools is None:
        return {}
    rules: list[Rule] = []
    for text in agent_tools:
        try:
            rules.append(Rule.parse(text))
        except ConfigError:
            continue  # free text in a tools list: not a tool, so it limits nothing
    bare = {r.tool for r in rules if r.spec is None}
    if bare & DELEGATION_TOOLS:
        bare |= DELEGATION_TOOLS
    limits: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.spec is not None and rule.tool not in bare:
            # `Task(a, b)` limits the tool under either of its names
            for name in DELEGATION_TOOLS if rule.tool in DELEGATION_TOOLS else (rule.tool,):
                limits.setdefault(name, []).append(rule)
    return limits
