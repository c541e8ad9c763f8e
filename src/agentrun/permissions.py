"""Permission modes and allow / ask / deny rules, in Claude Code's syntax.

Rules are ``Tool`` or ``Tool(spec)`` (what each matches: :mod:`agentrun.rules`). They come from
``--allowedTools`` / ``--disallowedTools``, the agent file's ``tools`` and the settings files
(:mod:`agentrun.settings`). A compound Bash line is allowed only when *every* simple command in
it is allowed, and denied or asked when *any* is; a line the parser cannot vouch for is asked
(so denied headless), unless a bare ``Bash`` allows it.

Evaluation: deny rules, then ask rules, then the mode, then allow rules, then the mode's default
(deny beats ask beats allow whatever the source). Modes: ``default`` (read-only tools allowed,
the rest asked), ``acceptEdits`` (also Edit/Write inside the workspace), ``plan`` (read-only
tools only; others denied), ``dontAsk`` (whatever is not allowed is denied, never asked),
``bypassPermissions`` (everything but deny rules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agentrun.bashrun import bash_unverifiable
from agentrun.errors import ConfigError
from agentrun.pathutil import is_within
from agentrun.rules import EDIT_TOOLS, Rule, bash_spec_matches, split_rules, tool_paths
from agentrun.shellparse import ShellParseError, split_commands

if TYPE_CHECKING:
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


@dataclass(frozen=True)
class Decision:
    """What to do with one tool call (allow, deny or ask), why, and the rule that decided."""

    behavior: Behavior
    reason: str
    rule: str | None = None


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
        self.remembered: list[Rule] = []
        """The allow rules added by "always" answers, in order."""
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

    def search_filter(self, tool: str) -> Callable[[Path], bool] | None:
        """For one Grep or Glob call: whether a file it found is one a deny rule keeps from
        ``tool`` (``Read(./.env)`` covers both), or None when no deny rule names a path.

        The rules already refuse a search *of* a denied path; this keeps a search of a
        directory above it from showing the file's name or lines. Answers are cached per call
        (a file has many matching lines)."""
        rules = [r for r in self.deny if r.spec is not None and r.tool != "Bash"]
        if not rules:
            return None
        seen: dict[Path, bool] = {}

        def denied(path: Path) -> bool:
            hit = seen.get(path)
            if hit is None:
                match = self._first_match(rules, tool, {"path": str(path)}, any_part=True)
                hit = seen[path] = match is not None
            return hit

        return denied

    def check(self, tool_name: str, tool_input: JSON) -> Decision:
        hit = self._first_match(self.deny, tool_name, tool_input, any_part=True)
        if hit is not None:
            unknown = None
            if hit.spec is not None and tool_name == "Bash":
                unknown = bash_unverifiable(str(tool_input.get("command", "")))
            if unknown is not None:
                why = f"the command cannot be checked against deny rule {hit}: {unknown}"
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
            paths = tool_paths(tool_input, tool_name, self.cwd)
            if paths and all(any(is_within(p, r) for r in self.roots) for p in paths):
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
        self.remembered.extend(added)
        return added

    # -- matching ------------------------------------------------------------------------------
    def _first_match(
        self, rules: Sequence[Rule], tool: str, tool_input: JSON, *, any_part: bool
    ) -> Rule | None:
        for rule in rules:
            if rule.matches(tool, tool_input, cwd=self.cwd, home=self.home, any_part=any_part):
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
            hit = next((r for r in bash_rules if bash_spec_matches(r.spec or "", part.words)), None)
            if hit is None:
                return None
            used.append(str(hit))
        return ", ".join(dict.fromkeys(used)) if used else None
