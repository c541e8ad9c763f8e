"""Claude Code's optional agent-file fields: typed values, and warnings for unusable ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from agentrun.agentfile.agentfile import load_agent
from agentrun.agentfile.fields import Fields

if TYPE_CHECKING:
    from pathlib import Path

HEAD = "---\nname: planner\ndescription: Plans work.\n"


def _load(tmp_path: Path, lines: str) -> tuple[Path, Fields, tuple[str, ...]]:
    path = tmp_path / "planner.md"
    path.write_text(HEAD + lines + "---\nYou plan.\n")
    spec = load_agent(path)
    return path, spec.fields, spec.warnings


def test_every_field_typed(tmp_path: Path) -> None:
    _, fields, warnings = _load(
        tmp_path,
        "permissionMode: plan\nmaxTurns: '12'\nskills: [lint-kit, release-notes]\n"
        "memory: project\neffort: HIGH\nisolation: worktree\nbackground: true\ncolor: Cyan\n"
        "mcpServers: [github]\nhooks:\n  Stop: []\n",
    )
    assert warnings == ()
    assert fields == Fields(
        permission_mode="plan",
        max_turns=12,
        skills=("lint-kit", "release-notes"),
        memory="project",
        effort="high",
        isolation="worktree",
        background=True,
        color="cyan",
        mcp_servers=["github"],
        hooks={"Stop": []},
    )


def test_skills_as_a_comma_string(tmp_path: Path) -> None:
    _, fields, _ = _load(tmp_path, "skills: a, b ,a\n")
    assert fields.skills == ("a", "b")


@pytest.mark.parametrize(
    "line, key, message",
    [
        ("permissionMode: yolo\n", "permissionMode", "must be one of default, acceptEdits"),
        ("maxTurns: 0\n", "maxTurns", "at least 1, got 0"),
        ("maxTurns: many\n", "maxTurns", "at least 1, got 'many'"),
        ("maxTurns: true\n", "maxTurns", "at least 1, got True"),
        ("memory: team\n", "memory", "must be one of user, project, local"),
        ("isolation: container\n", "isolation", "must be one of worktree"),
        ("background: sometimes\n", "background", "true or false"),
        ("skills: {a: 1}\n", "skills", "list of skill names"),
        ("skills: [ok, ../../etc, /abs]\n", "skills", "'.'/'..': ../../etc, /abs"),
        ("effort: [high]\n", "effort", "a level such as low"),
        ("color: 3\n", "color", "a colour name"),
    ],
    ids=lambda v: str(v).strip().replace(" ", "")[:24],
)
def test_a_bad_value_is_a_warning_naming_file_and_line(
    tmp_path: Path, line: str, key: str, message: str
) -> None:
    path, fields, warnings = _load(tmp_path, "model: sonnet\n" + line)
    assert len(warnings) == 1, warnings
    # the key is on the frontmatter's fifth line (after ---, name, description, model)
    assert warnings[0].startswith(f"{path}:5: `{key}`")
    assert message in warnings[0] and warnings[0].endswith("; ignored")
    assert fields.skills in ((), ("ok",))
    assert (fields.permission_mode, fields.max_turns, fields.memory) == (None, None, None)


def test_the_raw_values_stay_in_extra(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text(HEAD + "maxTurns: 3\nmemory: user\ncustom: 1\n---\nBody.\n")
    spec = load_agent(path)
    assert spec.extra == {"maxTurns": 3, "memory": "user", "custom": 1}
    assert (spec.fields.max_turns, spec.fields.memory) == (3, "user")
