"""Every public name of the official Claude Agent SDK imports from agentrun.sdk (or
agentrun.sdk.types), or fails with an ImportError that says agentrun does not provide it and why.

The list is a checked-in snapshot, so this runs without ``claude_agent_sdk`` installed.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from agentrun.sdk.convert import blocks
from agentrun.sdk.types import ServerToolResultBlock, ServerToolUseBlock

SNAPSHOT = Path(__file__).with_name("claude_agent_sdk_names.txt")


def _names() -> list[tuple[str, str]]:
    rows = []
    for line in SNAPSHOT.read_text().splitlines():
        if line and not line.startswith("#"):
            where, name = line.split()
            rows.append(("agentrun.sdk" if where == "package" else "agentrun.sdk.types", name))
    return rows


def test_snapshot_is_the_whole_surface() -> None:
    rows = _names()
    assert len(rows) > 300
    assert ("agentrun.sdk.types", "ClaudeAgentOptions") in rows


@pytest.mark.parametrize(("module", "name"), _names())
def test_name_imports_or_says_why(module: str, name: str) -> None:
    mod = importlib.import_module(module)
    try:
        value = getattr(mod, name)
    except ImportError as e:
        assert module == "agentrun.sdk"
        assert f"agentrun.sdk does not provide {name}:" in str(e)
        return
    assert value is not None


def test_from_import_of_an_unprovided_function_raises_the_reason() -> None:
    with pytest.raises(ImportError, match="does not provide fork_session: agentrun keeps"):
        from agentrun.sdk import fork_session  # noqa: F401


def test_types_and_package_names_are_the_same_objects() -> None:
    import agentrun.sdk as sdk
    import agentrun.sdk.types as types
    from agentrun.sdk.options import ClaudeAgentOptions

    assert types.ClaudeAgentOptions is ClaudeAgentOptions is sdk.ClaudeAgentOptions
    assert sdk.TaskStartedMessage is types.TaskStartedMessage
    assert issubclass(types.TaskStartedMessage, types.SystemMessage)
    with pytest.raises(AttributeError):
        _ = sdk.NoSuchName


def test_loading_every_type_imports_neither_anthropic_nor_mcp() -> None:
    code = (
        "import sys, agentrun.sdk as s, agentrun.sdk.types as t\n"
        "[getattr(t, n) for n in t.__all__ if n != 'McpServer']\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('anthropic', 'mcp')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_server_tool_blocks_are_mapped() -> None:
    got = blocks(
        [
            {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"q": "x"}},
            {"type": "web_search_tool_result", "tool_use_id": "s1", "content": []},
        ]
    )
    assert got[0] == ServerToolUseBlock("s1", "web_search", {"q": "x"})
    assert isinstance(got[1], ServerToolResultBlock)
    assert got[1].tool_use_id == "s1"
    assert got[1].content["type"] == "web_search_tool_result"
