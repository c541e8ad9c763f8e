"""Every agent file of the shared corpus (1,552 real files from 16 repositories) loads.

The corpus lives beside the repository (``../shared/corpus``); ``AGENTRUN_CORPUS`` may point
at another copy. The test reads it in place and prints the tallies the issue asks for.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest

from agentrun.agentfile.agentfile import load_agent
from agentrun.core.errors import AgentFileError

CORPUS = Path(
    os.environ.get(
        "AGENTRUN_CORPUS", Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
    )
)
AGENTS = CORPUS / "agents"
MANIFEST = CORPUS / "agents-manifest.tsv"

pytestmark = pytest.mark.skipif(
    not AGENTS.is_dir() or not MANIFEST.is_file(),
    reason=f"agent corpus not found at {CORPUS} (set AGENTRUN_CORPUS to its directory)",
)


def _manifest_files() -> list[Path]:
    with MANIFEST.open(newline="", encoding="utf-8") as handle:
        return [AGENTS / row["file"] for row in csv.DictReader(handle, delimiter="\t")]


def test_every_corpus_file_loads(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(AGENTS.rglob("*.md"))
    assert sorted(_manifest_files()) == files
    assert len(files) == 1552

    started = time.perf_counter()
    warned: list[Path] = []
    failed: list[AgentFileError] = []
    for file in files:
        try:
            spec = load_agent(file)
        except AgentFileError as e:
            failed.append(e)
            continue
        assert spec.name and spec.description, file
        assert spec.tools is None or all(isinstance(t, str) and t for t in spec.tools), file
        if spec.warnings:
            warned.append(file)
    elapsed = time.perf_counter() - started

    with capsys.disabled():
        print(
            f"\ncorpus: {len(files)} files, {len(files) - len(failed)} loaded,"
            f" {len(warned)} with warnings, {len(failed)} AgentFileError, {elapsed:.2f}s"
        )
    assert [str(e) for e in failed] == []


def test_corpus_repairs_keep_the_keys_after_a_broken_description() -> None:
    # A real file whose description has unquoted `: ` and <example> dialogue lines at column 0;
    # the repair must stop the description at the next real key.
    spec = load_agent(AGENTS / "contains-studio__agents" / "engineering__backend-architect.md")
    assert spec.tools == ("Write", "Read", "MultiEdit", "Bash", "Grep")
    assert spec.extra == {"color": "purple"}
    assert spec.description.startswith("Use this agent when designing APIs")
    assert spec.description.endswith("</example>")
    assert spec.prompt.startswith("You are a master backend architect")
    assert any("frontmatter is not valid YAML" in w for w in spec.warnings)


def is_mcp(name: str) -> bool:
    """An MCP tool (``mcp__server__tool``) or a whole server (``mcp__server``): provided once
    its server is configured (``agentrun mcp add``, ``.mcp.json``, an agent's ``mcpServers``)."""
    return name.startswith("mcp__") and len(name) > len("mcp__")


def provided_share(files: list[Path]) -> tuple[float, float]:
    """The share of agent files whose every named tool agentrun provides (no ``tools``: all):
    with the built-in tools alone, and with MCP tools counted as provided.

    The built-in names come from the registry (through the agent loader's list), so a tool
    joins the count the day it is registered."""
    from agentrun.agentfile.agentfile import KNOWN_TOOLS

    builtin = with_mcp = 0
    for file in files:
        spec = load_agent(file)
        names = {t.split("(", 1)[0].strip() for t in spec.tools or ()}
        foreign = names - {*KNOWN_TOOLS, "*"}
        builtin += not foreign
        with_mcp += all(is_mcp(n) for n in foreign)
    return builtin / len(files), with_mcp / len(files)


def test_share_of_files_whose_tools_are_all_provided(capsys: pytest.CaptureFixture[str]) -> None:
    builtin, with_mcp = provided_share(sorted(AGENTS.rglob("*.md")))
    with capsys.disabled():
        print(
            f"\ncorpus: {builtin:.1%} of the agent files name only tools agentrun provides"
            f" ({with_mcp:.1%} with MCP servers configured)"
        )
    # The six gave 69.3%; Task, MultiEdit, LS, TodoWrite, NotebookEdit, BashOutput and
    # KillShell 77.5% (78.1% with MCP). WebFetch and WebSearch take it to 89.2% (98.7%), past
    # the 87% and 93% targets: raise these floors when they are registered.
    assert builtin >= 0.775
    assert with_mcp >= 0.78
