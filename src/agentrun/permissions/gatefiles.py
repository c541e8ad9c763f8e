"""What the gate answers about files once a decision is made: a path re-decided after a file
tool opened it, the protected paths the sandbox keeps writable, the paths it hides from Bash,
and which search results a deny rule hides (:class:`GateFiles`, a part of
:class:`agentrun.permissions.gate.Gate`)."""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agentrun.core.pathutil import is_within
from agentrun.permissions.protected import names_protected
from agentrun.permissions.rules import EDIT_TOOLS, Rule, existing_paths, path_key

if TYPE_CHECKING:
    from agentrun.core.types import JSON
    from agentrun.permissions.decision import Decision


class GateFiles:
    """The file part of the gate; the attributes and the decision are the gate's own."""

    cwd: Path
    home: Path
    roots: list[Path]
    allow: list[Rule]
    deny: list[Rule]
    _approved: set[tuple[str, Path]]
    _lock: threading.Lock
    _guarded: tuple[Path, ...] | None = None

    if TYPE_CHECKING:

        def _decide(self, tool: str, tool_input: JSON, *, shell: bool = False) -> Decision: ...

        def _first(
            self, rules: Sequence[Rule], tool: str, tool_input: JSON, *, any_part: bool
        ) -> Rule | None: ...

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

    def guarded_part(self, paths: Sequence[Path]) -> str | None:
        """The protected entry of ``paths`` (each spelling of one path) that is not a protected
        name (:func:`protected_part`), or None: a ``core.hooksPath`` or an included config
        file inside a root, of a repository a root lies in or holds, or of the user's global
        git config (the user's git runs what they hold). A root holding the home directory is
        read-only whole (the gate refuses writes there before this)."""
        guarded = self._guarded
        if guarded is None:
            from agentrun.core.hookspath import git_run_paths  # at the first edit

            guarded = self._guarded = git_run_paths([r.resolve() for r in self.roots])
        for path in paths:
            for g in guarded:
                if is_within(path, g):
                    return g.name
        return None

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
