"""Which session a run writes to (a new one, a resumed one, or a fork of one) and the header
line its transcript starts with."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ConfigError, SessionError
from agentrun.session.store import SESSION_FORMAT, new_session_id, rebuild_messages

if TYPE_CHECKING:
    from agentrun.core.protocols import SessionStore
    from agentrun.core.types import JSON
    from agentrun.runner.options import RunOptions


def choose_session(
    store: SessionStore, o: RunOptions, cwd: Path
) -> tuple[str, list[Any], str | None]:
    """``(session id, its messages so far, the session it was forked from)``."""
    session_id = o.resume
    if o.continue_session and session_id is None:
        session_id = store.latest_for_cwd(cwd)
        if session_id is None:
            raise ConfigError(f"no saved session to continue in {cwd}")
    if session_id is None:
        return new_session_id(), [], None
    try:
        session_id = store.resolve(session_id)
        if o.fork_session:  # a new session starting from a copy: the original is untouched
            return new_session_id(), rebuild_messages(store.load(session_id)), session_id
        if store.exists(session_id):
            # Held for this run (another run resuming it now is refused), and a line torn
            # by a crash is dropped before anything is appended after it.
            store.claim(session_id)
        return session_id, rebuild_messages(store.load(session_id)), None
    except SessionError as e:
        raise ConfigError(str(e)) from e


def session_header(
    session_id: str, *, cwd: Path, agent: str, model_id: str, forked_from: str | None
) -> JSON:
    """The transcript's first line, written before its first entry."""
    return {
        "type": "session",
        "version": SESSION_FORMAT,
        "session_id": session_id,
        "cwd": str(cwd),
        "agent": agent,
        "model": model_id,
        "created": time.time(),
        **({"forked_from": forked_from} if forked_from is not None else {}),
    }
