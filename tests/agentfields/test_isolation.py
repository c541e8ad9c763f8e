"""``isolation: worktree``: the session works in a temporary git worktree, removed when
unchanged, kept (and named) when changed; refused outside a repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agentrun.cli.app import main
from agentrun.core.errors import ConfigError
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import AgentSession, run

AGENT = "---\nname: iso\ndescription: d\ntools: Read, Write, Task\nisolation: worktree\n---\nIso.\n"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "repo"
    (work / ".claude" / "agents").mkdir(parents=True)
    (work / ".claude" / "agents" / "iso.md").write_text(AGENT)
    (work / "a.txt").write_text("a\n")
    monkeypatch.setenv("AGENTRUN_HOME", str(tmp_path / "state"))
    for args in (
        ("init", "-q", "-b", "main"),
        ("add", "-A"),
        ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base"),
    ):
        git(work, *args)
    return work


def script(*turns: dict[str, Any]) -> ScriptedModel:
    return ScriptedModel.from_data({"turns": list(turns)})


WRITE = {"tool_calls": [{"name": "Write", "input": {"file_path": "new.txt", "content": "n\n"}}]}


def test_a_change_is_kept_in_its_worktree_and_branch(repo: Path) -> None:
    model = script(WRITE, {"text": "done"})
    with AgentSession(agent="iso", cwd=repo, model=model, permission_mode="acceptEdits") as session:
        tree = session.worktree
        assert tree is not None
        result = session.send("go")
        assert result.subtype == "success", result.result
    assert tree.kept
    assert (tree.path / "new.txt").read_text() == "n\n"
    assert not (repo / "new.txt").exists()  # the user's checkout is untouched
    assert tree.branch.startswith("agentrun/iso-")
    assert git(repo, "branch", "--list", tree.branch) != ""
    assert str(tree.path) in git(repo, "worktree", "list")


def test_an_unchanged_worktree_and_its_branch_are_removed(repo: Path) -> None:
    with AgentSession(agent="iso", cwd=repo, model=script({"text": "nothing"})) as session:
        tree = session.worktree
        assert tree is not None and tree.path.is_dir()
        assert session.send("go").result == "nothing"
    assert not tree.kept and not tree.path.exists()
    assert git(repo, "branch", "--list", tree.branch) == ""
    assert git(repo, "worktree", "list").count("\n") == 0  # the main checkout only


def test_the_session_works_at_the_same_place_in_the_worktree(repo: Path) -> None:
    (repo / "sub").mkdir()
    (repo / "sub" / "b.txt").write_text("b\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "sub")
    with AgentSession(
        agent=str(repo / ".claude/agents/iso.md"), cwd=repo / "sub", model=script({"text": "x"})
    ) as session:
        assert session.worktree is not None
        assert session.worktree.cwd == session.worktree.path / "sub"


def test_refused_outside_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    agent = tmp_path / "iso.md"
    agent.write_text(AGENT)
    with pytest.raises(ConfigError, match=r"isolation: worktree, but .* is not in a git repo"):
        run("go", agent=str(agent), cwd=plain, model=script({"text": "x"}))


def test_the_cli_names_the_kept_worktree(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"turns": [WRITE, {"text": "done"}]}))
    argv = ["-p", "go", "--agent", "iso", "--cwd", str(repo), "--model", f"script:{path}"]
    code = main([*argv, "--output-format", "json", "--permission-mode", "acceptEdits"])
    out, err = capsys.readouterr()
    assert code == 0, err
    tree = json.loads(out)["worktree"]
    assert tree["kept"] is True and tree["branch"].startswith("agentrun/iso-")
    assert f"kept in the worktree {tree['path']} on branch {tree['branch']}" in err
    assert Path(tree["path"], "new.txt").is_file()


def test_a_subagent_asking_for_isolation_is_refused_clearly(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".claude" / "agents").mkdir(parents=True)
    (ws / ".claude" / "agents" / "iso.md").write_text(AGENT)
    (ws / ".claude" / "agents" / "lead.md").write_text(
        "---\nname: lead\ndescription: d\ntools: Task, Read\n---\nL.\n"
    )
    task = {"description": "x", "prompt": "x", "subagent_type": "iso"}
    model = ScriptedModel.from_data(
        {
            "turns": [
                {"tool_calls": [{"name": "Task", "input": task}]},
                {
                    "expect": [{"is_error": True, "contains": "gives only to the session's own"}],
                    "text": "ok",
                },
            ],
            "agents": {"iso": {"turns": [{"text": "never"}]}},
        }
    )
    assert run("go", agent="lead", cwd=ws, model=model).subtype == "success"


def test_a_committed_symlink_cannot_take_the_session_out_of_the_worktree(
    repo: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (repo / "a").symlink_to(victim)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "link")
    # the user's checkout has a real directory there; the commit has the symlink
    (repo / "a").unlink()
    (repo / "a").mkdir()
    model = script(WRITE, {"text": "done"})
    with pytest.raises(ConfigError, match="symlink leading out of the worktree"):
        AgentSession(
            agent=str(repo / ".claude/agents/iso.md"),
            cwd=repo / "a",
            model=model,
            permission_mode="acceptEdits",
        )
    assert list(victim.iterdir()) == []
    assert git(repo, "worktree", "list").count("\n") == 0  # removed again
    assert git(repo, "branch", "--list", "agentrun/*") == ""


def test_an_ignored_file_the_agent_wrote_keeps_the_worktree(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "ignore")
    write = {"name": "Write", "input": {"file_path": "build.log", "content": "work\n"}}
    model = script({"tool_calls": [write]}, {"text": "done"})
    with AgentSession(agent="iso", cwd=repo, model=model, permission_mode="acceptEdits") as session:
        tree = session.worktree
        assert tree is not None
        assert session.send("go").subtype == "success"
    assert tree.kept
    assert (tree.path / "build.log").read_text() == "work\n"
