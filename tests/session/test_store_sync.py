"""When a transcript reaches the disk: its entries at each sync, and a new file's name with its
first synced entries (one journal commit for both, not one at creation and one at the sync)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrun.session import store
from agentrun.session.store import FileSessionStore


def test_a_new_transcript_s_name_is_synced_with_its_first_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    real = store._sync_directory

    def spy(path: Path) -> None:
        synced.append(path)
        real(path)

    monkeypatch.setattr(store, "_sync_directory", spy)
    sessions = FileSessionStore(tmp_path)
    sessions.append("s1", {"type": "header"}, sync=False)
    assert synced == []  # nothing is promised durable before a sync
    sessions.sync("s1")
    assert synced == [tmp_path]
    sessions.append("s1", {"type": "user"})
    sessions.sync("s1")
    assert synced == [tmp_path]  # once per new file
    sessions.append("s2", {"type": "header"})  # sync=True: durable at once, name included
    assert synced == [tmp_path, tmp_path]
    sessions.close()

    again = FileSessionStore(tmp_path)
    again.append("s1", {"type": "user"})  # an existing file: its name is on disk already
    again.close()
    assert synced == [tmp_path, tmp_path]
    assert len((tmp_path / "s1.jsonl").read_text().splitlines()) == 3
