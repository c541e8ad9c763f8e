"""A conformance suite for :class:`agentrun.core.protocols.SessionStore`: does a store keep
transcripts the way a session relies on (order, durability, one holder, resume, no secrets)?

Run it against your own store by subclassing :class:`SessionStoreSuite` in a test module and
giving it a ``make_store`` fixture: a function returning a new store object over the SAME
backing storage each time it is called (a new store must see what an earlier one wrote)::

    from agentrun.testing.storesuite import SessionStoreSuite

    class TestMyStore(SessionStoreSuite):
        @pytest.fixture
        def make_store(self, tmp_path):
            return lambda: MyStore(tmp_path / "db.sqlite")

Each check is also a plain function (``CHECKS``) taking that factory, which raises
``AssertionError`` saying what the store got wrong.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from agentrun.core.errors import SessionError

if TYPE_CHECKING:
    from agentrun.core.protocols import SessionStore

StoreFactory = Callable[[], "SessionStore"]

__all__ = ["CHECKS", "SessionStoreSuite", "StoreFactory"]

ID_A = "0b9d4c1e-7a52-4f0e-9c61-3f2a8e5d7b10"
ID_B = "0b9d4c1e-11aa-4bbb-8ccc-000000000002"
ID_C = "7f00aa11-2222-4333-8444-555566667777"

ENTRIES: list[dict[str, Any]] = [
    {"type": "session", "session_id": ID_A, "cwd": "/work/a", "version": 1, "created": 1.5},
    {"type": "message", "message": {"role": "user", "content": 'héllo ✓ \u2028 "q" \n'}},
    {
        "type": "message",
        "message": {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "Read", "input": {"n": [1, None]}}
            ],
        },
        "ts": 12.25,
    },
    {"type": "result", "subtype": "success", "is_error": False, "num_turns": 2},
]


def _refuses(what: str, call: Callable[[], object]) -> None:
    try:
        call()
    except SessionError:
        return
    raise AssertionError(f"{what} did not raise SessionError")


def _header(session_id: str, cwd: str) -> dict[str, Any]:
    return {"type": "session", "session_id": session_id, "cwd": cwd, "version": 1}


def check_entries_come_back_in_order(make_store: StoreFactory) -> None:
    store = make_store()
    try:
        for entry in ENTRIES:
            store.append(ID_A, entry)
        loaded = store.load(ID_A)
    finally:
        store.close()
    assert loaded == ENTRIES, f"load() gave {loaded!r}, not the entries appended, in order"


def check_entries_survive_a_new_store(make_store: StoreFactory) -> None:
    first = make_store()
    try:
        first.append(ID_A, ENTRIES[0])
        first.append(ID_A, ENTRIES[1], sync=False)
        first.sync(ID_A)
    finally:
        first.close()
    second = make_store()
    try:
        assert second.exists(ID_A), "a new store does not see a session an earlier one wrote"
        assert second.load(ID_A) == ENTRIES[:2], "a new store loads other entries"
    finally:
        second.close()


def check_an_unknown_session(make_store: StoreFactory) -> None:
    store = make_store()
    try:
        assert not store.exists(ID_C), "exists() is true for a session never written"
        _refuses("load() of a session never written", lambda: store.load(ID_C))
        _refuses("resolve() of a session never written", lambda: store.resolve(ID_C))
    finally:
        store.close()


def check_sessions_are_kept_apart(make_store: StoreFactory) -> None:
    store = make_store()
    try:
        store.append(ID_A, _header(ID_A, "/a"))
        store.append(ID_B, _header(ID_B, "/b"))
        store.append(ID_A, ENTRIES[1])
        assert store.load(ID_A) == [_header(ID_A, "/a"), ENTRIES[1]]
        assert store.load(ID_B) == [_header(ID_B, "/b")]
    finally:
        store.close()


def check_one_holder_at_a_time(make_store: StoreFactory) -> None:
    first, second = make_store(), make_store()
    try:
        first.append(ID_A, ENTRIES[0])
        _refuses("claim() of a session another store holds", lambda: second.claim(ID_A))
        _refuses(
            "append() to a session another store holds",
            lambda: second.append(ID_A, ENTRIES[1]),
        )
        first.close()
        second.claim(ID_A)  # released by close()
        second.append(ID_A, ENTRIES[1])
        assert second.load(ID_A) == ENTRIES[:2]
    finally:
        first.close()
        second.close()


def check_ids_and_prefixes_resolve(make_store: StoreFactory) -> None:
    store = make_store()
    try:
        for session_id in (ID_A, ID_B, ID_C):
            store.append(session_id, _header(session_id, "/w"))
        assert store.resolve(ID_A) == ID_A
        assert store.resolve(ID_C[:6]) == ID_C, "a unique prefix does not resolve"
        _refuses("resolve() of a prefix two sessions have", lambda: store.resolve(ID_A[:8]))
    finally:
        store.close()


def check_what_is_not_an_id_is_refused(make_store: StoreFactory) -> None:
    store = make_store()
    try:
        for bad in ("", "../escape", "a/b", ".hidden"):
            _refuses(f"append() to {bad!r}", functools.partial(store.append, bad, ENTRIES[0]))
            _refuses(f"resolve() of {bad!r}", functools.partial(store.resolve, bad))
    finally:
        store.close()


def check_latest_for_cwd(make_store: StoreFactory) -> None:
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        one, other = str(Path(first).resolve()), str(Path(second).resolve())
        store = make_store()
        try:
            store.append(ID_A, _header(ID_A, one))
            store.append(ID_B, _header(ID_B, other))
            store.append(ID_B, ENTRIES[1])
            assert store.latest_for_cwd(one) == ID_A
            assert store.latest_for_cwd(other) == ID_B
            assert store.latest_for_cwd(str(Path(one) / "nowhere")) is None
        finally:
            store.close()


def check_secrets_are_not_stored(make_store: StoreFactory) -> None:
    key = "sk-ant-api03-" + "k" * 24
    entry = {"type": "message", "message": {"role": "user", "content": f"KEY={key}"}}
    store = make_store()
    try:
        store.append(ID_A, entry)
        text = repr(store.load(ID_A))
    finally:
        store.close()
    assert key not in text, "an API key was stored as given (redact() every entry)"


CHECKS: tuple[Callable[[StoreFactory], None], ...] = (
    check_entries_come_back_in_order,
    check_entries_survive_a_new_store,
    check_an_unknown_session,
    check_sessions_are_kept_apart,
    check_one_holder_at_a_time,
    check_ids_and_prefixes_resolve,
    check_what_is_not_an_id_is_refused,
    check_latest_for_cwd,
    check_secrets_are_not_stored,
)


class SessionStoreSuite:
    """Subclass as ``Test...`` and give it a ``make_store`` fixture; every check is a test."""

    @pytest.fixture
    def make_store(self) -> StoreFactory:
        raise NotImplementedError("give the suite a make_store fixture")

    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
    def test_conformance(self, check: Callable[[StoreFactory], None], make_store: Any) -> None:
        check(make_store)
