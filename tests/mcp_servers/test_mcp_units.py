"""The pure parts of the MCP adapter: schema repair, names, the output cap."""

from __future__ import annotations

import pytest

from agentrun.core.errors import ConfigError
from agentrun.mcp.config import parse_server
from agentrun.mcp.tools import cap, repair_schema, tool_name


def test_schemas_the_api_rejects_are_repaired_or_refused() -> None:
    assert repair_schema({"properties": {}}) == ({"properties": {}, "type": "object"}, "")
    assert repair_schema({"type": "object"})[0] == {"type": "object"}
    assert repair_schema({"type": "array"})[0] is None
    assert repair_schema(["not", "an", "object"])[0] is None
    assert repair_schema({"type": "object", "properties": []})[0] is None


def test_names_follow_claude_code() -> None:
    assert tool_name("my.server", "get time") == "mcp__my_server__get_time"


def test_cap_keeps_images_and_notes_the_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_MCP_OUTPUT_TOKENS", "10")
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": ""}}
    out = cap([{"type": "text", "text": "a" * 100}, image])
    assert out[0] == {"type": "text", "text": "a" * 40}
    assert out[1] == image and "MAX_MCP_OUTPUT_TOKENS" in out[2]["text"]


@pytest.mark.parametrize(
    "raw",
    [{"type": "ftp", "url": "x"}, {"command": 3}, {"command": "x", "args": "y"}, "nope"],
)
def test_malformed_servers_are_config_errors(raw: object) -> None:
    with pytest.raises(ConfigError, match="MCP server 'bad'"):
        parse_server("bad", raw, source="user", origin="settings.json", env={})


def test_a_server_name_cannot_pass_for_another_servers_tools() -> None:
    # `github__x`'s tools would be mcp__github__x__*, allowed by a rule `mcp__github`
    with pytest.raises(ConfigError, match="may not contain '__'"):
        parse_server("github__x", {"command": "x"}, source="project", origin=".mcp.json", env={})
