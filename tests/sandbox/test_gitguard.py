"""The .git placeholders: made only where nothing is, held while a jail runs, removed only by
the last session holding them and only while they are the same empty directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

from agentrun.jail import gitguard


def _roots(tmp_path: Path, *names: str) -> list[Path]:
    roots = [tmp_path / n for n in names]
    for root in roots:
        root.mkdir()
    return roots


def test_plant_guards_only_roots_without_a_repository(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    empty, repo, file, link = _roots(tmp_path, "empty", "repo", "file", "link")
    (repo / ".git" / "objects").mkdir(parents=True)
    (file / ".git").write_text("gitdir: elsewhere\n")
    (link / ".git").symlink_to(tmp_path / "nowhere")
    held = gitguard.plant([empty, repo, file, link], state)
    assert [p.path for p in held] == [empty / ".git"]
    [entry] = json.loads((state / gitguard.LIST_NAME).read_text())
    assert entry["path"] == str(empty / ".git")
    assert (entry["dev"], entry["ino"]) == held[0].inode
    assert (file / ".git").read_text() == "gitdir: elsewhere\n" and (link / ".git").is_symlink()
    gitguard.release(held)
    assert not (empty / ".git").exists()


def test_two_sessions_share_one_placeholder_and_the_last_removes_it(tmp_path: Path) -> None:
    (ws,) = _roots(tmp_path, "ws")
    state_a, state_b = tmp_path / "a", tmp_path / "b"
    state_a.mkdir()
    state_b.mkdir()
    a = gitguard.plant([ws], state_a)
    b = gitguard.plant([ws], state_b)  # finds A's placeholder and holds it too
    assert a[0].inode == b[0].inode
    gitguard.release(a)
    assert (ws / ".git").is_dir()  # B's jail still has it bound: it must stay
    gitguard.sweep(state_a)  # nor may a sweep take it while B holds it
    assert (ws / ".git").is_dir()
    gitguard.release(b)
    assert not (ws / ".git").exists()


def test_the_users_own_repository_made_meanwhile_is_kept(tmp_path: Path) -> None:
    (ws,) = _roots(tmp_path, "ws")
    state = tmp_path / "state"
    state.mkdir()
    held = gitguard.plant([ws], state)
    (ws / ".git" / "HEAD").write_text("ref: refs/heads/main\n")  # `git init` on the host
    gitguard.release(held)
    assert (ws / ".git" / "HEAD").exists()


def test_a_root_renamed_and_replaced_by_a_symlink_cannot_redirect_the_removal(
    tmp_path: Path,
) -> None:
    """From inside a jail, an --add-dir below the workspace can be renamed and a symlink to
    elsewhere put in its place: the clean-up must still act on the real placeholder."""
    (ws,) = _roots(tmp_path, "ws")
    sub = ws / "sub"
    sub.mkdir()
    victim = tmp_path / "victim"
    (victim / ".git").mkdir(parents=True)  # an empty .git elsewhere, not ours
    state = tmp_path / "state"
    state.mkdir()
    held = gitguard.plant([sub], state)
    sub.rename(ws / "moved")
    sub.symlink_to(victim)
    gitguard.release(held)
    assert (victim / ".git").is_dir()  # not touched
    assert not (ws / "moved" / ".git").exists()  # ours, found through the root's descriptor


def test_sweep_removes_only_the_listed_inode(tmp_path: Path) -> None:
    (ws,) = _roots(tmp_path, "ws")
    state = tmp_path / "state"
    state.mkdir()
    held = gitguard.plant([ws], state)
    for p in held:  # a SIGKILLed runtime: its descriptors die, nothing is removed
        os.close(p.lock_fd)
        os.close(p.root_fd)
    listed = json.loads((state / gitguard.LIST_NAME).read_text())
    other = tmp_path / "other"
    (other / ".git").mkdir(parents=True)
    forged = [*listed, {"path": str(other / ".git"), "dev": listed[0]["dev"], "ino": 1}]
    (state / gitguard.LIST_NAME).write_text(json.dumps(forged))
    gitguard.sweep(state)
    assert not (ws / ".git").exists() and (other / ".git").is_dir()


def test_sweep_ignores_a_missing_or_garbled_list(tmp_path: Path) -> None:
    gitguard.sweep(tmp_path)  # no list
    (tmp_path / gitguard.LIST_NAME).write_text("{not json")
    gitguard.sweep(tmp_path)
    (tmp_path / gitguard.LIST_NAME).write_text('[{"path": 3}, "x", {"a": 1}]')
    gitguard.sweep(tmp_path)
