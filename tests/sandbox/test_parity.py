"""One kernel policy for every tool: Read, Grep, Glob, Write and Edit reach exactly what jailed
``cat``, ``ls`` and ``echo >`` reach, path class by path class (the parity matrix).

The file tools run through the session jail's file server (:mod:`agentrun.jail.fileserver`),
as a confined session runs them; the commands run in the same jail. For reads the verdicts must
be equal; for writes a file tool may refuse more than Bash (a hard-linked file), never less.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, TEST_LIMITS, Host, Shell

from agentrun.jail.fileclient import JailedWorkspace, jailed_workspace
from agentrun.jail.jail import JailSandbox
from agentrun.jail.policy import SandboxPolicy
from agentrun.tools.base import ToolContext
from agentrun.tools.edit import EditTool
from agentrun.tools.glob import GlobTool
from agentrun.tools.grep import GrepTool
from agentrun.tools.read import ReadTool
from agentrun.tools.records import ReadRecords
from agentrun.tools.write import WriteTool

MARK = "parity-marker-7f3a"
OTHER_UID = 12345


def carved_policy(host: Host) -> SandboxPolicy:
    """The policy of an interpreter living under the home directory (pyenv, a venv in home):
    home itself is not denied, only the entries it held when the session started."""
    base = host.policy()
    runtime = host.home / ".pyenv"
    runtime.mkdir()
    entries = tuple(p for p in host.home.iterdir() if p != runtime)
    deny = tuple(p for p in base.read_deny if p != host.home) + entries
    return dataclasses.replace(base, read_deny=deny)


@dataclasses.dataclass
class Session:
    shell: Shell
    ctx: ToolContext
    workspace: JailedWorkspace
    policy: SandboxPolicy


@pytest.fixture
def session(host: Host) -> Iterator[Session]:
    policy = carved_policy(host)
    jail = JailSandbox(policy, tmp_dir=host.tmp_dir, limits=TEST_LIMITS)
    shell = Shell(jail, host)
    workspace = jailed_workspace(policy, jail)
    ctx = ToolContext(workspace=workspace, reads=ReadRecords())
    try:
        yield Session(shell, ctx, workspace, policy)
    finally:
        workspace.channel.close()
        shell.close()


def _text(result: object) -> str:
    content = getattr(result, "content")  # noqa: B009
    return content if isinstance(content, str) else str(content)


def read_verdicts(s: Session, path: Path) -> dict[str, bool]:
    """Whether each reader got the file's content."""
    read = ReadTool().run({"file_path": str(path)}, s.ctx)
    grep = GrepTool().run({"pattern": MARK, "path": str(path), "output_mode": "content"}, s.ctx)
    cat = s.shell.out(f"cat '{path}' 2>&1")
    return {
        "Read": not read.is_error and MARK in _text(read),
        "Grep": not grep.is_error and MARK in _text(grep),
        "cat": MARK in cat and "denied" not in cat,
    }


def name_verdicts(s: Session, path: Path) -> dict[str, bool]:
    """Whether each lister saw the file's name in its directory."""
    glob = GlobTool().run({"pattern": path.name, "path": str(path.parent)}, s.ctx)
    ls = s.shell.run(f"ls -a '{path.parent}'")
    return {
        "Glob": not glob.is_error and path.name in _text(glob),
        "ls": not ls.is_error and path.name in _text(ls).split("\n"),
    }


def tree_search_verdicts(s: Session, path: Path) -> dict[str, bool]:
    """Whether a search of the file's directory (rg's own opens) found the file's content."""
    grep = GrepTool().run({"pattern": MARK, "path": str(path.parent)}, s.ctx)
    cmd = s.shell.run(f"grep -rl {MARK} '{path.parent}' 2>/dev/null; true")
    return {
        "Grep (directory)": any(
            line == path.name or line.endswith("/" + path.name)
            for line in _text(grep).splitlines()
        ),
        "grep -r": str(path) in _text(cmd).split("\n"),
    }


def _same(verdicts: dict[str, bool], expected: bool | None = None) -> None:
    values = set(verdicts.values())
    assert len(values) == 1, verdicts
    if expected is not None:
        assert values == {expected}, verdicts


@dataclasses.dataclass
class Case:
    path: Path
    expected: bool | None  # None: parity only
    names: bool = True  # also compare Glob and ls on its directory


def _cases(host: Host, s: Session) -> dict[str, Case]:
    """Every path class, made while the jail is up (the home file after it started)."""
    cases: dict[str, Case] = {}
    mine = host.outside / "mine-0600"
    mine.write_text(MARK + "\n")
    mine.chmod(0o600)
    # Readable by the policy, but the constructed root does not show it: absent for both.
    cases["own 0600 file outside the deny list"] = Case(mine, False)
    if ROOT:
        other = host.outside / "other-user-0600"
        other.write_text(MARK + "\n")
        os.chown(other, OTHER_UID, OTHER_UID)
        other.chmod(0o600)
        cases["another user's 0600 file"] = Case(other, False)
    late = host.home / "created-mid-session"
    late.write_text(MARK + "\n")
    assert s.policy.can_read(late)  # the snapshot deny list alone would let it through
    cases["file created in home mid-session"] = Case(late, False)
    host.id_rsa.write_text(MARK + "\n")
    cases["denied directory (~/.ssh)"] = Case(host.id_rsa, False, names=False)
    cases["/proc/<runtime pid>/environ"] = Case(
        Path(f"/proc/{os.getpid()}/environ"), False, names=False
    )
    for name, case in list(cases.items()):
        link = host.workspace / f"sym-{len(cases)}"
        link.symlink_to(case.path)
        cases[f"symlink to {name}"] = Case(link, case.expected, names=False)
        if not str(case.path).startswith("/proc/"):
            hard = host.workspace / f"hard-{len(cases)}"
            os.link(case.path, hard)
            # A hard link's path is in the workspace: Landlock judges paths, DAC judges inodes.
            cases[f"hard link to {name}"] = Case(hard, None, names=False)
    return cases


def test_read_grep_glob_reach_what_jailed_cat_and_ls_reach(host: Host, session: Session) -> None:
    assert session.shell.out("echo up").strip() == "up"  # the jail (and its Landlock) is up
    cases = _cases(host, session)
    for name, case in cases.items():
        verdicts = read_verdicts(session, case.path)
        try:
            _same(verdicts, case.expected)
            if case.names:
                _same(name_verdicts(session, case.path))
                _same(tree_search_verdicts(session, case.path), case.expected)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None
    # The denied directory itself: Glob does not list it. (Jailed `ls` may: Landlock's READ_DIR
    # on a carved home reaches its subdirectories' names; only the mount view can hide them.)
    ssh = host.id_rsa.parent
    glob = GlobTool().run({"pattern": "*", "path": str(ssh)}, session.ctx)
    assert glob.is_error and "id_rsa" not in _text(glob)


def _write(s: Session, path: Path, text: str) -> bool:
    return not WriteTool().run({"file_path": str(path), "content": text}, s.ctx).is_error


def _edit(s: Session, path: Path, old: str, new: str) -> bool:
    ReadTool().run({"file_path": str(path)}, s.ctx)
    spec = {"file_path": str(path), "old_string": old, "new_string": new}
    return not EditTool().run(spec, s.ctx).is_error


def _echo(s: Session, path: Path, text: str, *, append: bool = False) -> bool:
    op = ">>" if append else ">"
    return not s.shell.run(f"echo {text} {op} '{path}'").is_error


def test_write_and_edit_never_write_what_jailed_echo_cannot(host: Host, session: Session) -> None:
    ws = host.workspace
    session.shell.out("true")
    # Positive control: the workspace is writable to both.
    assert _write(session, ws / "ok.txt", "fine\n") and _echo(session, ws / "ok2.txt", "fine")
    assert (ws / "ok.txt").read_text() == "fine\n"

    # Outside the write roots: a new file, an existing one, and through a symlink.
    before = host.outside_secret.read_text()
    assert not _write(session, host.outside / "new.txt", "x")
    assert not _echo(session, host.outside / "new2.txt", "x")
    assert not _edit(session, host.outside_secret, "outside", "pwned")
    assert not _echo(session, host.outside_secret, "pwned", append=True)
    (ws / "out-link").symlink_to(host.outside_secret)
    assert not _write(session, ws / "out-link", "pwned")
    assert not _echo(session, ws / "out-link", "pwned")
    assert host.outside_secret.read_text() == before
    assert not (host.outside / "new.txt").exists() and not (host.outside / "new2.txt").exists()

    # The workspace repository's .git/config.
    config = ws / ".git" / "config"
    config_before = config.read_bytes()
    assert not _edit(session, config, "[core]", "[core]\n\tfsmonitor = touch /tmp/pwned")
    assert not _write(session, config, "[core]\n")
    assert not _echo(session, config, "x", append=True)
    assert config.read_bytes() == config_before

    # A hard link to an outside file: Write refuses it (two links), whatever Bash can do.
    os.link(host.outside_secret, ws / "hard-out")
    assert not _write(session, ws / "hard-out", "pwned")
    assert host.outside_secret.read_text() == before


def test_file_tools_never_create_or_change_git_paths_at_any_depth(
    host: Host, session: Session
) -> None:
    ws = host.workspace
    sub = ws / "sub"
    sub.mkdir()
    gitfile = sub / ".git"
    gitfile.write_text("gitdir: ../.git/modules/sub\n")
    session.shell.out("true")
    for path, text in (
        (gitfile, "gitdir: ../docs/build\n"),
        (ws / ".gitmodules", '[submodule "x"]\n\tpath = sub\n'),
        (ws / "newrepo" / ".git" / "config", "[core]\n"),
        (ws / "newrepo" / ".git", "gitdir: /elsewhere\n"),
    ):
        result = WriteTool().run({"file_path": str(path), "content": text}, session.ctx)
        assert result.is_error, path
        assert "protected" in _text(result) and "git init" in _text(result), _text(result)
    result = EditTool().run(
        {"file_path": str(gitfile), "old_string": "modules", "new_string": "x"}, session.ctx
    )
    assert result.is_error
    assert gitfile.read_text() == "gitdir: ../.git/modules/sub\n"
    assert not (ws / ".gitmodules").exists() and not (ws / "newrepo").exists()


_NO_LANDLOCK = """
import json, sys
from pathlib import Path
from agentrun.jail import seccomp, syscalls
from agentrun.jail.fileclient import jailed_workspace
from agentrun.jail.jail import JailSandbox
from agentrun.jail.policy import SandboxPolicy
from agentrun.tools.base import ToolContext
from agentrun.tools.read import ReadTool
from agentrun.tools.records import ReadRecords
from agentrun.tools.write import WriteTool
ws, tmp, home = sys.argv[1:4]
# A container-like runtime: the Landlock syscalls are refused to it and all it starts.
prog = [seccomp._insn(0x20, 0)]
for nr in (444, 445, 446):
    prog += [seccomp._insn(0x15, nr, 0, 1), seccomp._insn(0x06, 0x00050001)]
prog.append(seccomp._insn(0x06, seccomp.RET_ALLOW))
syscalls.set_no_new_privs()
seccomp.install(b"".join(prog))
policy = SandboxPolicy.create(ws, home=Path(home))
jail = JailSandbox(policy, tmp_dir=Path(tmp))
ctx = ToolContext(workspace=jailed_workspace(policy, jail), reads=ReadRecords())
read = ReadTool().run({"file_path": "a.txt"}, ctx)
write = WriteTool().run({"file_path": "b.txt", "content": "x"}, ctx)
jail.close()
print(json.dumps([[read.is_error, read.content], [write.is_error, write.content]]))
"""


def test_file_tools_refuse_like_bash_when_a_layer_is_missing(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    ws, tmp, home = tmp_path / "ws", tmp_path / "tmp", tmp_path / "home"
    for d in (ws, tmp, home):
        d.mkdir()
    (ws / "a.txt").write_text("content\n")
    env = {**os.environ, "HOME": str(home), "AGENTRUN_HOME": str(home / ".agentrun")}
    proc = subprocess.run(
        [sys.executable, "-c", _NO_LANDLOCK, str(ws), str(tmp), str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    for is_error, text in json.loads(proc.stdout.splitlines()[-1]):
        assert is_error, text
        assert "needs landlock" in text and "The file tool was not run" in text, text
        assert "--sandbox danger-full-access" in text
    assert not (ws / "b.txt").exists()
