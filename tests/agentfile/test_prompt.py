"""The system prompt: agent body, <env> block, project memory, appended text; deterministic."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentrun.agentfile.prompt import build_system_prompt, memory_files

DAY = dt.date(2026, 11, 26)


@dataclass(frozen=True)
class Agent:
    prompt: str


def test_body_then_env_block(tmp_path: Path) -> None:
    text = build_system_prompt(Agent("  Be brief.\n"), cwd=tmp_path, model_id="claude-x", today=DAY)
    assert text == (
        "Be brief.\n\n<env>\n"
        f"Working directory: {tmp_path.resolve()}\n"
        "Is directory a git repo: No\n"
        f"Platform: {sys.platform}\n"
        f"OS Version: {platform.system()} {platform.release()}\n"
        "Today's date: 2026-11-26\n"
        "Model: claude-x\n"
        "</env>"
    )


def test_memory_from_repo_root_down_and_append(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    sub = repo / "pkg" / "sub"
    sub.mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (sub / ".git").mkdir()  # an empty one (the sandbox's placeholder): git skips it, so do we
    (tmp_path / "CLAUDE.md").write_text("outside the repo: never read")
    (repo / "AGENTS.md").write_text("root rules")
    (repo / "CLAUDE.md").symlink_to("AGENTS.md")  # the same file: included once
    (sub / "CLAUDE.md").write_text("sub rules")
    assert memory_files(sub) == [repo / "CLAUDE.md", sub / "CLAUDE.md"]
    text = build_system_prompt(Agent("Body"), cwd=sub, model_id="m", append="Extra.", today=DAY)
    assert "Is directory a git repo: Yes" in text
    assert "outside the repo" not in text
    assert text.index("root rules") < text.index("sub rules") < text.index("Extra.")
    assert text.count("root rules") == 1
    assert text.endswith("sub rules\n\nExtra.")
    # Deterministic: the same inputs, the same bytes (so it caches).
    assert text == build_system_prompt(
        Agent("Body"), cwd=sub, model_id="m", append="Extra.", today=DAY
    )


def test_outside_a_repo_only_cwd_memory(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("parent")
    child = tmp_path / "c"
    child.mkdir()
    (child / "AGENTS.md").write_text("here")
    assert memory_files(child) == [child / "AGENTS.md"]


def _memory_text(cwd: Path, **kwargs: Any) -> str:
    return build_system_prompt(Agent("Body"), cwd=cwd, model_id="m", today=DAY, **kwargs)


def test_a_memory_file_linking_out_of_the_project_is_not_read(tmp_path: Path) -> None:
    # The runtime reads memory files unconfined: a link to a host file must not reach the model.
    secret = tmp_path / "host-secret"
    secret.write_text("TOP-SECRET-VALUE")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "CLAUDE.md").symlink_to(secret)
    (ws / "AGENTS.md").symlink_to("/proc/self/environ")
    text = _memory_text(ws)
    assert "TOP-SECRET-VALUE" not in text
    assert "PATH=" not in text
    assert "Contents of" not in text


def test_a_link_inside_the_repository_still_works(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "rules.md").write_text("shared rules")
    sub = repo / "sub"
    sub.mkdir()
    (sub / "CLAUDE.md").symlink_to("../docs/rules.md")
    assert "shared rules" in _memory_text(sub)


def test_the_sandbox_decides_what_a_memory_file_may_show(tmp_path: Path) -> None:
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "notes").write_text("HIDDEN-NOTES")
    (tmp_path / "CLAUDE.md").symlink_to("private/notes")
    assert "HIDDEN-NOTES" in _memory_text(tmp_path)
    hidden = tmp_path.resolve() / "private"
    text = _memory_text(tmp_path, can_read=lambda p: not p.is_relative_to(hidden))
    assert "HIDDEN-NOTES" not in text


def test_a_memory_file_that_is_not_regular_is_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "CLAUDE.md")  # opening a fifo for reading would block the start
    (tmp_path / "AGENTS.md").write_text("x" * 500_000)
    text = _memory_text(tmp_path)
    assert "[... cut: the file is longer ...]" in text
    assert "CLAUDE.md" not in text


@pytest.mark.skipif(os.geteuid() != 0, reason="only root reads past file modes")
def test_root_does_not_lend_its_rights_to_a_memory_link(tmp_path: Path) -> None:
    # The jail's root holds no capabilities: it cannot read another user's 0600 file, so the
    # runtime (root with all of them) must not read it into the prompt for it.
    secret = tmp_path / "theirs"
    secret.write_text("OTHER-USERS-SECRET")
    os.chown(secret, 1000, 1000)
    secret.chmod(0o600)
    (tmp_path / "CLAUDE.md").symlink_to("theirs")
    (tmp_path / "AGENTS.md").write_text("mine")
    text = _memory_text(tmp_path)
    assert "OTHER-USERS-SECRET" not in text
    assert "mine" in text
    secret.chmod(0o604)  # readable by anyone: the jail could read it too
    assert "OTHER-USERS-SECRET" in _memory_text(tmp_path)
