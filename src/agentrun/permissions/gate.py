"""The permission gate: :meth:`Gate.decide` is the one place a tool call is allowed, asked or
denied, immediately before it runs.

Rules are ``Tool`` or ``Tool(spec)`` (what each matches: :mod:`agentrun.permissions.rules`).
They come from ``--allowedTools`` / ``--disallowedTools`` and the settings files
(:mod:`agentrun.permissions.settings`); an agent file's ``tools`` only limit what the agent has
(``Bash(git diff:*)`` there means Bash may run ``git diff`` and nothing else), they never grant.

Evaluation, first answer wins: deny rules; the agent's own limits; ask rules; protected paths
(asked in every mode unless an allow rule names them); plan mode (read-only tools only); writes
the sandbox would refuse (denied with that reason, never asked); bypassPermissions; allow rules;
session grants ("always" answers); read-only tools; acceptEdits for edits inside the workspace;
dontAsk denies; otherwise ask. A Bash line is also judged as the writes its output redirections
make (``ls > f`` needs what a Write of ``f`` needs) and the files its commands' options and
operands write (``git log --output=f``, ``sort -o f``, ``cp a f``: the same), and the strictest
answer wins.

A session grant is scoped to what the user saw (this exact Bash command, edits in this
directory, this tool) and, like an allow rule, never outranks a deny or ask rule.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ConfigError
from agentrun.core.pathutil import is_within
from agentrun.core.userhome import home_dirs, home_root_message, home_roots
from agentrun.core.vocab import TOOL_ALIASES, WEB_TOOLS
from agentrun.core.webcalls import SearchDomains
from agentrun.permissions.decision import (
    ALL_TOOLS,
    PERMISSION_MODES,
    RANK,
    READ_ONLY_TOOLS,
    Behavior,
    Decision,
    offered_tools,
)
from agentrun.permissions.gatefiles import GateFiles
from agentrun.permissions.gategrants import GateGrants, directory_rules
from agentrun.permissions.gatewrites import GateWrites
from agentrun.permissions.protected import names_protected, protected_part
from agentrun.permissions.rules import (
    DELEGATION_TOOLS,
    EDIT_TOOLS,
    KILL_TOOLS,
    Rule,
    agent_limits,
    bash_covered,
    bash_deny_matches,
    split_rules,
    tool_paths,
)

if TYPE_CHECKING:
    from agentrun.core.types import JSON, ToolCall
    from agentrun.permissions.bashview import BashView

__all__ = [
    "ALL_TOOLS",
    "PERMISSION_MODES",
    "Decision",
    "Gate",
    "directory_rules",
    "offered_tools",
]


class Gate(GateGrants, GateFiles, GateWrites):
    """Decides each tool call. Holds the session's grants ("always" answers) and the objects
    the user approved once (re-checked when a file tool has opened the real file)."""

    def __init__(
        self,
        mode: str,
        *,
        allow: Sequence[Rule] = (),
        ask: Sequence[Rule] = (),
        deny: Sequence[Rule] = (),
        agent_tools: Sequence[str] | None = None,
        cwd: Path,
        home: Path,
        workspace_roots: Sequence[Path] = (),
        writable_roots: Sequence[Path] | None = None,
        shell_writable: Sequence[Path] = (),
        shell_cwd: Callable[[], Path | None] | None = None,
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
        self._home_roots: tuple[Path, ...] = ()
        """Roots holding the home directory: read-only in every confined session."""
        if writable_roots is not None:
            self._home_roots = home_roots(self.roots, home_dirs(home))
            writable_roots = [r for r in writable_roots if r.resolve() not in self._home_roots]
        self.writable_roots = None if writable_roots is None else list(writable_roots)
        """Where the sandbox lets the file tools write; None: anywhere (no confinement)."""
        self.shell_writable = list(shell_writable)
        """Where jailed Bash may also write (its private tmp), for redirections."""
        self.shell_cwd = shell_cwd
        """The Bash session's current directory (None before it starts: the cwd)."""
        self._grants: list[Rule] = []
        self._limits = agent_limits(agent_tools)
        self._approved: set[tuple[str, Path]] = set()
        self._lock = threading.Lock()
        self.warnings: list[str] = []
        """What the settings files asked for that a project may not do (shown on stderr)."""
        self.search_domains = SearchDomains()
        """The settings' WebSearch domain lists (see :meth:`web_search_domains`)."""

    @classmethod
    def load(
        cls,
        mode: str | None,
        *,
        allowed: Iterable[str] = (),
        disallowed: Iterable[str] = (),
        agent_tools: Sequence[str] | None = None,
        cwd: Path,
        home: Path | None = None,
        add_dirs: Sequence[Path] = (),
        writable_roots: Sequence[Path] | None = None,
        shell_writable: Sequence[Path] = (),
        shell_cwd: Callable[[], Path | None] | None = None,
        settings: Sequence[tuple[str, Mapping[str, Any]]] = (),
        sources: Collection[str] | None = None,
        memory_dirs: Sequence[Path] = (),
    ) -> Gate:
        """Rules from the flags and the settings files; ``mode`` None takes the settings'
        ``defaultMode``, else ``default``. What a project's files may not do (allow rules,
        bypassPermissions) is left out and said in :attr:`warnings`. ``settings``: more
        layers (``--settings``), as ``(label, data)``. ``memory_dirs``: agent memory
        directories the file tools may write (see :func:`directory_rules`)."""
        from agentrun.permissions.settings import load_settings

        loaded = load_settings(cwd, home, settings, sources)
        allow = [Rule.parse(r) for r in split_rules(allowed)]
        allow += [r for d in memory_dirs for r in directory_rules(d)]
        deny = [Rule.parse(r) for r in split_rules(disallowed)]
        ask: list[Rule] = []
        for src in loaded.sources:
            if not src.project:
                allow += [Rule.parse(r, root=src.root) for r in src.allow]
            ask += [Rule.parse(r, root=src.root) for r in src.ask]
            deny += [Rule.parse(r, root=src.root) for r in src.deny]
        gate = cls(
            mode or loaded.default_mode or "default",
            allow=allow,
            ask=ask,
            deny=deny,
            agent_tools=agent_tools,
            cwd=cwd,
            home=home or Path.home(),
            workspace_roots=add_dirs,
            writable_roots=writable_roots,
            shell_writable=shell_writable,
            shell_cwd=shell_cwd,
        )
        gate.warnings = list(loaded.warnings)
        gate.search_domains = loaded.search_domains
        return gate

    def web_search_domains(self) -> SearchDomains:
        """The domain lists every WebSearch call is narrowed by (the settings files')."""
        return self.search_domains

    # -- the decision ---------------------------------------------------------------------------
    def decide(
        self, call: ToolCall, *, hook: Behavior | None = None, hook_reason: str = ""
    ) -> Decision:
        """Allow, ask or deny ``call``, now, with the reason (and the rule that decided).

        ``hook`` is what the PreToolUse hooks answered (``hook_reason`` their reason): their
        deny always wins; their ask asks (unless a rule denies); their allow lifts a plain
        ask but never a deny, an ask rule or a protected path."""
        decision = self._decide(call.name, call.input)
        if hook is None:
            return decision
        why = f": {hook_reason}" if hook_reason else ""
        if hook == "deny":
            return Decision("deny", f"a PreToolUse hook denied it{why}")
        if decision.behavior == "deny":
            return decision
        if hook == "ask":
            return self._asked(f"a PreToolUse hook asks for approval{why}")
        if decision.behavior == "ask" and decision.firm:
            return decision
        if decision.behavior == "ask":
            self.answer(call, always=False)  # as if the user approved: the file tool's re-check
        return Decision("allow", f"allowed by a PreToolUse hook{why}")

    def check(self, tool_name: str, tool_input: JSON) -> Decision:
        """:meth:`decide` for a tool name and input (tests and scripts)."""
        return self._decide(tool_name, tool_input)

    def _decide(self, tool: str, tool_input: JSON, *, shell: bool = False) -> Decision:
        if tool == "Bash":
            return self._bash(tool_input)
        hit = self._first(self.deny, tool, tool_input, any_part=True)
        if hit is not None:
            return Decision("deny", f"denied by rule {hit}", str(hit))
        limit = self._limit(tool, tool_input, None)
        if limit is not None:
            return limit
        hit = self._first(self.ask, tool, tool_input, any_part=True)
        if hit is not None and self.mode != "bypassPermissions":
            return self._asked(f"rule {hit} needs approval", str(hit))
        if tool in DELEGATION_TOOLS:
            # Starting a subagent changes nothing itself: each of its calls meets the gate.
            return Decision("allow", f"{tool} starts a subagent whose every call is decided")
        if tool in KILL_TOOLS:
            # Stopping a job this session's Bash started (a call the gate already allowed)
            # reaches nothing that command could not: allowed in every mode, plan included,
            # unless a rule denies or asks it.
            return Decision("allow", f"{tool} only stops a background job of this session")
        if tool in EDIT_TOOLS:
            early = self._edit_checks(tool, tool_input, shell=shell)
            if early is not None:
                return early
        elif self.mode == "plan" and not _read_only(tool) and tool not in WEB_TOOLS:
            return Decision("deny", f"plan mode allows read-only tools only, not {tool}")
        if self.mode == "bypassPermissions":
            return Decision("allow", "bypassPermissions mode")
        hit = self._first(self.allow, tool, tool_input, any_part=False)
        if hit is not None:
            return Decision("allow", f"matched allow rule {hit}", str(hit))
        hit = self._first(self._grants, tool, tool_input, any_part=False)
        if hit is not None:
            return Decision("allow", f"allowed for this session ({hit})", str(hit))
        if _read_only(tool):
            return Decision("allow", f"{tool} is read-only")
        if (
            self.mode == "acceptEdits"
            and tool in EDIT_TOOLS
            and self._in_workspace(tool, tool_input)
        ):
            return Decision("allow", "acceptEdits mode: edit inside the workspace")
        if self.mode == "dontAsk":
            return Decision("deny", f"{tool} is not allowed by any rule (dontAsk mode)")
        return Decision("ask", f"{tool} needs approval", grant=self._grant_text(tool, tool_input))

    def _edit_checks(self, tool: str, tool_input: JSON, *, shell: bool) -> Decision | None:
        """Protected paths, plan mode and writes the sandbox refuses, for Write/Edit."""
        if self.mode == "plan":
            return Decision("deny", f"plan mode allows read-only tools only, not {tool}")
        paths = tool_paths(tool_input, tool, self.cwd)
        if paths and self.writable_roots is not None:
            roots = [*self.writable_roots, *(self.shell_writable if shell else ())]
            if not any(is_within(paths[-1], r) for r in roots):
                held = next((r for r in self._home_roots if is_within(paths[-1], r)), None)
                if held is not None:
                    return Decision("deny", home_root_message(paths[0], held))
                where = ", ".join(map(str, roots)) or "none: the sandbox is read-only"
                return Decision(
                    "deny",
                    f"the sandbox does not let anything write {paths[0]}: it is outside the "
                    f"writable directories ({where}); write inside them instead, or tell the "
                    "user what to change there",
                )
        part = protected_part(paths) or self.guarded_part(paths)
        if part is None:
            return None
        named = [r for r in self.allow if names_protected(r, part)]
        hit = self._first(named, tool, tool_input, any_part=False)
        if hit is not None:
            return Decision("allow", f"matched allow rule {hit}", str(hit))
        return self._asked(
            f"{paths[0]} is a protected path ({part}): it is never edited without approval, "
            "in any mode, unless an allow rule names it"
        )

    def _bash(self, tool_input: JSON) -> Decision:
        from agentrun.permissions.bashview import view_bash  # at the first Bash call

        view = view_bash(str(tool_input.get("command", "")))
        bash_deny = [r for r in self.deny if r.tool == "Bash"]
        for rule in bash_deny:
            if rule.spec is None:
                return Decision("deny", f"denied by rule {rule}", str(rule))
            if view.unknown is not None:
                why = f"the command cannot be checked against deny rule {rule}: {view.unknown}"
                return Decision("deny", why, str(rule))
            if view.local_program is not None:
                why = (
                    f"the command cannot be checked against deny rule {rule}: "
                    f"{view.local_program} is a program whose name says nothing of what it runs"
                )
                return Decision("deny", why, str(rule))
            if any(bash_deny_matches(rule.spec, words) for words in view.runs):
                return Decision("deny", f"denied by rule {rule}", str(rule))
        writes = [self._redirect(target) for target in view.targets]
        writes += [self._unknown_target(target) for target in view.unknown_targets]
        writes += self._command_writes(view)
        worst = max(writes, key=lambda d: RANK[d.behavior], default=None)
        if worst is not None and worst.behavior == "deny":
            return worst
        command = self._bash_command(view)
        if worst is not None and RANK[worst.behavior] > RANK[command.behavior]:
            return worst
        if worst is not None and worst.behavior == "ask" and command.behavior == "ask":
            # no grant: both asked
            firm = worst.firm or command.firm  # an ask rule stays firm beside a write
            return Decision("ask", f"{command.reason}; {worst.reason}", firm=firm)
        return command

    def _bash_command(self, view: BashView) -> Decision:
        limit = self._limit("Bash", {}, view)
        if limit is not None:
            return limit
        for rule in (r for r in self.ask if r.tool == "Bash"):
            if self.mode == "bypassPermissions":
                break
            if rule.spec is None or view.unknown is not None or view.local_program is not None:
                return self._asked(f"rule {rule} needs approval", str(rule))
            if any(bash_deny_matches(rule.spec, words) for words in view.runs):
                return self._asked(f"rule {rule} needs approval", str(rule))
        if self.mode == "plan":
            return Decision("deny", "plan mode allows read-only tools only, not Bash")
        if self.mode == "bypassPermissions":
            return Decision("allow", "bypassPermissions mode")
        sources = ((self.allow, "matched allow rule"), (self._grants, "allowed for this session"))
        for rules, how in sources:
            covered = bash_covered([r for r in rules if r.tool == "Bash"], view)
            if covered is not None:
                return Decision("allow", f"{how} {covered}", covered)
        if self.mode == "dontAsk":
            why = "Bash is not allowed by any rule (dontAsk mode)"
            if view.unknown is not None:
                why += f"; allow rules cannot vouch for it: {view.unknown}"
            return Decision("deny", why)
        if view.unknown is not None:
            # firm: no allow rule can vouch for a line whose commands are unknown, nor a hook
            return Decision("ask", f"Bash needs approval: {view.unknown}", firm=True)
        grant = "each command of this line" if view.parts else None
        return Decision("ask", "Bash needs approval", grant=grant)

    def _asked(self, reason: str, rule: str | None = None) -> Decision:
        if self.mode == "dontAsk":
            return Decision("deny", f"{reason} (dontAsk mode)", rule)
        return Decision("ask", reason, rule, firm=True)

    def _limit(self, tool: str, tool_input: JSON, view: BashView | None) -> Decision | None:
        """Deny a call outside what the agent file gave it (``Bash(git diff:*)``)."""
        specs = self._limits.get(tool)
        if not specs:
            return None
        if view is not None:
            ok = bash_covered(specs, view) is not None
        else:
            ok = self._first(specs, tool, tool_input, any_part=False) is not None
        if ok:
            return None
        listed = ", ".join(str(r) for r in specs)
        return Decision("deny", f"this agent may use {tool} only as {listed}")

    # -- matching ------------------------------------------------------------------------------
    def _first(
        self, rules: Sequence[Rule], tool: str, tool_input: JSON, *, any_part: bool
    ) -> Rule | None:
        for rule in rules:
            if rule.matches(tool, tool_input, cwd=self.cwd, home=self.home, any_part=any_part):
                return rule
        return None

    def _in_workspace(self, tool: str, tool_input: JSON) -> bool:
        paths = tool_paths(tool_input, tool, self.cwd)
        return bool(paths) and all(any(is_within(p, r) for r in self.roots) for p in paths)


def _read_only(tool: str) -> bool:
    """A read-only tool by its name or an older one (``AgentOutputTool`` is TaskOutput)."""
    return tool in READ_ONLY_TOOLS or TOOL_ALIASES.get(tool) in READ_ONLY_TOOLS
