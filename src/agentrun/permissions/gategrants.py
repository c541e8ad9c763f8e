"""The gate's session grants: what an "always" answer adds (never more than the user saw), the
objects approved once, and the grants carried into another session (:class:`GateGrants`, a
part of :class:`agentrun.permissions.gate.Gate`)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.core.errors import ConfigError
from agentrun.permissions.rules import EDIT_TOOLS, Rule, glob_escape, split_rules, tool_paths

if TYPE_CHECKING:
    from agentrun.core.types import JSON, ToolCall
    from agentrun.permissions.decision import Decision


class GateGrants:
    """The answers part of the gate; the attributes and the decision are the gate's own."""

    cwd: Path
    allow: list[Rule]
    _grants: list[Rule]
    _approved: set[tuple[str, Path]]
    _lock: threading.Lock

    if TYPE_CHECKING:

        def _decide(self, tool: str, tool_input: JSON, *, shell: bool = False) -> Decision: ...

        def _in_workspace(self, tool: str, tool_input: JSON) -> bool: ...

    @property
    def remembered(self) -> list[str]:
        """The grants added by "always" answers, as rules (to carry into another session).
        A grant whose text would not read back as exactly itself is left out (the next session
        asks again): a Bash grant with ``*`` in its words would read as a wildcard, and one
        with ``)``, ``,`` or a space where the rule list is split (a command ``echo "a),Bash"``,
        a directory named so) would read as several rules, a bare ``Bash`` among them."""
        return [str(r) for r in self._grants if _round_trips(r)]

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
