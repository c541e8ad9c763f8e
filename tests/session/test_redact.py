"""One redaction rule for what agentrun writes: transcripts and recordings scrub the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agentrun
from agentrun.models.scripted import ScriptedModel
from agentrun.session.redact import REDACTED, redact

SECRETS = {
    "bearer": ("Authorization: Bearer abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwx"),
    "anthropic key": ("key=sk-ant-api03-abcdefgh1234", "abcdefgh1234"),
    "x-api-key": ("curl -H 'x-api-key: k3y-v4lue-0123' https://api", "k3y-v4lue-0123"),
    "basic auth url": ("git clone https://bob:hunter2pass@github.com/x.git", "hunter2pass"),
    "env value": ("echo $TOKEN -> plain-env-value-42", "plain-env-value-42"),
    "env dump": ("PATH=/bin GITHUB_TOKEN=ghp_CANARYGITHUB HOME=/h", "CANARYGITHUB"),
    "env file": ('DB_PASSWORD="hunter2-hunter2"\nDEBUG=1', "hunter2-hunter2"),
    "aws pair": ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCY", "wJalrXUtnFEMI"),
    "github token": ("pushed with ghp_0123456789abcdefghijABCDEFGHIJ ok", "ghp_0123456789abcdef"),
    "github pat": ("github_pat_11ABCDEFG0123456789_abcdefghij", "github_pat_11ABC"),
    "aws key id": ("id AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
    "slack": ("hook xoxb-1234567890-abcdefghij", "xoxb-1234567890"),
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_redact_replaces_each_kind(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text, secret = SECRETS[name]
    from agentrun.session.redact import env_secrets

    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "plain-env-value-42")
    clean = redact({"content": [text]}, secrets=env_secrets())["content"][0]
    assert secret not in clean and REDACTED in clean


def test_redact_leaves_code_and_short_words_alone() -> None:
    text = (
        'api_key = os.environ["KEY"]\nsecret = load()\nsk-ant-short\nhttps://example.com/a:b@c\n'
        "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}\nmax_tokens=1024\nTOKEN_LIMIT=4096\n"
    )
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        *(text for text, _ in SECRETS.values()),
        "X-API-KEY: abcdefgh12345678",
        "api_\u212aey=abcdefgh12345678",  # KELVIN SIGN folds to k
        "\u017fecret: abcdefgh12345678",  # LONG S folds to s
        "AUTHORIZATION: Basic abcdefgh12345678",
        "BEARER abcdefghijklmnopqrstuvwx",
        "ftp://u:p4ssword@host",
        "nothing to see here, just code = 1",
    ],
)
def test_the_quick_check_never_skips_what_the_patterns_match(text: str) -> None:
    """redact() first looks for text every pattern needs; it must agree with the patterns."""
    from agentrun.session import redact as module

    text_pattern, name_pattern = module._patterns()
    assert module.redact_text(text) == text_pattern.sub(module._replace, text)
    name = text.split(":")[0].split("=")[0]
    named = redact({name: "value"}) == {name: REDACTED}
    assert named == bool(name_pattern.match(name))


def test_transcript_and_recording_keep_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "plain-env-value-42")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "notes.txt").write_text("\n".join(text for text, _ in SECRETS.values()) + "\n")
    model = ScriptedModel.from_data(
        {
            "turns": [
                {"tool_calls": [{"name": "Read", "input": {"file_path": "notes.txt"}}]},
                {"expect": [{"contains": "hunter2pass"}], "text": "read it"},
            ]
        }
    )
    sessions, recording = tmp_path / "sessions", tmp_path / "run.jsonl"
    result = agentrun.run(
        "read notes.txt", cwd=ws, model=model, sessions_root=sessions, record=recording
    )
    assert (result.subtype, result.result) == ("success", "read it")  # the model saw it all
    transcript = (sessions / f"{result.session_id}.jsonl").read_text()
    for path, text in (("transcript", transcript), ("recording", recording.read_text())):
        for name, (_, secret) in SECRETS.items():
            assert secret not in text, f"{path} keeps the {name}"
        assert json.dumps(REDACTED) not in text  # nothing was blanked whole
        assert text.count(REDACTED) >= len(SECRETS)
