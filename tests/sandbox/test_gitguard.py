"""The .git placeholders: made only where nothing is, listed first, removed only while empty."""

from __future__ import annotations

import json
from pathlib import Path

from agentrun.sandbox import gitguard


def test_plant_makes_only_what_is_absent_and_lists_it_first(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    roots = [tmp_path / n for n in ("empty", "repo", "file", "link")]
    for root in roots:
        root.mkdir()
    (tmp_path / "repo" / ".git").mkdir()
    (tmp_path / "file" / ".git").write_text("gitdir: elsewhere\n")
    (tmp_path / "link" / ".git").symlink_to(tmp_path / "nowhere")
    made = gitguard.plant([r / ".git" for r in roots], state)
    assert made == [tmp_path / "empty" / ".git"]
    assert json.loads((state / gitguard.LIST_NAME).read_text()) == [str(made[0])]
    assert (tmp_path / "file" / ".git").read_text() == "gitdir: elsewhere\n"


def test_remove_leaves_what_is_no_longer_an_empty_placeholder(tmp_path: Path) -> None:
    kept, gone = tmp_path / "a" / ".git", tmp_path / "b" / ".git"
    kept.mkdir(parents=True)
    gone.mkdir(parents=True)
    (kept / "HEAD").write_text("ref: refs/heads/main\n")  # the user ran `git init` meanwhile
    gitguard.remove([kept, gone, tmp_path / "c" / ".git"])
    assert (kept / "HEAD").exists() and not gone.exists()


def test_sweep_removes_only_listed_empty_git_directories(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    planted, other = tmp_path / "ws" / ".git", tmp_path / "ws" / "src"
    planted.mkdir(parents=True)
    other.mkdir()
    (state / gitguard.LIST_NAME).write_text(json.dumps([str(planted), str(other), 3]))
    gitguard.sweep(state)
    assert not planted.exists() and other.exists()  # a listed path not named .git is left


def test_sweep_ignores_a_missing_or_garbled_list(tmp_path: Path) -> None:
    gitguard.sweep(tmp_path)  # no list
    (tmp_path / gitguard.LIST_NAME).write_text("{not json")
    gitguard.sweep(tmp_path)
    (tmp_path / gitguard.LIST_NAME).write_text('{"a": 1}')
    gitguard.sweep(tmp_path)
