"""Permission modes and allow / ask / deny rules, in Claude Code's syntax.

A rule is ``Tool`` (every use of the tool) or ``Tool(spec)``:

- Bash: ``Bash(npm test)`` exact, ``Bash(git diff:*)`` prefix (on word boundaries),
  ``Bash(git * main)`` wildcard. A compound command is allowed only when *every* simple command
  in it (see :mod:`agentrun.shellparse`) is allowed; it is denied or asked when *any* is. A line
  the parser cannot vouch for is asked (so denied headless), unless a bare ``Bash`` allows it.
- Read / Edit (and Write): gitignore-style paths. ``//abs`` is absolute, ``~/p`` is under home,
  ``/p`` is relative to the settings file's project, ``p`` and ``./p`` to the working directory;
  a pattern without a slash matches at any depth. ``Read(...)`` also covers Glob and Grep (they
  read files), ``Edit(...)`` also covers Write.
- Anything else: ``Tool`` by exact name, ``mcp__server`` for all of that server's tools.

Evaluation: deny rules, then ask rules, then the mode, then allow rules, then the mode's default
(deny beats ask beats allow whatever the source). Modes: ``default`` (read-only tools allowed,
the rest asked), ``acceptEdits`` (also Edit/Write inside the workspace), ``plan`` (read-only
tools only; others denied), ``dontAsk`` (whatever is not allowed is denied, never asked),
``bypassPermissions`` (everything but deny rules).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agentrun.errors import ConfigError
from agentrun.shellparse import ShellParseError, command_variants, split_commands
from agentrun.types import JSON

__all__ = [
    "ALL_TOOLS",
    "PERMISSION_MODES",
    "Decision",
    "PermissionPolicy",
    "Rule",
    "offered_tools",
    "split_rules",
]

Behavior = Literal["allow", "ask", "deny"]
PERMISSION_MODES = ("default", "acceptEdits", "plan", "dontAsk", "bypassPermissions")
ALL_TOOLS = ("Read", "Write", "Edit", "Bash", "Glob", "Grep")
READ_ONLY_TOOLS = frozenset({"Read", "Glob", "Grep", "LS", "TodoWrite"})
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
class Decision:
    behavior: Behavior
    reason: str
    rule: str | None = None


@dataclass(frozen=True)
class Rule:
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


def offered_tools(agent_tools: Sequence[str] | None, disallowed: Iterable[str] = ()) -> list[str]:
    """The tool names to offer the model: the agent's (None = all), minus bare disallowed
    names. ``Bash(git diff:*)`` in the agent's list offers Bash; ``Bash(rm:*)`` in the
    disallowed list only restricts it (a permission rule), it does not remove it."""
    names = ALL_TOOLS if agent_tools is None else [Rule.parse(t).tool for t in agent_tools]
    removed = {r.tool for r in map(Rule.parse, split_rules(disallowed)) if r.spec is None}
    return [n for n in dict.fromkeys(names) if n not in removed]


class PermissionPolicy:
    """Decides each tool call. Holds session state: the rules added by "always" answers."""

    def __init__(
        self,
        mode: str,
        *,
        allow: Sequence[Rule] = (),
        ask: Sequence[Rule] = (),
        deny: Sequence[Rule] = (),
        cwd: Path,
        home: Path,
        workspace_roots: Sequence[Path] = (),
    ) -> None:
        if mode not in PERMISSION_MODES:
            raise ConfigError(
                f"unknown permission mode {mode!r}; choose one of {', '.join(PERMISSION_MODES)}"
            )
        self.mode = mode
        self.allow = list(allow)
        self.ask = list(ask)
        self.deny = list(deny)
        self.cwd = cwd.resolve()
        self.home = home
        self.roots = [self.cwd, *(r.resolve() for r in workspace_roots)]

    @classmethod
    def load(
        cls,
        mode: str | None,
        *,
        allowed: Iterable[str] = (),
        disallowed: Iterable[str] = (),
        agent_rules: Iterable[str] = (),
        cwd: Path,
        home: Path | None = None,
        add_dirs: Sequence[Path] = (),
    ) -> PermissionPolicy:
        """Rules from the CLI, the agent file and the settings files; ``mode`` None takes the
        settings' ``defaultMode``, else ``default``."""
        from agentrun.settings import load_settings

        settings = load_settings(cwd, home)
        allow = [Rule.parse(r) for r in split_rules(allowed)]
        allow += [Rule.parse(r) for r in split_rules(agent_rules)]
        deny = [Rule.parse(r) for r in split_rules(disallowed)]
        ask: list[Rule] = []
        for src in settings.sources:
            allow += [Rule.parse(r, root=src.root) for r in src.allow]
            ask += [Rule.parse(r, root=src.root) for r in src.ask]
            deny += [Rule.parse(r, root=src.root) for r in src.deny]
        return cls(
            mode or settings.default_mode or "default",
            allow=allow,
            ask=ask,
            deny=deny,
            cwd=cwd,
            home=home or Path.home(),
            workspace_roots=add_dirs,
        )

    def check(self, tool_name: str, tool_input: JSON) -> Decision:
        hit = self._first_match(self.deny, tool_name, tool_input, any_part=True)
        if hit is not None:
            if hit.spec is not None and tool_name == "Bash" and not _parses(tool_input):
                why = f"the command could not be parsed to check it against deny rule {hit}"
                return Decision("deny", why, str(hit))
            return Decision("deny", f"denied by rule {hit}", str(hit))
        hit = self._first_match(self.ask, tool_name, tool_input, any_part=True)
        if hit is not None and self.mode != "bypassPermissions":
            if self.mode == "dontAsk":
                return Decision("deny", f"rule {hit} needs approval (dontAsk mode)", str(hit))
            return Decision("ask", f"rule {hit} needs approval", str(hit))
        read_only = tool_name in READ_ONLY_TOOLS
        if self.mode == "plan" and not read_only:
            return Decision("deny", f"plan mode allows read-only tools only, not {tool_name}")
        if self.mode == "bypassPermissions":
            return Decision("allow", "bypassPermissions mode")
        allowed_by = self._allowed_by(tool_name, tool_input)
        if allowed_by is not None:
            return Decision("allow", f"matched allow rule {allowed_by}", allowed_by)
        if read_only:
            return Decision("allow", f"{tool_name} is read-only")
        if self.mode == "acceptEdits" and tool_name in EDIT_TOOLS:
            paths = self._paths(tool_input, tool_name)
            if paths and all(any(_within(p, r) for r in self.roots) for p in paths):
                return Decision("allow", "acceptEdits mode: edit inside the workspace")
        if self.mode == "dontAsk":
            return Decision("deny", f"{tool_name} is not allowed by any rule (dontAsk mode)")
        return Decision("ask", f"{tool_name} needs approval")

    def allow_always(self, tool_name: str, tool_input: JSON) -> list[Rule]:
        """Remember an interactive "always" for the rest of the session; returns the rules
        added. Bash: each simple command of the line, exactly. Edit tools: edits inside the
        workspace. Anything else: the tool."""
        added: list[Rule]
        if tool_name == "Bash":
            try:
                parts = split_commands(str(tool_input.get("command", "")))
            except ShellParseError:
                parts = []
            added = [Rule("Bash", p.text) for p in parts]
        elif tool_name in EDIT_TOOLS:
            added = [Rule("Edit", f"//{str(r).lstrip('/')}/**") for r in self.roots]
        else:
            added = [Rule(tool_name)]
        self.allow.extend(added)
        return added

    # -- matching ------------------------------------------------------------------------------
    def _first_match(
        self, rules: Sequence[Rule], tool: str, tool_input: JSON, *, any_part: bool
    ) -> Rule | None:
        for rule in rules:
            if self._matches(rule, tool, tool_input, any_part=any_part):
                return rule
        return None

    def _allowed_by(self, tool: str, tool_input: JSON) -> str | None:
        """The allow rule(s) covering the call; for Bash every simple command must be covered
        by some rule (``git diff | wc -l`` needs both ``git diff`` and ``wc`` allowed)."""
        if tool != "Bash":
            hit = self._first_match(self.allow, tool, tool_input, any_part=False)
            return None if hit is None else str(hit)
        bash_rules = [r for r in self.allow if r.tool == "Bash"]
        if any(r.spec is None for r in bash_rules):
            return "Bash"
        try:
            parts = split_commands(str(tool_input.get("command", "")))
        except ShellParseError:
            return None
        used: list[str] = []
        for part in parts:
            hit = next((r for r in bash_rules if _simple_matches(r.spec or "", part.words)), None)
            if hit is None:
                return None
            used.append(str(hit))
        return ", ".join(dict.fromkeys(used)) if used else None

    def _matches(self, rule: Rule, tool: str, tool_input: JSON, *, any_part: bool) -> bool:
        if rule.spec is None:
            return rule.tool == tool or (
                rule.tool.startswith("mcp__") and tool.startswith(rule.tool + "__")
            )
        if tool == "Bash" and rule.tool == "Bash":
            return _bash_matches(rule.spec, str(tool_input.get("command", "")), any_part=any_part)
        family = _PATH_FAMILY.get(rule.tool)
        if family is None or tool not in family:
            return False
        paths = self._paths(tool_input, tool)
        if not paths:
            return False
        regex, base = self._path_pattern(rule)
        hits = [_path_matches(regex, base, p) for p in paths]
        # deny/ask if any spelling of the path matches; allow only if all do (symlinks)
        return any(hits) if any_part else all(hits)

    def _paths(self, tool_input: JSON, tool: str) -> list[Path]:
        key = "path" if tool in ("Glob", "Grep") else "file_path"
        raw = tool_input.get(key) or ("." if key == "path" else None)
        if not isinstance(raw, str) or not raw:
            return []
        p = Path(raw).expanduser()
        lexical = Path(os.path.normpath(self.cwd / p))
        return list(dict.fromkeys([lexical, lexical.resolve()]))

    def _path_pattern(self, rule: Rule) -> tuple[re.Pattern[str], Path]:
        spec = rule.spec or ""
        if spec.startswith("//"):
            base, pat = Path("/"), spec[2:]
        elif spec.startswith("~/"):
            base, pat = self.home, spec[2:]
        elif spec.startswith("/"):
            base, pat = rule.root or self.cwd, spec[1:]
        else:
            base, pat = self.cwd, spec[2:] if spec.startswith("./") else spec
        return _glob_regex(pat), base.resolve()


def _parses(tool_input: JSON) -> bool:
    try:
        split_commands(str(tool_input.get("command", "")))
    except ShellParseError:
        return False
    return True


def _bash_matches(spec: str, command: str, *, any_part: bool) -> bool:
    try:
        parts = split_commands(command)
    except ShellParseError:
        # unparseable: for deny/ask assume it may match (ask will result); never allow
        return any_part
    if any_part:  # deny/ask: also what wrappers and assignments would really run
        return any(_simple_matches(spec, v) for p in parts for v in command_variants(p.words))
    return bool(parts) and all(_simple_matches(spec, p.words) for p in parts)


def _simple_matches(spec: str, words: tuple[str, ...]) -> bool:
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
    if not _within(path, base):
        return False
    return regex.fullmatch(path.relative_to(base).as_posix()) is not None


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
