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
make (``ls > f`` needs what a Write of ``f`` needs), and the strictest answer wins.

A session grant is scoped to what the user saw (this exact Bash command, edits in this
directory, this tool) and, like an allow rule, never outranks a deny or ask rule.
"""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agentrun.core.errors import ConfigError
from agentrun.core.pathutil import is_within
from agentrun.core.vocab import WEB_TOOLS
from agentrun.permissions.decision import (
    ALL_TOOLS,
    PERMISSION_MODES,
    RANK,
    READ_ONLY_TOOLS,
    Behavior,
    Decision,
    offered_tools,
)
from agentrun.permissions.protected import names_protected, protected_part
from agentrun.permissions.rules import (
    DELEGATION_TOOLS,
    EDIT_TOOLS,
    KILL_TOOLS,
    Rule,
    agent_limits,
    bash_covered,
    bash_deny_matches,
    existing_paths,
    glob_escape,
    path_key,
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
    "offered_tools",
]


class Gate:
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
        return gate

    @property
    def remembered(self) -> list[str]:
        """The grants added by "always" answers, as rules (to carry into another session).
        A grant whose text would not read back as exactly itself is left out (the next session
        asks again): a Bash grant with ``*`` in its words would read as a wildcard, and one
        with ``)``, ``,`` or a space where the rule list is split (a command ``echo "a),Bash"``,
        a directory named so) would read as several rules, a bare ``Bash`` among them."""
        return [str(r) for r in self._grants if _round_trips(r)]

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
        elif self.mode == "plan" and tool not in READ_ONLY_TOOLS | WEB_TOOLS:
            return Decision("deny", f"plan mode allows read-only tools only, not {tool}")
        if self.mode == "bypassPermissions":
            return Decision("allow", "bypassPermissions mode")
        hit = self._first(self.allow, tool, tool_input, any_part=False)
        if hit is not None:
            return Decision("allow", f"matched allow rule {hit}", str(hit))
        hit = self._first(self._grants, tool, tool_input, any_part=False)
        if hit is not None:
            return Decision("allow", f"allowed for this session ({hit})", str(hit))
        if tool in READ_ONLY_TOOLS:
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
                where = ", ".join(map(str, roots)) or "none: the sandbox is read-only"
                return Decision(
                    "deny",
                    f"the sandbox does not let anything write {paths[0]}: it is outside the "
                    f"writable directories ({where}); write inside them instead, or tell the "
                    "user what to change there",
                )
        part = protected_part(paths)
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
        worst = max(writes, key=lambda d: RANK[d.behavior], default=None)
        if worst is not None and worst.behavior == "deny":
            return worst
        command = self._bash_command(view)
        if worst is not None and RANK[worst.behavior] > RANK[command.behavior]:
            return worst
        if worst is not None and worst.behavior == "ask" and command.behavior == "ask":
            # no grant: both asked
            return Decision("ask", f"{command.reason}; {worst.reason}", firm=worst.firm)
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

    def _redirect(self, target: str) -> Decision:
        """A Bash output redirection, judged as a Write of its target."""
        # relative to where the shell is now (a `cd` in an earlier call stays in effect)
        where = self.shell_cwd() if self.shell_cwd is not None else None
        path = str(where / target) if where is not None else target
        d = self._decide("Write", {"file_path": path}, shell=True)
        if d.behavior == "allow":
            return d
        why = f"the redirection writes {target}: {d.reason}"
        return Decision(d.behavior, why, d.rule, firm=d.firm)

    def _unknown_target(self, target: str) -> Decision:
        edit_deny = next((r for r in self.deny if r.tool in ("Edit", "Write")), None)
        why = f"the redirection target {target!r} is only known at run time"
        if edit_deny is not None:
            return Decision("deny", f"{why}, so deny rule {edit_deny} cannot be checked")
        if self.mode == "bypassPermissions":
            # it may name a protected path: the jail keeps those read-only to Bash
            return Decision("allow", "bypassPermissions mode")
        return self._asked(why)

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

    # -- answers --------------------------------------------------------------------------------
    def answer(self, call: ToolCall, *, always: bool) -> None:
        """The user approved ``call`` (once, or "always"). Once: the object it names is
        remembered until the tool opens it (see :meth:`check_resolved`). Always: the grant
        its decision offered is added, and never covers more than that."""
        paths = tool_paths(call.input, call.name, self.cwd) if call.name != "Bash" else []
        with self._lock:
            self._approved.update((call.name, p) for p in paths)
        if always and self._decide(call.name, call.input).grant is not None:
            self._grants.extend(self._grant_rules(call.name, call.input))

    def _grant_rules(self, tool: str, tool_input: JSON) -> list[Rule]:
        if tool == "Bash":
            from agentrun.permissions.bashview import view_bash

            parts = view_bash(str(tool_input["command"])).parts
            return [Rule("Bash", " ".join(w), words=w) for w in parts]
        if tool in EDIT_TOOLS:
            directory = tool_paths(tool_input, tool, self.cwd)[-1].parent
            return directory_rules(directory)[:1]
        if tool == "WebFetch":
            from agentrun.core.hosts import url_host

            host = url_host(str(tool_input.get("url", "")))
            return [Rule(tool, f"domain:{host}")] if host else []
        return [Rule(tool)]

    def names_host(self, host: str) -> bool:
        """Whether an allow rule names ``host`` exactly (``WebFetch(domain:127.0.0.1)``): the
        one thing that lets WebFetch reach a loopback or private address, or keep plain http.
        A wildcard, a bare ``WebFetch``, bypassPermissions or an "always" answer never does."""
        from agentrun.permissions.webrules import names

        return any(
            r.tool == "WebFetch" and r.spec is not None and names(r.spec, host, exact=True)
            for r in self.allow
        )

    def _grant_text(self, tool: str, tool_input: JSON) -> str | None:
        if tool in EDIT_TOOLS:
            paths = tool_paths(tool_input, tool, self.cwd)
            if not paths or not self._in_workspace(tool, tool_input):
                return None  # never "always" for a file outside the workspace
            return f"file edits in {paths[-1].parent}/"
        if tool == "WebFetch":
            from agentrun.core.hosts import url_host

            host = url_host(str(tool_input.get("url", "")))
            return f"fetches from {host}" if host else None
        return tool

    def check_resolved(self, tool: str, kind: Literal["read", "write"], real: Path) -> str | None:
        """Called by a file tool once it has opened ``real`` (symlinks resolved by the kernel):
        the call is decided again on that path, so a link swapped in after the decision (by an
        earlier call of the batch, or a background job) cannot lead it anywhere the rules keep
        it from. Returns the error text for the model, or None."""
        if kind == "write" and tool not in EDIT_TOOLS:
            tool = "Write"
        key = path_key(tool)
        if kind == "read" and tool == "Read" and self._linked(real):
            return (
                f"Permission to use Read on {real} was denied: it has more than one hard link, "
                "and while a Read deny rule is in force a file whose other names cannot be "
                "known is not read (one of them may be a denied path)."
            )
        decision = self._decide(tool, {key: str(real)})
        if decision.behavior == "allow":
            return None
        with self._lock:
            if decision.behavior == "ask" and (tool, real) in self._approved:
                self._approved.discard((tool, real))
                return None
        return (
            f"Permission to use {tool} on {real} was denied: the path resolved to {real} when "
            f"the file was opened, and {decision.reason}."
        )

    def writable_protected_paths(self) -> list[Path]:
        """What explicit Write/Edit allow rules name inside the protected ``.claude``,
        ``.agentrun`` and ``.mcp.json`` (``Edit(./.claude/agents/**)`` -> ``.claude/agents``):
        the part of each pattern before its first wildcard. The sandbox keeps those (and only
        those) writable; ``.git`` and ``.gitmodules`` never (the policy drops them)."""
        found: list[Path] = []
        for rule in self.allow:
            if rule.tool not in ("Edit", "Write") or rule.spec is None:
                continue
            if not any(names_protected(rule, p) for p in (".claude", ".agentrun", ".mcp.json")):
                continue
            base, pattern = rule.base_and_pattern(self.cwd, self.home)
            literal = []
            for part in pattern.split("/"):
                # an escaped character (`\\*`) is no wildcard, but stopping there is the safe side
                if any(c in part for c in "*?[{\\") or part in ("", ".", ".."):
                    break
                literal.append(part)
            if literal:
                found.append(base.resolve().joinpath(*literal))
        return list(dict.fromkeys(found))

    def read_deny_paths(self, *, limit: int = 256) -> list[Path]:
        """Paths outside the workspace that ``Read`` deny rules name, for the jail's read deny
        list, so Bash (``cat``) cannot read them either. Literal paths are taken as written;
        a glob is expanded against the files that exist now (new matches made later are not
        covered; a pattern for any depth, like ``Read(*.pem)``, is not expanded at all).
        Paths inside the workspace are left out: the jail cannot hide part of a tree it lets
        Bash read and write, so there only the file tools obey the rule."""
        rules = [r for r in self.deny if r.tool == "Read" and r.spec is not None]
        found = existing_paths(rules, cwd=self.cwd, home=self.home, limit=limit)
        return [p for p in found if not any(is_within(p, r) for r in self.roots)]

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
                match = self._first(rules, tool, {"path": str(path)}, any_part=True)
                hit = seen[path] = match is not None or self._linked(path)
            return hit

        return denied

    def _linked(self, path: Path) -> bool:
        """A regular file with other names (hard links), while a Read deny rule is in force:
        one of its names may be denied, and they cannot be found from this one."""
        if not any(r.tool == "Read" and r.spec is not None for r in self.deny):
            return False
        try:
            st = path.stat()
        except OSError:
            return False
        return stat.S_ISREG(st.st_mode) and st.st_nlink > 1

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


def directory_rules(directory: Path) -> list[Rule]:
    """Edit and Write allow rules for exactly ``directory`` and what is below it, built as
    values (never parsed from text: a ``)`` or ``,`` in the path stays part of the path, and a
    glob character matches only itself). A protected component in the path (``.claude``) is
    named by them, so they open it, and the sandbox makes the directory writable."""
    spec = f"//{glob_escape(str(directory).lstrip('/'))}/**"
    return [Rule("Edit", spec), Rule("Write", spec)]


def _round_trips(rule: Rule) -> bool:
    if rule.words is not None and "*" in str(rule):
        return False
    try:
        texts = split_rules(str(rule))
        return texts == [str(rule)] and Rule.parse(texts[0]) == Rule(rule.tool, rule.spec)
    except ConfigError:
        return False
