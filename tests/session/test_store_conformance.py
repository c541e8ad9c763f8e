"""The SessionStore conformance suite: the JSONL store passes it, a store that forgets or
keeps secrets fails it, and a conforming store of one's own carries a session and its resume."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import agentrun
from agentrun.core.errors import SessionError
from agentrun.core.types import ModelRequest
from agentrun.models.function import FunctionModel
from agentrun.session.redact import env_secrets, redact
from agentrun.session.store import FileSessionStore
from agentrun.testing.storesuite import (
    CHECKS,
    SessionStoreSuite,
    StoreFactory,
    check_entries_survive_a_new_store,
    check_one_holder_at_a_time,
    check_secrets_are_not_stored,
)


class TestFileSessionStore(SessionStoreSuite):
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        return lambda: FileSessionStore(tmp_path / "sessions")


class Backing:
    """What several MemoryStores share: the entries, and who holds each session."""

    def __init__(self) -> None:
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.holders: dict[str, object] = {}
        self.lock = threading.Lock()


class MemoryStore:
    """A store of one's own (here in memory) written to the protocol; ``redacts`` off makes it
    keep secrets, ``exclusive`` off lets two stores hold one session."""

    def __init__(self, backing: Backing, *, redacts: bool = True, exclusive: bool = True) -> None:
        self.backing, self.redacts, self.exclusive = backing, redacts, exclusive

    def _check(self, session_id: str) -> None:
        if not session_id or "/" in session_id or session_id.startswith("."):
            raise SessionError(f"not a session id: {session_id!r}")

    def check_writable(self) -> None:
        pass

    def resolve(self, given: str) -> str:
        self._check(given)
        found = [s for s in self.backing.entries if s.startswith(given)]
        if given in found:
            return given
        if len(found) != 1:
            raise SessionError(f"{given!r} names {len(found)} sessions")
        return found[0]

    def exists(self, session_id: str) -> bool:
        return session_id in self.backing.entries

    def path(self, session_id: str) -> Path:
        self._check(session_id)
        return Path("/nonexistent/memory") / session_id

    def claim(self, session_id: str) -> None:
        self._check(session_id)
        with self.backing.lock:
            holder = self.backing.holders.setdefault(session_id, self)
        if holder is not self and self.exclusive:
            raise SessionError(f"session {session_id} is held by another store")

    def append(self, session_id: str, entry: Mapping[str, Any], *, sync: bool = True) -> None:
        self.claim(session_id)
        value = redact(dict(entry), secrets=env_secrets()) if self.redacts else dict(entry)
        self.backing.entries.setdefault(session_id, []).append(value)

    def sync(self, session_id: str) -> None:
        pass

    def load(self, session_id: str) -> list[dict[str, Any]]:
        if session_id not in self.backing.entries:
            raise SessionError(f"no session {session_id!r}")
        return list(self.backing.entries[session_id])

    def latest_for_cwd(self, cwd: Path | str) -> str | None:
        for session_id, entries in reversed(self.backing.entries.items()):
            if entries and entries[0].get("cwd") == str(cwd):
                return session_id
        return None

    def close(self) -> None:
        with self.backing.lock:
            for session_id in [s for s, h in self.backing.holders.items() if h is self]:
                del self.backing.holders[session_id]


class TestMemoryStore(SessionStoreSuite):
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        backing = Backing()
        return lambda: MemoryStore(backing)


SHARED = Backing()


@pytest.mark.parametrize(
    "check, broken",
    [
        (check_entries_survive_a_new_store, lambda: MemoryStore(Backing())),
        (check_one_holder_at_a_time, lambda: MemoryStore(SHARED, exclusive=False)),
        (check_secrets_are_not_stored, lambda: MemoryStore(SHARED, redacts=False)),
    ],
    ids=["forgets", "not-exclusive", "keeps-secrets"],
)
def test_a_store_that_breaks_the_contract_fails(check: Any, broken: StoreFactory) -> None:
    SHARED.entries.clear()
    SHARED.holders.clear()
    with pytest.raises(AssertionError):
        check(broken)


def test_every_check_runs_in_the_suite() -> None:
    assert len({c.__name__ for c in CHECKS}) == len(CHECKS) >= 9


def test_a_run_and_its_resume_use_the_given_store(tmp_path: Path) -> None:
    backing = Backing()
    seen: list[ModelRequest] = []

    def fn(request: ModelRequest) -> Any:
        seen.append(request)
        return {"text": f"answer {len(seen)}"}

    sessions = tmp_path / "sessions"
    first = agentrun.run(
        "one",
        cwd=tmp_path,
        model=FunctionModel(fn),
        session_store=MemoryStore(backing),
        sessions_root=sessions,
    )
    assert [e["type"] for e in backing.entries[first.session_id]][:1] == ["session"]
    assert not sessions.exists()  # nothing went to the file store
    again = agentrun.run(
        "two",
        cwd=tmp_path,
        model=FunctionModel(fn),
        session_store=MemoryStore(backing),
        resume=first.session_id[:8],
    )
    assert again.session_id == first.session_id
    texts = [block["text"] for m in seen[1].messages for block in m["content"]]
    assert texts[:3] == ["one", "answer 1", "two"]  # the conversation came back from the store
