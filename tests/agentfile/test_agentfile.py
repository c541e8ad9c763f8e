"""agentfile: error messages and lines, field rules, discovery precedence, resolution, packaging."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from agentrun.agentfile.agentfile import (
    AgentSpec,
    builtin_agents_dir,
    discover_agents,
    find_agents,
    load_agent,
    resolve_agent,
)
from agentrun.core.errors import AgentFileError, ConfigError

REPO = Path(__file__).resolve().parents[2]
HEAD = "---\nname: planner\ndescription: Plans work.\n"


def _agent(directory: Path, name: str, *, body: str = "Body.", file: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (file or f"{name}.md")
    path.write_text(f"---\nname: {name}\ndescription: {name} at {directory}\n---\n{body}\n")
    return path


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "agent.md"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


ERRORS = [
    (
        "unrepairable-flow-list",
        HEAD + "tools: [Read, Grep\n---\nBody.\n",
        4,
        "invalid YAML in frontmatter that cannot be repaired at 'tools: [Read, Grep'; quote the"
        " value or use a block scalar (`key: |` then indented lines)",
    ),
    (
        "unrepairable-text-before-first-key",
        "\n---\nnot a key line\nname: x: y\n---\nBody.\n",
        3,
        "invalid YAML in frontmatter that cannot be repaired at 'not a key line'; quote the"
        " value or use a block scalar (`key: |` then indented lines)",
    ),
    (
        "unrepairable-broken-block-mapping",
        HEAD + "hooks:\n  Stop: [\n  x: : y\n---\nBody.\n",
        4,
        "invalid YAML in frontmatter that cannot be repaired at 'hooks:'",
    ),
    (
        "tools-not-names",
        HEAD + "tools: 5\n---\nBody.\n",
        4,
        "`tools` must be a comma-separated string or a list of tool names; got int 5",
    ),
    (
        "model-number",
        HEAD + "\nmodel: 4\n---\nBody.\n",
        5,
        "`model` must be a string such as sonnet, opus, haiku, inherit or a model id; got int 4",
    ),
    ("name-empty", '---\nname: ""\ndescription: d\n---\nBody.\n', 2, "`name` is empty"),
    (
        "description-number",
        "---\nname: x\ndescription: 12\n---\nBody.\n",
        3,
        "`description` must be a string, got int 12",
    ),
    (
        "no-closing-after-blank-lines",
        "\n\n---\nname: x\n",
        3,
        "the frontmatter opened on line 3 is never closed by a '---' line",
    ),
    (
        "h1-then-fence",
        "# Planner\n\n```yaml\n---\nname: x\n---\n```\n",
        4,
        "frontmatter must start on line 1, but it opens on line 4 (inside a code fence on line 3)",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_error_message_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(AgentFileError) as info:
        load_agent(path, strict=True)
    assert (info.value.path, info.value.line) == (path, line)
    assert str(info.value).startswith(f"{path}:{line}: {message}")
    assert "\n" not in str(info.value)  # the CLI prints it as one line


def test_unreadable_undecodable_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(AgentFileError, match="cannot read the agent file: No such file"):
        load_agent(tmp_path / "missing.md")
    with pytest.raises(AgentFileError, match=r":3: not UTF-8 text \(byte 0xff at offset 18\)"):
        load_agent(_write(tmp_path, b"---\nname: x\ndesc: \xff\n---\n"))
    with pytest.raises(AgentFileError, match="the file is empty"):
        load_agent(_write(tmp_path, "\n \n"))


def test_repair_warning_names_file_line_and_fix(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD.replace("Plans work.", "Plans: work") + "---\nBody.\n")
    assert load_agent(path).warnings == (
        f"{path}:3: frontmatter is not valid YAML (mapping values are not allowed here); read it"
        " leniently (quoted the `description` value as text) — to fix, quote the value or use a"
        " block scalar (`key: |` then indented lines)",
    )


def test_tab_repair_warning_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD.replace("Plans work.", "@team") + "tools:\n\t- Read\n---\nB.\n")
    spec = load_agent(path)
    assert (spec.description, spec.tools) == ("@team", ("Read",))
    assert spec.warnings == (
        f"{path}:3: frontmatter is not valid YAML (found character '@' that cannot start any"
        " token); read it leniently (read tab indentation as spaces; quoted the `description`"
        " value as text) — to fix, quote the value or use a block scalar (`key: |` then"
        " indented lines)",
    )


def test_duplicate_key_warning_names_the_second_line(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + "model: haiku\nmodel: opus\n---\nBody.\n")
    spec = load_agent(path)
    assert spec.model == "opus"
    assert spec.warnings == (f"{path}:5: duplicate key 'model'; the last one wins",)


def test_line_numbers_survive_crlf_and_bom(tmp_path: Path) -> None:
    text = "\ufeff\r\n---\r\nname: x\r\ndescription: d\r\nmodel: [a]\r\n---\r\nBody.\r\n"
    with pytest.raises(AgentFileError) as info:
        load_agent(_write(tmp_path, text))
    assert info.value.line == 5


def test_tools_warning_lists_only_foreign_names(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + "tools: Read, Teleport, Bash(git diff:*), Read\n---\nB.\n")
    spec = load_agent(path)
    assert spec.tools == ("Read", "Teleport", "Bash(git diff:*)")
    assert spec.permission_rules == ("Bash(git diff:*)",)
    assert spec.warnings == (
        f"{path}:4: `tools` names what agentrun does not provide, kept as written: Teleport"
        " (agentrun's tools: Read, Write, Edit, Bash, Glob, Grep, Task, Agent, MultiEdit, LS,"
        " TodoWrite, NotebookEdit, BashOutput, KillShell, WebFetch, WebSearch, TaskOutput,"
        " KillBash, AgentOutputTool, BashOutputTool, AgentOutput)",
    )  # Bash(git diff:*) offers Bash, narrowed by a rule: nothing to warn about


def test_a_narrowed_foreign_tool_is_still_foreign(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + "tools: Read, Teleport(domain:example.com)\n---\nB.\n")
    [warning] = load_agent(path).warnings
    assert "kept as written: Teleport(domain:example.com) (" in warning


def test_disallowed_tools_both_spellings_merge(tmp_path: Path) -> None:
    text = HEAD + "disallowedTools: [Write, Bash]\ndisallowed_tools: Bash, Edit\n---\nB.\n"
    spec = load_agent(_write(tmp_path, text))
    assert (spec.disallowed_tools, spec.extra, spec.warnings) == (("Write", "Bash", "Edit"), {}, ())


def test_non_string_list_entries_are_skipped_with_a_warning(tmp_path: Path) -> None:
    spec = load_agent(_write(tmp_path, HEAD + "tools: [Read, 3, null]\n---\nB.\n"))
    assert spec.tools == ("Read",)
    assert len(spec.warnings) == 2


def test_to_dict_is_json_ready(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + "created: 2024-01-02\n1: one\nmodel: inherit\n---\nBody.\n")
    data = load_agent(path).to_dict()
    assert json.loads(json.dumps(data)) == {
        "name": "planner",
        "description": "Plans work.",
        "tools": None,
        "disallowed_tools": [],
        "model": "inherit",
        "prompt": "Body.",
        "path": str(path),
        "extra": {"created": "2024-01-02", "1": "one"},
        "warnings": [],
        "permission_rules": [],
        "source": "path",
        "fields": {
            "permission_mode": None,
            "max_turns": None,
            "skills": [],
            "memory": None,
            "effort": None,
            "isolation": None,
            "background": False,
            "color": None,
            "mcp_servers": None,
            "hooks": None,
        },
    }


def test_builtin_dir_in_a_checkout_is_the_repo_agents_dir() -> None:
    assert builtin_agents_dir() == REPO / "agents"
    spec = load_agent(builtin_agents_dir() / "backend-specialist.md")
    assert spec.tools == ("Read", "Write", "Edit", "Bash", "Glob", "Grep")


def test_discovery_precedence_nearest_wins(tmp_path: Path) -> None:
    home = tmp_path / "home"
    work, proj = home / "work", home / "work" / "proj"
    cwd = proj / "src"
    cwd.mkdir(parents=True)
    user = _agent(home / ".claude" / "agents", "backend-specialist")
    _agent(home / ".claude" / "agents", "rev")
    _agent(work / ".claude" / "agents", "rev")
    _agent(work / ".claude" / "agents", "ops")
    near = _agent(proj / ".claude" / "agents" / "nested", "rev")
    here = _agent(cwd / ".claude" / "agents", "local")
    agents = find_agents(cwd, home=home)
    assert {name: (spec.source, spec.path) for name, spec in agents.items()} == {
        "backend-specialist": ("user", user),
        "rev": ("project", near),
        "ops": ("project", work / ".claude" / "agents" / "ops.md"),
        "local": ("project", here),
    }


def test_discovery_at_home_reads_the_user_dir_once(tmp_path: Path) -> None:
    _agent(tmp_path / ".claude" / "agents", "mine")
    agents = find_agents(tmp_path, home=tmp_path)
    assert sorted((n, s.source) for n, s in agents.items()) == [
        ("backend-specialist", "builtin"),
        ("mine", "user"),
    ]


def test_discovery_outside_home_walks_from_the_root(tmp_path: Path) -> None:
    cwd = tmp_path / "srv" / "app"
    cwd.mkdir(parents=True)
    _agent(tmp_path / "srv" / ".claude" / "agents", "deploy")
    agents = find_agents(cwd, home=tmp_path / "home")
    assert agents["deploy"].source == "project"


def test_discovery_collects_failures_and_keeps_going(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / ".claude" / "agents"
    _agent(directory, "good")
    bad = directory / "bad.md"
    bad.write_text("# no frontmatter\n")
    agents, errors = discover_agents(tmp_path, home=tmp_path / "home")
    assert sorted(agents) == ["backend-specialist", "good"]
    assert [(e.path, e.line) for e in errors] == [(bad, 1)]
    with caplog.at_level(logging.WARNING, logger="agentrun.agentfile.agentfile"):
        find_agents(tmp_path, home=tmp_path / "home")
    assert [r.getMessage() for r in caplog.records] == [f"skipped agent file: {errors[0]}"]


def test_resolve_by_name_path_and_errors(tmp_path: Path) -> None:
    home = tmp_path / "home"
    directory = tmp_path / ".claude" / "agents"
    _agent(directory, "rev")
    (directory / "broken.md").write_text("---\nname: broken\n")
    loose = _agent(tmp_path / "loose", "solo")
    assert resolve_agent("rev", tmp_path, home=home).source == "project"
    assert resolve_agent("loose/solo.md", tmp_path, home=home).path == loose
    assert resolve_agent(str(loose), "/", home=home).name == "solo"
    with pytest.raises(ConfigError, match=r"agent file not found: .*nope\.md"):
        resolve_agent("nope.md", tmp_path, home=home)
    with pytest.raises(ConfigError) as info:
        resolve_agent("nobody", tmp_path, home=home)
    assert str(info.value) == "no agent named 'nobody'; available: backend-specialist, rev"
    with pytest.raises(AgentFileError, match="opened on line 1 is never closed"):
        resolve_agent("broken", tmp_path, home=home)


def test_agent_spec_is_frozen() -> None:
    spec = AgentSpec(name="a", description="b")
    with pytest.raises(AttributeError):
        spec.name = "c"  # type: ignore[misc]


@pytest.mark.slow
def test_wheel_ships_the_builtin_agents(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("agentrun-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "agentrun/_data/agents/backend-specialist.md" in archive.namelist()
        archive.extractall(tmp_path / "site")
    code = (
        "import agentrun.agentfile.agentfile as a; print(a.__file__);"
        "print(a.builtin_agents_dir());"
        "print(a.find_agents('/')['backend-specialist'].source)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(tmp_path / "site"), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    site = tmp_path / "site" / "agentrun"
    assert run.stdout.split("\n")[:3] == [
        str(site / "agentfile" / "agentfile.py"),
        str(site / "_data" / "agents"),
        "builtin",
    ]


@pytest.mark.parametrize("model", ["fable", "opusplan", "sonnet[1m]", "inherit", "default"])
def test_every_model_alias_loads_without_a_warning(tmp_path: Path, model: str) -> None:
    path = tmp_path / "a.md"
    path.write_text(f"---\nname: a\ndescription: d\nmodel: {model}\n---\nBody.\n")
    assert load_agent(path).warnings == ()
