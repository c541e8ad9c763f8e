"""Files a command writes through its options and operands (``git log --output=F``,
``sort -o F``, ``cp A F``, ``tar -x``...) are judged like a redirection to them: a read-looking
allow rule does not let them through. Each spelling is also run for real, to prove the file
the gate names is the one the program writes."""

from __future__ import annotations

import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from agentrun.core.types import ToolCall
from agentrun.permissions import Gate
from agentrun.permissions.bashview import view_bash

# (command, what it writes: a file, a directory it writes into, or "" for writes the line
# does not name)
FILE_WRITES = [
    ("git log -1 --format=format:PWNED --output=out.txt", "out.txt"),
    ("git log -1 --output out.txt", "out.txt"),
    ("git --no-pager log -1 --output=out.txt", "out.txt"),
    ("git format-patch -1 --output=out.txt", "out.txt"),
    ("git -C sub log -1 --output=out.txt", "sub/out.txt"),
    ("git diff HEAD~1 --output=out.txt", "out.txt"),
    ("git show --output=out.txt", "out.txt"),
    ("git archive -o out.tar HEAD", "out.tar"),
    ("git archive -oout.tar HEAD", "out.tar"),
    ("git archive --output=out.tar HEAD", "out.tar"),
    ("git bundle create out.bundle HEAD", "out.bundle"),
    ("git mv in.txt sub", "sub/in.txt"),
    ("git rm -q in.txt", "in.txt"),
    ("sort -o out.txt in.txt", "out.txt"),
    ("sort -oout.txt in.txt", "out.txt"),
    ("sort -ro out.txt in.txt", "out.txt"),
    ("sort --output=out.txt in.txt", "out.txt"),
    ("sort --outp out.txt in.txt", "out.txt"),
    ("shuf -o out.txt in.txt", "out.txt"),
    ("tee out.txt", "out.txt"),
    ("tee -a out.txt new.txt", "new.txt"),
    ("sed -i s/a/b/ out.txt", "out.txt"),
    ("sed -ni p out.txt", "out.txt"),
    ("sed --in-place s/a/b/ out.txt", "out.txt"),
    ("sed --in-pl=.b s/a/b/ out.txt", "out.txt.b"),
    ("sed -i.bak -e s/a/b/ out.txt", "out.txt.bak"),
    ("dd if=in.txt of=out.txt", "out.txt"),
    ("cp in.txt out.txt", "out.txt"),
    ("cp in.txt sub", "sub/in.txt"),
    ("mv in.txt out.txt", "out.txt"),
    ("install in.txt out.txt", "out.txt"),
    ("ln -s in.txt link.txt", "link.txt"),
    ("touch out.txt", "out.txt"),
    ("truncate -s 0 out.txt", "out.txt"),
    ("uniq in.txt out.txt", "out.txt"),
    ("xxd in.txt out.txt", "out.txt"),
    ("tar -cf out.tar in.txt", "out.tar"),
    ("tar cf out.tar in.txt", "out.tar"),
    ("tar --create --file=out.tar in.txt", "out.tar"),
    ("tar -czf out.tar in.txt", "out.tar"),
    ("find . -maxdepth 0 -fprint out.txt", "out.txt"),
    ("find . -maxdepth 0 -fls out.txt", "out.txt"),
]
DIR_WRITES = [
    ("git format-patch -1 -o sub", "sub"),
    ("git format-patch -1 -osub", "sub"),
    ("git format-patch -1 --output-directory=sub", "sub"),
    ("git format-patch -1", "."),
    ("cp -t sub in.txt", "sub"),
    ("cp --target-directory=sub in.txt", "sub"),
    ("tar -xf a.tar -C sub", "sub"),
    ("tar xf a.tar", "."),
    ("tar -x -f a.tar --directory=sub", "sub"),
    ("unzip -d sub a.zip", "sub"),
    ("unzip a.zip", "."),
]
# abbreviations: git takes them where its options are parsed by parse-options, not all
ABBREVIATED = [
    "git log -1 --outp=out.txt",
    "git diff --ou=out.txt",
    "git format-patch -1 --output-d=sub",
    "sort --out=out.txt in.txt",
    "curl --outp out.txt http://127.0.0.1:9/",
]
OPAQUE = [
    'python3 -c \'open("out.txt", "w")\'',
    'python3 -Bc \'open("out.txt", "w")\'',
    "python3 - <<'EOF'\nopen('out.txt', 'w')\nEOF",
    "perl -e 'open(F, \">out.txt\")'",
    "perl -pi -e s/a/b/ in.txt",
    'node -e \'require("fs").writeFileSync("out.txt", "")\'',
    "awk '{ print > \"out.txt\" }' in.txt",
    'awk \'{ printf "%s", $0 >> "out.txt" }\' in.txt',
    "gawk -i inplace '{ print }' in.txt",
    "find . -name x -delete",
    "patch -o out.txt in.txt p.diff",
    "split in.txt",
    "csplit in.txt 1",
    "rsync in.txt out.txt",
    "touch $F",
    "cp in.txt *.bak",
    "gzip in.txt",
    "git log -1 $'--output=out.txt'",
    "git log -1 --{output,x}=out.txt",
    'git log -1 "$O"',
    "curl -w '%output{out.txt}' http://127.0.0.1:9/",
    "scp host:f .",
    "ed -s in.txt <<'EOF'\nw out.txt\nEOF",
    "awk '{ print $1 \\\n > \"out.txt\" }' in.txt",
]
# file writes not run here (no network, no key generation)
NOT_RUN = [
    "openssl req -new -key k -out out.csr",
    "ssh-keygen -t ed25519 -N '' -f out.key",
    "gcc -Iinc -o prog a.c",
    "gcc a.c",
    "sponge out.txt",
    "less -o out.txt in.txt",  # (with a terminal only)
    "curl -sSo out.txt http://127.0.0.1:9/",
    "curl -O http://127.0.0.1:9/x",
    "wget http://127.0.0.1:9/x",
    "wget -P sub http://127.0.0.1:9/x",
    "git clone http://127.0.0.1:9/x sub/x",
    "pip install --target sub x",
]
NOT_WRITES = [
    "git log -1 --format=format:x",
    "git log --oneline --output-indicator-new=+",
    "sort -r in.txt",
    "sed -n p in.txt",
    "awk '$1 > 5' in.txt",
    "tar -tf a.tar",
    "unzip -l a.zip",
    "gzip -c in.txt",
    "python3 script.py",
    "grep -o a in.txt",
    "wget -O - http://127.0.0.1:9/",
]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    work = tmp_path / "ws"
    (work / "sub").mkdir(parents=True)
    return work


def gate(ws: Path, mode: str = "default", **kw: object) -> Gate:
    return Gate.load(mode, cwd=ws, home=ws.parent / "home", writable_roots=[ws], **kw)  # type: ignore[arg-type]


def decide(g: Gate, command: str) -> str:
    return g.decide(ToolCall("t", "Bash", {"command": command})).behavior


def rule_for(command: str) -> str:
    """A read-looking prefix rule for the command: its words up to the first option."""
    words = command.split()
    prefix = words[:1] + [w for w in words[1:2] if w.isalpha()]  # `git log`, not `awk '{..}'`
    return f"Bash({' '.join(prefix)}:*)"


ALL = [c for c, _ in FILE_WRITES] + [c for c, _ in DIR_WRITES] + ABBREVIATED + OPAQUE + NOT_RUN


@pytest.mark.parametrize("command", ALL)
def test_a_write_option_is_not_allowed_by_a_prefix_rule(ws: Path, command: str) -> None:
    rule = [rule_for(command), "Bash(env:*)"]
    assert decide(gate(ws, allowed=rule), command) == "ask"
    assert decide(gate(ws, "dontAsk", allowed=rule), command) == "deny"
    assert decide(gate(ws, allowed=[*rule, "Write"]), command) == "allow"
    assert decide(gate(ws, "acceptEdits", allowed=rule), command) == "allow"


@pytest.mark.parametrize("command", NOT_WRITES)
def test_reading_spellings_stay_allowed(ws: Path, command: str) -> None:
    assert decide(gate(ws, allowed=[rule_for(command)]), command) == "allow"


@pytest.mark.parametrize(("command", "target"), FILE_WRITES)
def test_the_file_judged_is_the_file_written(ws: Path, command: str, target: str) -> None:
    view = view_bash(command)
    assert target in [p for p, _ in view.file_writes]
    _prepare(ws)
    before = _snapshot(ws)
    _run(ws, command)
    assert _snapshot(ws).get(target) != before.get(target), "not written (nor removed)"


@pytest.mark.parametrize(("command", "target"), DIR_WRITES)
def test_the_directory_judged_is_the_one_written_into(ws: Path, command: str, target: str) -> None:
    assert target in [p for p, _ in view_bash(command).dir_writes]
    _prepare(ws)
    before = _snapshot(ws)
    _run(ws, command)
    new = [p for p in _snapshot(ws) if p not in before]
    assert new and all(Path(p).parent == Path(target) for p in new), new


def test_protected_paths_named_by_options_are_asked_in_every_mode(ws: Path) -> None:
    for mode in ("default", "acceptEdits", "bypassPermissions"):
        g = gate(ws, mode, allowed=["Bash(git log:*)", "Write"])
        assert decide(g, "git log -1 --output=sub/.agentrun/settings.json") == "ask"
        assert decide(g, "git log -1 --output=.git/hooks/pre-commit") == "ask"
        assert decide(g, "cp x .claude") == "ask"  # `.claude/x` if it is a directory
        assert decide(g, "tar -xf a.tar -C .git") == "ask"
        assert decide(g, "git clone http://127.0.0.1:9/x sub/.agentrun") == "ask"


def test_deny_rules_cover_files_named_by_options(ws: Path) -> None:
    deny = ["Edit(./secrets/**)"]
    g = gate(ws, "acceptEdits", allowed=["Bash(cp:*)", "Bash(tar:*)"], disallowed=deny)
    assert decide(g, "cp in.txt secrets/key") == "deny"
    assert decide(g, "cp -t secrets in.txt") == "deny"
    assert decide(g, "tar -xf a.tar") == "deny"  # into the cwd: names unknown, may be secrets/
    assert decide(g, "tar -xf a.tar -C sub") == "allow"  # nothing under sub can match
    assert decide(g, "python3 -c 'print(1)'") == "deny"  # writes that cannot be checked


@pytest.mark.parametrize(
    "command", ["git log -1 $(printf %s --output=out.txt)", "sort `printf -- -o` out.txt in.txt"]
)
def test_options_made_at_run_time_are_writes(ws: Path, command: str) -> None:
    g = gate(ws, allowed=["Bash(git log:*)", "Bash(sort:*)", "Bash(printf:*)"])
    assert decide(g, command) == "ask"
    assert decide(gate(ws, "acceptEdits", allowed=["Bash"]), command) == "allow"


def test_a_bare_bash_rule_does_not_allow_the_write(ws: Path) -> None:
    g = gate(ws, allowed=["Bash"])
    assert decide(g, "git log -1") == "allow"
    lines = ("git log -1 --output=x", "env sort -o x y", "timeout 5 tee x", "ls | tee x")
    for command in (*lines, "git log --output=x; (( 1 ))"):
        assert decide(g, command) == "ask", command


def test_writes_outside_the_sandbox_are_denied(ws: Path) -> None:
    g = gate(ws, "acceptEdits", allowed=["Bash(git log:*)"])
    assert decide(g, "git log -1 --output=/etc/x") == "deny"
    assert decide(g, "git log -1 --output=../x") == "deny"


# -- running the commands for real ------------------------------------------------------------
def _prepare(ws: Path) -> None:
    env = _env(ws)
    (ws / "in.txt").write_text("b\na\n")
    (ws / "out.txt").write_text("a\n")
    (ws / "sub" / "keep").write_text("")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=ws, env=env, check=True)
    (ws / "in.txt").write_text("c\na\n")
    subprocess.run(["git", "commit", "-qam", "two"], cwd=ws, env=env, check=True)
    with tarfile.open(ws / "a.tar", "w") as tar:
        tar.add(ws / "in.txt", arcname="from-tar.txt")
    with zipfile.ZipFile(ws / "a.zip", "w") as zf:
        zf.writestr("from-zip.txt", "z")


def _env(ws: Path) -> dict[str, str]:
    home = str(ws.parent / "home")
    return {
        **os.environ,
        "HOME": home,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }


def _run(ws: Path, command: str) -> None:
    subprocess.run(
        ["bash", "-c", command], cwd=ws, env=_env(ws), input="", capture_output=True, timeout=60
    )


def _snapshot(ws: Path) -> dict[str, tuple[int, int, bool]]:
    out: dict[str, tuple[int, int, bool]] = {}
    for path in ws.rglob("*"):
        if ".git" in path.relative_to(ws).parts:
            continue
        st = path.lstat()
        out[str(path.relative_to(ws))] = (st.st_mtime_ns, st.st_size, path.is_symlink())
    return out
