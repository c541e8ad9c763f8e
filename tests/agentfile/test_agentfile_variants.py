"""Every form in shared/corpus/VARIANTS.md (V1–V22, B1–B11) as a small synthetic agent file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from agentrun.agentfile.agentfile import AgentSpec, find_agents, load_agent
from agentrun.core.errors import AgentFileError

HEAD = "---\nname: planner\ndescription: Plans work.\n"
BODY = "---\nYou plan work.\n"


@dataclass(frozen=True)
class Case:
    id: str
    text: str | bytes
    name: str = "planner"
    description: str = "Plans work."
    tools: tuple[str, ...] | None = None
    model: str | None = None
    prompt: str = "You plan work."
    warnings: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    disallowed: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


MIGRATIONS = "Use after editing migrations."
EXAMPLE = MIGRATIONS + "\n\n<example>\nuser: hi\n</example>"

ACCEPTED = [
    Case(
        "V1-canonical",
        "---\nname: log-summarizer\ndescription: Summarizes CI logs after a failed build.\n"
        "tools: Read, Grep\nmodel: haiku\n---\n"
        "You read build logs and report the first real error.\n",
        name="log-summarizer",
        description="Summarizes CI logs after a failed build.",
        tools=("Read", "Grep"),
        model="haiku",
        prompt="You read build logs and report the first real error.",
    ),
    Case("V2-tools-flow-list", HEAD + "tools: [Read, Grep]\n" + BODY, tools=("Read", "Grep")),
    Case(
        "V3-tools-block-list", HEAD + "tools:\n  - Read\n  - Grep\n" + BODY, tools=("Read", "Grep")
    ),
    Case("V4-tools-absent-means-all", HEAD + BODY, tools=None),
    Case("V5-tools-single-name", HEAD + "tools: Read\n" + BODY, tools=("Read",)),
    Case("V6-tools-empty-list-means-none", HEAD + "tools: []\n" + BODY, tools=()),
    Case("V6-tools-empty-string-means-none", HEAD + 'tools: ""\n' + BODY, tools=()),
    Case("V6-tools-null-means-all", HEAD + "tools:\n" + BODY, tools=None, warnings=1),
    Case(
        "V7-mcp-names",
        HEAD + "tools: Read, mcp__tracker__create_ticket, mcp__tracker__*, mcp__wiki\n" + BODY,
        tools=("Read", "mcp__tracker__create_ticket", "mcp__tracker__*", "mcp__wiki"),
        warnings=1,
    ),
    Case(
        "V8-permission-patterns-commas-in-parens",
        HEAD
        + "tools: Read, Bash(git tag:*), Bash(npm test), Agent(changelog-writer, version-bumper)\n"
        + BODY,
        tools=(
            "Read",
            "Bash(git tag:*)",
            "Bash(npm test)",
            "Agent(changelog-writer, version-bumper)",
        ),
        rules=("Bash(git tag:*)", "Bash(npm test)", "Agent(changelog-writer, version-bumper)"),
        warnings=0,  # Agent (Task's newer name) is a tool agentrun has
    ),
    Case(
        "V9-foreign-names",
        HEAD + "tools: read, search, edit/editFiles, runTests, Diff Engine\n" + BODY,
        tools=("read", "search", "edit/editFiles", "runTests", "Diff Engine"),
        warnings=1,
    ),
    Case("V10-wildcard-quoted", HEAD + 'tools: "*"\n' + BODY, tools=None),
    Case("V11-model-alias", HEAD + "model: sonnet\n" + BODY, model="sonnet"),
    Case("V11-model-inherit", HEAD + "model: inherit\n" + BODY, model="inherit"),
    Case(
        "V11-model-full-id",
        HEAD + "model: claude-sonnet-4-20250514\n" + BODY,
        model="claude-sonnet-4-20250514",
    ),
    Case(
        "V11-model-display-name-warns",
        HEAD + "model: Claude Sonnet 4.5\n" + BODY,
        model="Claude Sonnet 4.5",
        warnings=1,
    ),
    Case(
        "V11-model-then-comment",
        HEAD + "model: opus\n# why opus: deep reasoning\n" + BODY,
        model="opus",
    ),
    Case(
        "V12-colours",
        HEAD + 'color: teal\nbg: "#3366FF"\nfg: #3366FF\n' + BODY,
        extra={"color": "teal", "bg": "#3366FF", "fg": None},
    ),
    Case(
        "V13-escaped-newlines-in-double-quotes",
        "---\nname: planner\n"
        'description: "Use after editing migrations.\\n\\n<example>\\nuser: \\"I added a column\\"'
        '\\nassistant: \\"Running schema-guard.\\"\\n</example>"\n' + BODY,
        description=MIGRATIONS + '\n\n<example>\nuser: "I added a column"\n'
        'assistant: "Running schema-guard."\n</example>',
    ),
    Case(
        "V14-doubled-escapes",
        "---\nname: planner\n"
        'description: "Use after editing migrations.\\\\n\\\\n<example>'
        '\\\\nuser: hi\\\\n</example>"\n' + BODY,
        description=EXAMPLE,
    ),
    Case(
        "V15-plain-literal-backslash-n",
        "---\nname: planner\ndescription: Use after editing migrations.\\n\\n<example>\\n"
        "The user added a column\\n</example>\n" + BODY,
        description=MIGRATIONS + "\n\n<example>\nThe user added a column\n</example>",
    ),
    Case(
        "V16-folded-block",
        "---\nname: planner\ndescription: >\n  Use after editing migrations.\n"
        "  Checks column types.\n" + BODY,
        description=MIGRATIONS + " Checks column types.",
    ),
    Case(
        "V16-literal-block",
        "---\nname: planner\ndescription: |\n  Use after editing migrations.\n"
        "  Checks column types.\n" + BODY,
        description=MIGRATIONS + "\nChecks column types.",
    ),
    Case(
        "V17-indented-continuation",
        "---\nname: planner\ndescription: Use after editing migrations\n  and before merging.\n"
        + BODY,
        description="Use after editing migrations and before merging.",
    ),
    Case(
        "V18-custom-keys",
        HEAD + "category: planning\nversion: 1.2\ntemperature: 0.2\ncapabilities:\n"
        "  - estimation\nrelated:\n  before: [scoper]\n" + BODY,
        extra={
            "category": "planning",
            "version": 1.2,
            "temperature": 0.2,
            "capabilities": ["estimation"],
            "related": {"before": ["scoper"]},
        },
    ),
    Case(
        "V19-official-optional-keys",
        HEAD + "disallowedTools: Write, Edit\npermissionMode: acceptEdits\nmaxTurns: 30\n"
        "skills: planning-kit\nmemory: project\neffort: high\nhooks:\n  Stop: []\n" + BODY,
        disallowed=("Write", "Edit"),
        extra={
            "permissionMode": "acceptEdits",
            "maxTurns": 30,
            "skills": "planning-kit",
            "memory": "project",
            "effort": "high",
            "hooks": {"Stop": []},
        },
    ),
    Case(
        "V20-bom",
        b"\xef\xbb\xbf---\nname: planner\ndescription: Plans work.\n---\nYou plan work.\n",
    ),
    Case(
        "V20-crlf", b"---\r\nname: planner\r\ndescription: Plans work.\r\n---\r\nYou plan work.\r\n"
    ),
    Case(
        "V20-mixed-endings",
        b"---\r\nname: planner\ndescription: Plans work.\r---\nYou plan work.\r\n",
    ),
    Case("V20-blank-line-after-opening", "---\n\nname: planner\ndescription: Plans work.\n" + BODY),
    Case("V20-leading-blank-lines", "\n\n" + HEAD + BODY),
    Case("V20-long-dash-close", HEAD + "-----------------\nYou plan work.\n"),
    Case("V20-close-with-trailing-space", HEAD + "---   \nYou plan work.\n"),
    Case(
        "V20-body-with-rules-and-tables",
        HEAD + "---\nStep one.\n\n---\n\n| a | b |\n|---|---|\n\nStep two.\n",
        prompt="Step one.\n\n---\n\n| a | b |\n|---|---|\n\nStep two.",
    ),
    Case(
        "V22-name-capitalised",
        "---\nname: Debugger\ndescription: Plans work.\n" + BODY,
        name="Debugger",
        warnings=1,
    ),
    Case(
        "V22-plugin-prefixed-name",
        "---\nname: kit:planner\ndescription: Plans work.\n" + BODY,
        name="kit:planner",
    ),
    Case(
        "B1-unquoted-colon",
        "---\nname: planner\ndescription: Checks migrations. Triggers on: ALTER TABLE, new index\n"
        + BODY,
        description="Checks migrations. Triggers on: ALTER TABLE, new index",
        warnings=1,
    ),
    Case(
        "B1-examples-colon-then-unindented-example",
        "---\nname: planner\ndescription: Plans work. Examples:\n<example>\nuser: plan it\n"
        "assistant: planning\n</example>\ntools: Read\n" + BODY,
        description="Plans work. Examples:\n<example>\nuser: plan it\nassistant: planning"
        "\n</example>",
        tools=("Read",),
        warnings=1,
    ),
    Case(
        "B2-unindented-continuation",
        "---\nname: planner\ndescription: Use after editing migrations.\n\n<example>\n"
        "Context: a column was added\n</example>\nmodel: opus\n" + BODY,
        description=MIGRATIONS + "\n\n<example>\nContext: a column was added\n</example>",
        model="opus",
        warnings=1,
    ),
    Case(
        "B3-description-starts-with-star",
        "---\nname: planner\ndescription: **Primary** planning agent\n" + BODY,
        description="**Primary** planning agent",
        warnings=1,
    ),
    Case("B3-tools-bare-star", HEAD + "tools: *\n" + BODY, tools=None, warnings=1),
    Case(
        "B4-tab-indent",
        HEAD + "tools:\n\t- Read\n\t- Grep\n" + BODY,
        tools=("Read", "Grep"),
        warnings=1,
    ),
    Case(
        "B4-backtick-value",
        "---\nname: planner\ndescription: `plan` things\n" + BODY,
        description="`plan` things",
        warnings=1,
    ),
    Case(
        "B4-at-value",
        "---\nname: planner\ndescription: @team plans\n" + BODY,
        description="@team plans",
        warnings=1,
    ),
    Case(
        "B4-text-after-closing-quote",
        '---\nname: planner\ndescription: "Plans work" for the team\n' + BODY,
        description='"Plans work" for the team',
        warnings=1,
    ),
    Case(
        "B5-duplicate-key",
        "---\nname: planner\ndescription: first\ndescription: second\n" + BODY,
        description="second",
        warnings=1,
    ),
    Case("B5-version-float", HEAD + "version: 1.10\n" + BODY, extra={"version": 1.1}),
    Case(
        "B8-fenced-under-heading",
        "# Planner Agent\n\n```yaml\n---\nname: planner\ndescription: Plans work.\n---\n```\n\n"
        "You plan work.\n",
        warnings=1,
    ),
    Case(
        "B8-indented-block",
        "\n    ---\n    name: planner\n    description: Plans work.\n    ---\n"
        "\n    You plan work.\n",
        warnings=1,
    ),
    Case("B11-empty-body", HEAD + "---\n", prompt="", warnings=1),
]

# Misplaced blocks are read (with a warning) by default and refused by strict=True.
STRICT_REFUSES = {"B8-fenced-under-heading", "B8-indented-block"}


def _write(tmp_path: Path, text: str | bytes, name: str = "agent.md") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.id for c in ACCEPTED])
def test_accepted_variant(tmp_path: Path, case: Case) -> None:
    path = _write(tmp_path, case.text)
    spec = load_agent(path)
    expected = AgentSpec(
        name=case.name,
        description=case.description,
        tools=case.tools,
        disallowed_tools=case.disallowed,
        model=case.model,
        prompt=case.prompt,
        path=path,
        extra=case.extra,
        warnings=spec.warnings,
        permission_rules=case.rules,
        source="path",
        fields=spec.fields,  # tests/test_agentfile_fields.py checks them
    )
    assert spec == expected
    assert len(spec.warnings) == case.warnings, spec.warnings
    assert all(w.startswith(f"{path}:") for w in spec.warnings)


@pytest.mark.parametrize(
    "case", [c for c in ACCEPTED if c.id in STRICT_REFUSES], ids=lambda c: c.id
)
def test_misplaced_frontmatter_refused_when_strict(tmp_path: Path, case: Case) -> None:
    with pytest.raises(AgentFileError, match="frontmatter must start on line 1") as info:
        load_agent(_write(tmp_path, case.text), strict=True)
    assert info.value.line == (4 if case.id.startswith("B8-fenced") else 2)


BROKEN = [
    ("B6-scalar-frontmatter", "---\njust a sentence\n---\nBody.\n", "must be a mapping", 1),
    ("B6-empty-frontmatter", "\n---\n---\nBody.\n", "got nothing", 2),
    (
        "B7-never-closed",
        "---\nname: planner\ndescription: Plans work.\n\nYou plan work.\n",
        "opened on line 1 is never closed",
        1,
    ),
    ("B8-h1-then-block", "# Planner\n\n---\nname: planner\n---\n", "opens on line 3", 3),
    ("B9-no-frontmatter", "# Planner\n\nYou plan work.\n", "no frontmatter", 1),
    ("B10-name-missing", "---\ndescription: Plans work.\n---\nBody.\n", "no `name:`", 1),
    (
        "B10-description-missing",
        "---\nname: Planner\nspecialty: planning\n---\nBody.\n",
        "no `description:`",
        1,
    ),
    (
        "B10-name-list-placeholder",
        "---\ndescription: Plans work.\nname: [agent-name]\n---\nBody.\n",
        "`name` must be a string, got list ['agent-name']",
        3,
    ),
    (
        "B10-model-list",
        HEAD + "model: [model-alias, e.g., sonnet]\n" + BODY,
        "`model` must be a string",
        4,
    ),
]


@pytest.mark.parametrize(
    ("text", "message", "line"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_variant_names_file_and_line(
    tmp_path: Path, text: str, message: str, line: int
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(AgentFileError) as info:
        load_agent(path)
    assert message in str(info.value)
    assert info.value.line == line
    assert info.value.path == path
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_V21_subdirectories_are_searched(tmp_path: Path) -> None:
    agents = tmp_path / "repo" / ".claude" / "agents"
    _write(_mkdir(agents / "team"), "---\nname: lead\ndescription: Leads.\n---\nLead.\n", "lead.md")
    _write(_mkdir(agents / "x"), "---\nname: x-agent\ndescription: X.\n---\nX.\n", "AGENT.md")
    found = find_agents(tmp_path / "repo", home=tmp_path / "home")
    assert found["lead"].path == agents / "team" / "lead.md"
    assert found["x-agent"].path == agents / "x" / "AGENT.md"
    assert {found["lead"].source, found["x-agent"].source} == {"project"}


def test_V22_name_need_not_match_file_name(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "---\nname: geepers-api\ndescription: APIs.\n---\nGo.\n", "geepers_api.md"
    )
    spec = load_agent(path)
    assert (spec.name, spec.warnings) == ("geepers-api", ())
    agents = _mkdir(tmp_path / "repo" / ".claude" / "agents")
    path.rename(agents / path.name)
    assert list(find_agents(tmp_path / "repo", home=tmp_path / "home")) == [
        "backend-specialist",
        "geepers-api",
    ]


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
