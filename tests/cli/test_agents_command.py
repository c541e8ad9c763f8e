"""``agentrun agents list|show``: through ``cli.main`` and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentrun.cli.app import main

REPO = Path(__file__).resolve().parents[2]
PERSONA = REPO / "agents" / "backend-specialist.md"
FIELDS = [
    "name",
    "description",
    "tools",
    "disallowed_tools",
    "model",
    "prompt",
    "path",
    "extra",
    "warnings",
    "permission_rules",
    "source",
    "fields",
]


def _persona_body() -> str:
    lines = PERSONA.read_text(encoding="utf-8").split("\n")
    closing = lines.index("---", 1)
    return "\n".join(lines[closing + 1 :]).strip()


def _check_backend_specialist(data: dict[str, object]) -> None:
    assert list(data) == FIELDS
    assert data["name"] == "backend-specialist"
    assert data["tools"] == ["Read", "Write", "Edit", "Bash", "Glob", "Grep"]
    assert data["model"] == "inherit"
    assert data["prompt"] == _persona_body()
    assert str(data["prompt"]).startswith("You are a senior backend engineer")
    assert (data["source"], data["warnings"], data["extra"]) == ("builtin", [], {})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake home so the developer's own ~/.claude/agents never leaks into the results."""
    fake = tmp_path / "home"
    fake.mkdir()
    monkeypatch.setenv("HOME", str(fake))
    return fake


def _agent(directory: Path, name: str, extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.md"
    path.write_text(f"---\nname: {name}\ndescription: The {name}.\n{extra}---\nBe {name}.\n")
    return path


def test_show_backend_specialist_json(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agents", "show", "backend-specialist", "--json", "--cwd", str(home)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    _check_backend_specialist(json.loads(captured.out))


def test_show_backend_specialist_json_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    out = subprocess.run(
        ["agentrun", "agents", "show", "backend-specialist", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (out.returncode, out.stderr) == (0, "")
    _check_backend_specialist(json.loads(out.stdout))


def test_list_json_shows_winners_and_sources(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _agent(home / ".claude" / "agents", "rev", "model: haiku\n")
    project = home / "proj"
    _agent(project / ".claude" / "agents", "rev", "tools: Read, Grep\n")
    assert main(["agents", "list", "--json", "--cwd", str(project)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["source"], r["tools"], r["model"]) for r in rows] == [
        (
            "backend-specialist",
            "builtin",
            ["Read", "Write", "Edit", "Bash", "Glob", "Grep"],
            "inherit",
        ),
        ("rev", "project", ["Read", "Grep"], None),
    ]


def test_cwd_before_the_action_is_kept(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = home / "proj"
    _agent(project / ".claude" / "agents", "near")
    assert main(["agents", "--cwd", str(project), "--json", "list"]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == [
        "backend-specialist",
        "near",
    ]


def test_list_table(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _agent(home / ".claude" / "agents", "rev", "tools: []\nmodel: haiku\n")
    _agent(home / ".claude" / "agents", "all")
    assert main(["agents", "--cwd", str(home)]) == 0  # `list` is the default action
    lines = capsys.readouterr().out.splitlines()
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.count("│") == 5]
    assert cells == [
        ["all", "user", "all", "default"],
        ["backend-specialist", "builtin", "Read, Write, Edit, Bash, Glob, Grep", "inherit"],
        ["rev", "user", "none", "haiku"],
    ]
    assert "3 agents" in lines[0]


def test_list_names_broken_files_on_stderr(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = home / ".claude" / "agents" / "broken.md"
    _agent(broken.parent, "fine")
    broken.write_text("# just notes\n")
    assert main(["agents", "list", "--json", "--cwd", str(home)]) == 0
    captured = capsys.readouterr()
    assert [r["name"] for r in json.loads(captured.out)] == ["backend-specialist", "fine"]
    assert captured.err.startswith(f"agentrun: skipped {broken}:1: no frontmatter")


def test_show_text_includes_warnings_and_prompt(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _agent(home / "loose", "odd", "tools: Read, WebFetch\n")
    assert main(["agents", "show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out and "WebFetch" in out
    assert out.rstrip().endswith("Be odd.")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["agents", "show", "nobody"], "agentrun: no agent named 'nobody'; available: "),
        (["agents", "show", "./missing.md"], "agentrun: agent file not found: "),
        (["agents", "show", "bad.md"], "agentrun: {cwd}/bad.md:2: `model` must be a string"),
    ],
    ids=["unknown-name", "missing-path", "bad-file"],
)
def test_show_errors_exit_2_with_one_line(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    (home / "bad.md").write_text("---\nmodel: [a, b]\nname: bad\ndescription: Bad.\n---\nBody.\n")
    assert main([*argv, "--cwd", str(home)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(message.format(cwd=home))
    assert captured.err.count("\n") == 1


def test_agents_help_does_not_import_rich() -> None:
    code = (
        "import sys; from agentrun.cli.app import main; rc = main(['agents', '--help']);"
        "print(rc, 'rich' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stderr.strip() == "0 False"
    assert "{list,show}" in out.stdout
