"""resolve_model: which model a run gets, and configuration errors before any call."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agentrun.core.errors import ConfigError, MissingApiKeyError, ScriptFormatError
from agentrun.models import resolve_model
from agentrun.models.anthropic import AnthropicModel
from agentrun.models.scripted import ScriptedModel


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-123456")
    monkeypatch.delenv("ANTHROPIC_MODEL", raising=False)
    monkeypatch.delenv("AGENTRUN_MAX_RETRIES", raising=False)


@pytest.mark.parametrize(
    ("spec", "agent_model", "expected"),
    [
        (None, None, "claude-sonnet-5-5"),
        (None, "inherit", "claude-sonnet-5-5"),
        ("inherit", "haiku", "claude-haiku-5-5"),
        (None, "opus", "claude-opus-5-5"),
        ("fable", "opus", "claude-fable-5-2"),
        ("claude-new-9", None, "claude-new-9"),
        (None, "default", "claude-sonnet-5-5"),
        ("default", "opus", "claude-opus-5-5"),
    ],
    ids=[
        "default",
        "inherit",
        "flag-inherit-uses-agent",
        "agent",
        "flag-wins",
        "full-id",
        "agent-says-default",
        "flag-says-default",
    ],
)
def test_choice(spec: str | None, agent_model: str | None, expected: str) -> None:
    model = resolve_model(spec, agent_model=agent_model)
    assert isinstance(model, AnthropicModel)
    assert model.model_id == expected


def test_anthropic_model_env_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_MODEL", "haiku")
    assert resolve_model(None, agent_model="inherit").model_id == "claude-haiku-5-5"


def test_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_model("sonnet").max_retries == 2  # type: ignore[attr-defined]
    assert resolve_model("sonnet", max_retries=0).max_retries == 0  # type: ignore[attr-defined]
    monkeypatch.setenv("AGENTRUN_MAX_RETRIES", "5")
    assert resolve_model("sonnet").max_retries == 5  # type: ignore[attr-defined]
    monkeypatch.setenv("AGENTRUN_MAX_RETRIES", "many")
    with pytest.raises(ConfigError, match="AGENTRUN_MAX_RETRIES"):
        resolve_model("sonnet")


def test_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(MissingApiKeyError, match="ANTHROPIC_API_KEY"):
        resolve_model("opus")


def test_script_needs_no_key_and_never_imports_anthropic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    path = tmp_path / "s.yaml"
    path.write_text("turns: [{text: hi}]\n")
    monkeypatch.delitem(sys.modules, "anthropic", raising=False)
    assert isinstance(resolve_model(f"script:{path}", agent_model="opus"), ScriptedModel)
    assert "anthropic" not in sys.modules


def test_bad_specs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        resolve_model(f"script:{tmp_path}/missing.yaml")
    with pytest.raises(ConfigError, match="needs a path"):
        resolve_model("replay:")
    bad = tmp_path / "bad.yaml"
    bad.write_text("turns: 3\n")
    with pytest.raises(ScriptFormatError):
        resolve_model(f"script:{bad}")


def test_record_wraps(tmp_path: Path) -> None:
    from agentrun.models.recording import RecordingModel

    path = tmp_path / "s.yaml"
    path.write_text("turns: [{text: hi}]\n")
    model = resolve_model(f"script:{path}", record=tmp_path / "rec.jsonl")
    assert isinstance(model, RecordingModel)
