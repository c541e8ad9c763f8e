"""How the gate judges the files a Bash line writes: a redirection as a Write of its target (one
only known at run time as a write anywhere), and besides its redirections (what
:mod:`agentrun.permissions.cmdwrites` finds): a named file as a Write of it, like a
redirection; a directory written into as a Write of every name under it; writes the text does
not show as a write that needs what writing anywhere needs (:class:`GateWrites`, a part of
:class:`agentrun.permissions.gate.Gate`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.core.pathutil import is_within
from agentrun.permissions.decision import Decision
from agentrun.permissions.rules import EDIT_TOOLS, Rule

if TYPE_CHECKING:
    from agentrun.core.types import JSON
    from agentrun.permissions.bashview import BashView

_GLOB = "*?[{"


class GateWrites:
    """The part of the gate judging what a Bash line writes; the rest is the gate's own."""

    mode: str
    cwd: Path
    home: Path
    allow: list[Rule]
    deny: list[Rule]
    shell_cwd: Callable[[], Path | None] | None

    if TYPE_CHECKING:

        def _decide(self, tool: str, tool_input: JSON, *, shell: bool = False) -> Decision: ...

        def _asked(self, reason: str, rule: str | None = None) -> Decision: ...

    def _redirect(self, target: str, what: str = "") -> Decision:
        """A Bash output redirection (or a file a command's option names: ``what`` says
        which), judged as a Write of its target."""
        # relative to where the shell is now (a `cd` in an earlier call stays in effect)
        where = self.shell_cwd() if self.shell_cwd is not None else None
        path = str(where / target) if where is not None else target
        d = self._decide("Write", {"file_path": path}, shell=True)
        if d.behavior == "allow":
            return d
        why = f"{what or f'the redirection writes {target}'}: {d.reason}"
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

    def _command_writes(self, view: BashView) -> list[Decision]:
        out = [self._redirect(path, f"{how} writes {path}") for path, how in view.file_writes]
        out += [self._dir_write(path, how) for path, how in view.dir_writes]
        out += [self._opaque_write(why) for why in view.opaque_writes]
        return out

    def _dir_write(self, directory: str, how: str) -> Decision:
        """Files under ``directory`` whose names the line does not give: a deny rule that
        could match one of them denies; otherwise judged as a Write of a name under it."""
        where = self.shell_cwd() if self.shell_cwd is not None else None
        absolute = (where or self.cwd) / directory
        for rule in self.deny:
            if rule.tool in EDIT_TOOLS and (rule.spec is None or self._may_match(rule, absolute)):
                return Decision(
                    "deny",
                    f"{how} writes files under {directory} whose names the command does not "
                    f"give, so deny rule {rule} cannot be checked",
                    str(rule),
                )
        inside = directory.rstrip("/") + "/*"
        return self._redirect(inside, f"{how} writes files under {directory}")

    def _may_match(self, rule: Rule, directory: Path) -> bool:
        """Whether ``rule``'s pattern may match a path under ``directory``."""
        base, pattern = rule.base_and_pattern(self.cwd, self.home)
        cut = min((pattern.find(c) for c in _GLOB if c in pattern), default=len(pattern))
        literal = pattern[:cut]
        if "/" not in pattern.strip("/"):  # matches at any depth below its base
            anchor = base
        else:
            anchor = base / literal.rsplit("/", 1)[0] if "/" in literal else base
        try:
            anchor, directory = anchor.resolve(), directory.resolve()
        except OSError:
            return True
        return is_within(directory, anchor) or is_within(anchor, directory)

    def _opaque_write(self, why: str) -> Decision:
        """A write the text does not show: denied under any Write/Edit deny rule (it cannot
        be checked), allowed where every workspace write is (acceptEdits, bypassPermissions,
        a bare ``Write`` allow rule: the jail keeps it to the writable roots and off the
        protected paths), asked otherwise."""
        edit_deny = next((r for r in self.deny if r.tool in EDIT_TOOLS), None)
        if edit_deny is not None:
            return Decision("deny", f"{why}, so deny rule {edit_deny} cannot be checked")
        if self.mode in ("acceptEdits", "bypassPermissions"):
            return Decision("allow", f"{self.mode} mode")
        bare = next((r for r in self.allow if r.tool == "Write" and r.spec is None), None)
        if bare is not None:
            return Decision("allow", f"matched allow rule {bare}", str(bare))
        return self._asked(f"{why}: it needs approval like any write")
