"""The session's hooks: pick the hooks an event matches, run them (in parallel, identical
commands once) with the envelope on stdin, report each as a :class:`HookEvent`, and merge their
answers into one :class:`HookOutcome`."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentrun.core.events import HookEvent
    from agentrun.core.types import JSON
    from agentrun.hooks.answer import HookAnswer, HookOutcome
    from agentrun.hooks.config import HookCommand, HookConfig
    from agentrun.hooks.runner import HookRun

__all__ = ["Hooks"]

_ids = itertools.count(1)


@functools.cache
def _nothing() -> HookOutcome:
    # Built at first need: a session without hooks never loads the answer parser (callers
    # ask has() first).
    from agentrun.hooks.answer import HookOutcome

    return HookOutcome()


class Hooks:
    """Fires hook events for one session. ``emit`` receives a :class:`HookEvent` per hook run
    (set by whoever runs the session; None: not reported)."""

    def __init__(
        self,
        config: HookConfig,
        *,
        cwd: Path,
        session_id: str,
        transcript_path: Path,
        permission_mode: Callable[[], str] = lambda: "default",
        subagent: bool = False,
    ) -> None:
        self.config = config
        self.cwd = cwd
        self.session_id = session_id
        self.transcript_path = transcript_path
        self.permission_mode = permission_mode
        self.subagent = subagent
        self.emit: Callable[[HookEvent], None] | None = None
        self._stop: str | None = None

    def has(self, event: str) -> bool:
        return bool(self.config.for_event(event))

    def for_subagent(self, label: str, block: object) -> Hooks:
        """These hooks plus a subagent's own ``hooks:`` frontmatter (``block``; its ``Stop``
        is its SubagentStop), for that subagent's run; ConfigError naming ``label`` when the
        block is malformed."""
        from dataclasses import replace

        from agentrun.hooks.config import as_subagent_hooks, parse_hooks

        found, warned = parse_hooks(block, label)
        config = replace(
            self.config,
            hooks=(*self.config.hooks, *as_subagent_hooks(found)),
            warnings=(*self.config.warnings, *warned),
        )
        hooks = Hooks(
            config,
            cwd=self.cwd,
            session_id=self.session_id,
            transcript_path=self.transcript_path,
            permission_mode=self.permission_mode,
            subagent=True,
        )
        hooks.emit = self.emit
        return hooks

    def selected(self, event: str, fields: JSON) -> list[HookCommand]:
        """The hooks ``event`` runs for these fields, identical ones once."""
        configured = self.config.for_event(event)
        if not configured:
            return []
        from agentrun.hooks.matcher import matches
        from agentrun.hooks.table import EVENTS

        spec = EVENTS[event]
        value = fields.get(spec.match_field) if spec.match_field else None
        chosen: dict[tuple[str, str], HookCommand] = {}
        for hook in configured:
            if matches(hook.matcher, value if isinstance(value, str) else None):
                chosen.setdefault((hook.type, hook.target), hook)
        return list(chosen.values())

    def envelope(self, event: str, fields: JSON) -> JSON:
        return {
            "session_id": self.session_id,
            "transcript_path": str(self.transcript_path),
            "cwd": str(self.cwd),
            "hook_event_name": event,
            "permission_mode": self.permission_mode(),
            **fields,
        }

    def fire(self, event: str, fields: JSON) -> HookOutcome:
        hooks = self.selected(event, fields)
        if not hooks:
            return _nothing()
        from agentrun.hooks.answer import merge, read_answer
        from agentrun.hooks.runner import run_hook
        from agentrun.hooks.table import EVENTS

        data = json.dumps(self.envelope(event, fields), ensure_ascii=False).encode()
        if len(hooks) == 1:
            runs = [run_hook(hooks[0], data, cwd=self.cwd)]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(8, len(hooks))) as pool:
                runs = list(pool.map(lambda h: run_hook(h, data, cwd=self.cwd), hooks))
        spec = EVENTS[event]
        answers = [
            read_answer(h, r, stdout_context=spec.stdout_context)
            for h, r in zip(hooks, runs, strict=True)
        ]
        for hook, run, answer in zip(hooks, runs, answers, strict=True):
            self._report(hook, run, answer, fields)
        outcome = merge(answers)
        if outcome.stop:
            self._stop = outcome.stop_reason or f"a {event} hook stopped the run"
        return outcome

    def take_stop(self) -> str | None:
        stop, self._stop = self._stop, None
        return stop

    def _report(self, hook: HookCommand, run: HookRun, answer: HookAnswer, fields: JSON) -> None:
        if self.emit is None:
            return
        from agentrun.core.events import HookEvent
        from agentrun.hooks.table import EVENTS

        spec = EVENTS[hook.event]
        value = fields.get(spec.match_field) if spec.match_field else None
        name = f"{hook.event}:{value}" if isinstance(value, str) and value else hook.event
        self.emit(
            HookEvent(
                session_id=self.session_id,
                hook_id=f"hook_{next(_ids)}",
                hook_name=name,
                hook_event=hook.event,
                command=hook.target,
                source=hook.source,
                stdout=run.stdout,
                stderr=run.stderr or (run.error and f"{run.error}\n"),
                exit_code=run.exit_code,
                outcome=answer.outcome,
                system_message=answer.system_message,
                blocked=answer.blocked or answer.permission == "deny",
                suppress_output=answer.suppress_output,
            )
        )
