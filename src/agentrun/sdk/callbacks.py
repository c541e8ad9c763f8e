"""The program's async callbacks, called from the thread the agent runs in.

The loop runs in a worker thread; ``can_use_tool`` and hook functions are coroutines of the
program's event loop, so each call is scheduled there and waited for. Their answers enter the
same places as a person's or a command hook's: ``can_use_tool`` answers the gate's "ask" (deny
rules and non-interactive denials are decided before it is ever called; a rewritten input is
decided by the gate again), a hook's answer is read like a command hook's JSON and enters
``Gate.decide(call, hook=...)`` (its allow never beats a deny rule).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import TYPE_CHECKING, Any

from agentrun.core.loop import Answer
from agentrun.sdk.errors import UnsupportedOptionError
from agentrun.sdk.types import (
    PermissionResultAllow,
    PermissionResultDeny,
    PermissionRuleValue,
    PermissionUpdate,
    ToolPermissionContext,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from agentrun.core.loop import Approver
    from agentrun.core.protocols import PermissionDecision
    from agentrun.core.types import ToolCall
    from agentrun.hooks.config import HookCommand
    from agentrun.sdk.types import CanUseTool, HookMatcher

__all__ = ["Bridge", "approver", "hook_commands"]

log = logging.getLogger(__name__)
_HOOK_TIMEOUT_S = 60.0


class Bridge:
    """Runs a coroutine function on the program's loop from the agent's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._lock = threading.Lock()
        self.cancelled = False
        """Set by :meth:`cancel_all` until :meth:`resume`: no callback is awaited."""

    def call(
        self, fn: Callable[..., Awaitable[Any]], *args: Any, timeout: float | None = None
    ) -> Any:
        with self._lock:  # registered before cancel_all can look
            if self.cancelled:
                raise concurrent.futures.CancelledError
            future = asyncio.run_coroutine_threadsafe(_awaited(fn, *args), self.loop)
            self._pending.add(future)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise
        finally:
            with self._lock:
                self._pending.discard(future)

    def cancel_all(self) -> None:
        """Stop waiting for every callback still running (an interrupt, a disconnect): the
        agent's thread gets a cancelled answer, which denies a call or fails a hook."""
        with self._lock:
            self.cancelled = True
            pending = list(self._pending)
        for future in pending:
            future.cancel()

    def resume(self) -> None:
        """A new prompt: callbacks are awaited again."""
        with self._lock:
            self.cancelled = False


async def _awaited(fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    return await fn(*args)


def _suggestions(decision: PermissionDecision) -> list[PermissionUpdate]:
    grant = decision.grant
    if grant is None:
        return []
    name, _, rest = grant.partition("(")
    rule = PermissionRuleValue(name, rest[:-1] if rest.endswith(")") else None)
    return [PermissionUpdate("addRules", [rule], behavior="allow", destination="session")]


def _always(updates: list[PermissionUpdate] | None) -> bool:
    """Whether the allow comes with the session grant the gate offered (the one update
    agentrun applies); other updates are logged, not applied."""
    always = False
    for update in updates or []:
        session = update.destination in (None, "session")
        if update.type == "addRules" and update.behavior == "allow" and session:
            always = True
        else:
            log.warning("can_use_tool: permission update %r is not applied by agentrun", update)
    return always


def approver(can_use_tool: CanUseTool, bridge: Bridge) -> Approver:
    def approve(call: ToolCall, decision: PermissionDecision) -> Answer:
        context = ToolPermissionContext(
            suggestions=_suggestions(decision),
            tool_use_id=call.id,
            decision_reason=str(decision) or None,
        )
        try:
            result = bridge.call(can_use_tool, call.name, dict(call.input), context)
        except Exception as e:  # the program's callback failing denies, it never runs the call
            log.warning("can_use_tool raised for %s: %r", call.name, e)
            return Answer("deny", message=f"The permission check for {call.name} failed: {e}")
        if isinstance(result, PermissionResultAllow):
            return Answer(
                "allow",
                updated_input=result.updated_input,
                always=_always(result.updated_permissions),
            )
        if isinstance(result, PermissionResultDeny):
            message = result.message or f"The user denied this {call.name} call."
            return Answer("deny", message=message, interrupt=result.interrupt)
        return Answer(
            "deny",
            message=f"The permission check for {call.name} gave no answer "
            f"({type(result).__name__}); the call was not run.",
        )

    return approve


def _wire(answer: Any) -> dict[str, Any]:
    """A callback's answer in a command hook's JSON form (``continue_`` -> ``continue``)."""
    if answer is None:
        return {}
    if not isinstance(answer, dict):
        raise TypeError(f"a hook must return a dict, not {type(answer).__name__}")
    out = {k.rstrip("_") if k in ("continue_", "async_") else k: v for k, v in answer.items()}
    if out.pop("async", False):
        return {}  # fire-and-forget: no decision
    return out


def hook_commands(hooks: dict[str, list[HookMatcher]], bridge: Bridge) -> list[HookCommand]:
    """Every callback of ``hooks`` as a hook of the session's hooks engine."""
    from agentrun.hooks.config import HookCommand
    from agentrun.hooks.matcher import check_matcher
    from agentrun.hooks.table import EVENTS

    out: list[HookCommand] = []
    for event, matchers in hooks.items():
        if event not in EVENTS:
            raise UnsupportedOptionError(f"hooks[{event!r}]", "agentrun has no such hook event")
        for m in matchers:
            matcher = m.matcher or ""
            if (why := check_matcher(matcher)) is not None:
                raise UnsupportedOptionError(f"hooks[{event!r}] matcher {matcher!r}", why)
            timeout = float(m.timeout) if m.timeout is not None else _HOOK_TIMEOUT_S
            for fn in m.hooks:
                out.append(
                    HookCommand(
                        event=event,
                        matcher=matcher,
                        type="callback",
                        command=f"python:{getattr(fn, '__qualname__', repr(fn))}#{id(fn):x}",
                        timeout_s=timeout,
                        on_failure=m.on_failure or "continue",
                        source="agentrun.sdk hooks",
                        callback=_caller(fn, bridge, timeout),
                    )
                )
    return out


def _caller(
    fn: Callable[..., Awaitable[Any]], bridge: Bridge, timeout: float
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def call(envelope: dict[str, Any]) -> dict[str, Any]:
        tool_use_id = envelope.get("tool_use_id")
        return _wire(bridge.call(fn, envelope, tool_use_id, {"signal": None}, timeout=timeout))

    return call
