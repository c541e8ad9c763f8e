"""README's "MCP servers" section, kept true: its `.mcp.json` parses, its test example passes
under pytest as a user would run it, and the names it quotes are the ones the code uses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentrun.cli.app import main
from agentrun.mcp import client, tools
from agentrun.mcp.config import parse_servers

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def section() -> str:
    start = README.index("\n## MCP servers\n")
    return README[start : README.index("\n## ", start + 1)]


def blocks(lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(section()) if kind == lang]


def test_the_example_mcp_json_parses() -> None:
    (example,) = blocks("json")
    servers = parse_servers(json.loads(example), source="project", origin=".mcp.json")
    assert [(s.name, s.kind, s.sandbox) for s in servers] == [
        ("time", "stdio", False),
        ("docs", "http", False),
        ("git", "stdio", True),
    ]


def test_the_example_test_passes(tmp_path: Path) -> None:
    (example,) = blocks("python")
    name = example.splitlines()[0][2:]
    (tmp_path / name).parent.mkdir(parents=True)
    (tmp_path / name).write_text(example)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_quoted_names_are_the_code_s(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(section().split())
    doc = client.__doc__ or ""
    assert "MCP_TIMEOUT" in doc and "MCP_TOOL_TIMEOUT" in doc
    assert f"default {client.DEFAULT_START_TIMEOUT_MS}" in text.replace(",", "")
    assert f"(default {tools.DEFAULT_MAX_OUTPUT_TOKENS:,})" in text
    assert tools.LIST_RESOURCES in text and tools.READ_RESOURCE in text
    assert main(["mcp", "--help"]) == 0
    help_text = capsys.readouterr().out
    for action in ("list", "get", "add", "remove"):
        assert action in help_text and f"agentrun mcp {action}" in text
    for flag in ("--mcp-config", "--strict-mcp-config"):
        assert flag in text
