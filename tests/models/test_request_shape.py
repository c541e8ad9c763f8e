"""What a request carries per model (thinking, effort, max_tokens, context edits, betas), through
the real SDK against FakeAnthropicServer, and where the effort comes from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import agentrun.runner.api as api
from agentrun.core.errors import ConfigError
from agentrun.models.anthropic import AnthropicModel
from agentrun.models.catalog import model_info, request_options
from agentrun.testing.fake_server import FakeAnthropicServer

KEY = "sk-ant-test-0123456789abcdef"
AGENT = """---
name: reader
description: Reads files.
tools: Read
{extra}---
You read code.
"""
CLAUDE_CODE_FIRST_REQUEST = {
    "thinking": {"type": "adaptive", "display": "updates"},
    "output_config": {"effort": "medium"},
    "max_tokens": 128000,
    "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
}
"""Claude Code 2.1.332's first request to a current model, side by side on the same fake API."""
BOTH_BETAS = "context-management-2025-06-27,compact-2026-01-12"


def with_compaction(fields: dict[str, Any], window: int) -> dict[str, Any]:
    """Claude Code's fields plus server-side compaction at 85% of the window (agentrun's
    threshold), which the current models support."""
    compact = {"type": "compact_20260112", "trigger": {"type": "input_tokens", "value": window}}
    edits = [*fields["context_management"]["edits"], compact]
    return {**fields, "context_management": {"edits": edits}}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.delenv("ANTHROPIC_MODEL", raising=False)
    with FakeAnthropicServer() as srv:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", srv.url)
        yield srv


def answer() -> dict[str, Any]:
    return {"content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn"}


def run(ws: Path, extra: str = "", **kw: Any) -> api.RunResult:
    ws.mkdir(exist_ok=True)
    (ws / "reader.md").write_text(AGENT.format(extra=extra))
    return api.run("hi", agent=str(ws / "reader.md"), cwd=ws, strict=True, **kw)


FIELDS = ("thinking", "output_config", "max_tokens", "context_management")


@pytest.mark.parametrize(
    ("model", "expected", "beta"),
    [
        ("sonnet", with_compaction(CLAUDE_CODE_FIRST_REQUEST, 850_000), BOTH_BETAS),
        ("claude-opus-5-5", with_compaction(CLAUDE_CODE_FIRST_REQUEST, 850_000), BOTH_BETAS),
        (
            "claude-haiku-5-5",
            with_compaction({**CLAUDE_CODE_FIRST_REQUEST, "max_tokens": 64000}, 170_000),
            BOTH_BETAS,
        ),
        # Older models: no adaptive thinking, no effort, so no clear_thinking edit either.
        ("claude-sonnet-4-20250514", {"max_tokens": 64000}, None),
        ("claude-opus-4-1", {"max_tokens": 32000}, None),
        ("claude-3-5-haiku-latest", {"max_tokens": 8192}, None),
        # An id the table does not know (a proxy's): the plain request agentrun always sent.
        ("acme-proxy-model", {"max_tokens": 32000}, None),
    ],
)
def test_request_shape_per_model(
    server: Any, tmp_path: Path, model: str, expected: dict[str, Any], beta: str | None
):
    server.add(answer())
    result = run(tmp_path / "ws", model=model)
    assert result.subtype == "success", result.result
    (request,) = server.requests
    assert {k: request.body[k] for k in FIELDS if k in request.body} == expected
    assert request.headers.get("anthropic-beta") == beta
    assert request.path.startswith("/v1/messages")


@pytest.mark.parametrize(
    ("flag", "extra", "settings", "model", "sent"),
    [
        ("high", "effort: low\n", "max", "sonnet", "high"),  # the flag wins
        (None, "effort: low\n", "max", "sonnet", "low"),  # then the agent file
        (None, "", "xhigh", "sonnet", "xhigh"),  # then the settings
        (None, "", None, "sonnet", "medium"),  # then Claude Code's default
        ("max", "", None, "opus", "max"),
        ("max", "", None, "sonnet", "xhigh"),  # sonnet has no max: its highest level
    ],
)
def test_effort_sources(
    server: Any,
    tmp_path: Path,
    flag: str | None,
    extra: str,
    settings: str | None,
    model: str,
    sent: str,
):
    ws = tmp_path / "ws"
    if settings is not None:
        (ws / ".claude").mkdir(parents=True)
        (ws / ".claude" / "settings.json").write_text(json.dumps({"effortLevel": settings}))
    server.add(answer())
    assert run(ws, extra, model=model, effort=flag).subtype == "success"
    assert server.requests[0].body["output_config"] == {"effort": sent}


def test_bad_effort_is_a_config_error_naming_its_source(server: Any, tmp_path: Path):
    with pytest.raises(ConfigError, match="agent file's effort: unknown effort level 'huge'"):
        run(tmp_path / "ws", "effort: huge\n", model="sonnet")
    assert server.requests == []


def test_effort_flag_on_the_command_line(server: Any, tmp_path: Path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "reader.md").write_text(AGENT.format(extra=""))
    server.add(answer())
    base = [sys.executable, "-m", "agentrun", "-p", "hi", "--agent", str(ws / "reader.md")]
    done = subprocess.run(
        [*base, "--cwd", str(ws), "--model", "opus", "--effort", "HIGH"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert server.requests[0].body["output_config"] == {"effort": "high"}
    bad = subprocess.run([*base, "--effort", "huge"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--effort" in bad.stderr
    assert len(server.requests) == 1


def test_thinking_streams_to_the_sink_and_stays_in_the_message(server: Any):
    block = {"type": "thinking", "thinking": "First the tests, then the fix.", "signature": "c2ln"}
    server.add({"content": [block, {"type": "text", "text": "Done."}], "stop_reason": "end_turn"})
    model = AnthropicModel("claude-sonnet-5-5", api_key=KEY, base_url=server.url)
    seen: list[str] = []
    model.on_thinking = seen.append
    from agentrun.core.types import ModelRequest

    response = model.complete(
        ModelRequest("claude-sonnet-5-5", "", [{"role": "user", "content": "x"}])
    )
    model.close()
    assert "".join(seen) == block["thinking"]
    assert response.content[0] == block


def test_table_aliases_and_snapshots():
    assert model_info("opus") is model_info("claude-opus-5-5-20261101")
    assert model_info("sonnet").window == 1_000_000
    assert model_info("nobody-knows").max_output == 32_000
    options = request_options("sonnet", compact_at=150_000)
    assert options.betas == ("context-management-2025-06-27", "compact-2026-01-12")
    assert options.fields["context_management"]["edits"][1] == {
        "type": "compact_20260112",
        "trigger": {"type": "input_tokens", "value": 150_000},
    }
    assert request_options("claude-sonnet-4", compact_at=150_000).betas == ()
