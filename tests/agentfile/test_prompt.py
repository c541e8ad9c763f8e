"""The system prompt: agent body, <env> block, project memory, appended text; deterministic."""

from __future__ import annotations

import datetime as dt
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

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
