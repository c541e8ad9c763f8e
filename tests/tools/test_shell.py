"""BashSession over the real UnconfinedSandbox: real bash, real process trees, real /proc."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from agentrun.core.errors import SandboxUnavailableError
from agentrun.core.protocols import SpawnedProcess
from agentrun.core.types import ToolResult
from agentrun.jail.policy import SandboxPolicy
from agentrun.jail.unconfined import UnconfinedSandbox
from agentrun.tools.output import MAX_OUTPUT_CHARS, OutputBuffer
from agentrun.tools.shell import BashSession, build_env
from proctools import live_with_arg, unique_sleep, wait_for

MARKER_RE = r"\n\n\[\.\.\. ([\d,]+) characters of output cut here \.\.\.\]\n\n"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "sub").mkdir(parents=True)
    return root


@pytest.fixture
def sandbox(tmp_path: Path, ws: Path) -> Iterator[UnconfinedSandbox]:
    box = UnconfinedSandbox(
        SandboxPolicy.create(ws, mode="danger-full-access"), tmp_dir=tmp_path / "tmp"
    )
    yield box
    box.close()


@pytest.fixture
def session(sandbox: UnconfinedSandbox, tmp_path: Path, ws: Path) -> Iterator[BashSession]:
    shell = BashSession(sandbox, cwd=ws, tmp_dir=tmp_path / "tmp")
    yield shell
    shell.close()


# --- output and exit status ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "is_error", "content"),
    [
        ("echo hello", False, "hello"),
        ("echo a; echo b >&2; echo c; echo d >&2", False, "a\nb\nc\nd"),
        ("true", False, "(The command succeeded and printed nothing.)"),
        ("exit 3", True, "Exit code 3\n(no output)"),
        ("echo oops >&2; exit 2", True, "Exit code 2\noops"),
        ("exit 137", True, "Exit code 137 (as when killed by SIGKILL)\n(no output)"),
        ("kill -TERM $$", True, "Command was killed by signal SIGTERM.\n(no output)"),
        ("cat; echo after", False, "after"),  # stdin is empty, never the terminal
    ],
    ids=[
        "stdout",
        "stderr-merged-in-order",
        "empty",
        "exit-code",
        "exit-with-output",
        "exit-137-names-the-signal",
        "shell-killed",
        "stdin-empty",
    ],
)
def test_outcome_and_output(
    session: BashSession, command: str, is_error: bool, content: str
) -> None:
    result = session.run(command, timeout_ms=10_000)
    assert (result.is_error, result.content) == (is_error, content)


def test_syntax_error_is_an_exit_code_with_bash_message(session: BashSession) -> None:
    result = session.run("echo (", timeout_ms=10_000)
    assert result.is_error
    assert result.text().startswith("Exit code 2\n")
    assert "syntax error" in result.text()


def test_output_over_the_cap_keeps_head_and_tail_with_a_marker(session: BashSession) -> None:
    result = session.run("seq 1 100000", timeout_ms=10_000)
    text = result.text()
    assert not result.is_error
    assert len(text) <= MAX_OUTPUT_CHARS
    assert text.startswith("1\n2\n3\n")
    assert text.endswith("99999\n100000")
    total = len("\n".join(str(i) for i in range(1, 100001))) + 1
    marker = re.search(MARKER_RE, text)
    omitted = int(marker[1].replace(",", ""))
    # rstrip removed the final newline, which was kept in the tail.
    assert omitted + len(text) - len(marker[0]) + 1 == total


def test_printing_100_mb_keeps_memory_bounded(tmp_path: Path, ws: Path) -> None:
    child = f"""
import resource, re
from pathlib import Path
from agentrun.jail.policy import SandboxPolicy
from agentrun.jail.unconfined import UnconfinedSandbox
from agentrun.tools.shell import BashSession
ws, tmp = Path({str(ws)!r}), Path({str(tmp_path / "tmp")!r})
box = UnconfinedSandbox(SandboxPolicy.create(ws, mode="danger-full-access"), tmp_dir=tmp)
shell = BashSession(box, cwd=ws, tmp_dir=tmp)
shell.run("echo warm-up")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
text = shell.run("yes abcdefghij | head -c 100000000", timeout_ms=60_000).text()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
marker = re.search({MARKER_RE!r}, text)
print(after - before, len(text), int(marker[1].replace(",", "")) + len(text) - len(marker[0]))
shell.close(); box.close()
"""
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=120, check=True
    )
    growth_kib, length, total = map(int, done.stdout.split())
    assert growth_kib < 60 * 1024
    assert length <= MAX_OUTPUT_CHARS
    assert total == 100_000_000


def test_binary_garbage_and_invalid_utf8_become_replacement_characters(
    session: BashSession,
) -> None:
    result = session.run(r"printf 'ok\000\001\a\377\376 \033[1mbold\033[0m\tend\r\n'")
    assert result == ToolResult("ok\ufffd\ufffd\ufffd\ufffd\ufffd \x1b[1mbold\x1b[0m\tend")
    noise = session.run("head -c 200000 /dev/urandom").text()
    assert len(noise) <= MAX_OUTPUT_CHARS
    assert "\x00" not in noise and "\x07" not in noise
    noise.encode("utf-8")  # no lone surrogates: the text can go into JSON as it is


def test_a_timeout_under_a_second_reminds_that_it_is_in_milliseconds(
    session: BashSession,
) -> None:
    result = session.run("sleep 5", timeout_ms=30)
    assert result == ToolResult(
        "Command timed out after 0.03 s and was killed, with every process it started.\n"
        "(no output)\n\n"
        "`timeout` is in milliseconds: 30 means 0.03 s. Give e.g. 60000 for a minute.",
        is_error=True,
    )


def test_output_buffer_decodes_characters_split_across_chunks() -> None:
    data = ("é€😀" * 20_000).encode()
    buffer = OutputBuffer(limit=1_000)
    for i in range(0, len(data), 7):  # chunk edges fall inside multi-byte characters
        buffer.feed(data[i : i + 7])
    text = buffer.text()
    assert "\ufffd" not in text
    assert len(text) == 1_000
    assert buffer.total_chars == 60_000
    assert text.startswith("é€😀" * 166) and text.endswith("é€😀" * 100)
    assert "[... 59,0" in text


def test_output_buffer_under_the_limit_is_verbatim() -> None:
    buffer = OutputBuffer(limit=1_000)
    for part in (b"abc", b"", b"\xff", b"def\n"):
        buffer.feed(part)
    assert buffer.text() == "abc\ufffddef\n"


def test_a_nul_character_is_refused(session: BashSession) -> None:
    expected = (True, "The command contains a NUL character, which bash cannot run.")
    for result in (session.run("echo a\0b"), session.start_background("echo a\0b")):
        assert (result.is_error, result.content) == expected


# --- working directory -----------------------------------------------------------------------


def test_cd_persists_between_calls(session: BashSession, ws: Path) -> None:
    assert session.run("cd sub").is_error is False
    assert session.cwd == ws / "sub"
    assert session.run("pwd").content == str(ws / "sub")
    session.run("cd ..")
    assert session.run("pwd").content == str(ws)


def test_cd_outside_the_roots_is_reset_and_said(session: BashSession, ws: Path) -> None:
    result = session.run("cd / && echo moved")
    assert result.content == (
        f"moved\n\nShell cwd was reset to {ws}: / is outside the directories the shell may "
        f"stay in ({ws})."
    )
    assert session.cwd == ws
    assert session.run("pwd").content == str(ws)


def test_cd_through_a_symlink_out_is_reset(session: BashSession, ws: Path, tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (ws / "link").symlink_to(tmp_path / "outside")
    result = session.run("cd link")
    assert "Shell cwd was reset" in result.text()
    assert session.cwd == ws


def test_cd_into_an_extra_root_sticks(sandbox: UnconfinedSandbox, tmp_path: Path, ws: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    shell = BashSession(sandbox, cwd=ws, tmp_dir=tmp_path / "tmp", roots=(ws, extra))
    assert shell.run(f"cd {extra}").is_error is False
    assert shell.run("pwd").content == str(extra)
    shell.close()


def test_exported_variables_do_not_carry_over(session: BashSession) -> None:
    session.run("export FOO=bar")
    assert session.run("echo ${FOO:-unset}").content == "unset"


def test_a_deleted_cwd_falls_back_to_the_start(session: BashSession, ws: Path) -> None:
    session.run("mkdir gone && cd gone")
    assert session.cwd == ws / "gone"
    session.run('rmdir "$PWD"')
    result = session.run("pwd")
    assert result.content == f"{ws}\n\n{ws / 'gone'} no longer exists; the shell started in {ws}."


def test_cwd_outside_the_roots_is_refused_at_construction(
    sandbox: UnconfinedSandbox, tmp_path: Path, ws: Path
) -> None:
    with pytest.raises(ValueError, match="outside the shell's roots"):
        BashSession(sandbox, cwd=tmp_path, tmp_dir=tmp_path / "tmp", roots=(ws,))


# --- timeouts, cancel, leftovers ---------------------------------------------------------------


def test_timeout_kills_the_whole_tree(session: BashSession) -> None:
    arg = unique_sleep()
    start = time.monotonic()
    result = session.run(f"echo started; sleep {arg} & sleep {arg}", timeout_ms=1_000)
    elapsed = time.monotonic() - start
    assert 0.9 < elapsed < 2.5
    assert result.is_error
    assert result.content == (
        "Command timed out after 1 s and was killed, with every process it started.\nstarted"
    )
    assert live_with_arg(arg) == []


def test_timeout_kills_setsid_children(session: BashSession) -> None:
    arg = unique_sleep()
    result = session.run(
        f"setsid sleep {arg} & (setsid sleep {arg} &); sleep {arg}", timeout_ms=500
    )
    assert result.text().startswith("Command timed out after 0.5 s")
    assert live_with_arg(arg) == []


def test_processes_left_by_a_call_die_with_it(session: BashSession) -> None:
    arg = unique_sleep()
    result = session.run(f"sleep {arg} & setsid nohup sleep {arg} >/dev/null 2>&1 & echo back")
    assert result.content == "back"
    assert live_with_arg(arg) == []


def test_cancel_mid_call_kills_and_says_interrupted(session: BashSession) -> None:
    arg = unique_sleep()
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    start = time.monotonic()
    result = session.run(f"sleep {arg} & sleep {arg}", timeout_ms=30_000, cancel=cancel)
    assert time.monotonic() - start < 2
    assert result.is_error
    assert result.text().startswith("Command was interrupted by the user and killed")
    assert live_with_arg(arg) == []


def test_cancel_set_before_the_call_runs_nothing(session: BashSession, ws: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    result = session.run("touch ran", cancel=cancel)
    assert (result.is_error, result.content) == (
        True,
        "The command was interrupted before it started.",
    )
    assert not (ws / "ran").exists()


# --- background jobs -------------------------------------------------------------------------


def test_background_job_returns_at_once_and_fills_its_log(session: BashSession, ws: Path) -> None:
    session.run("cd sub")
    start = time.monotonic()
    result = session.start_background("pwd; echo started; sleep 0.3; echo finished; exit 4")
    assert time.monotonic() - start < 1
    assert not result.is_error
    log = Path(re.search(r"is written to (\S+\.log):", result.text())[1])
    assert result.text().startswith(f"Started in the background as bash_1, in {ws / 'sub'}.")
    assert wait_for(lambda: "exited with code" in log.read_text())
    assert log.read_text() == (
        f"{ws / 'sub'}\nstarted\nfinished\n\n[agentrun: background job exited with code 4]\n"
    )


def test_close_kills_background_jobs_and_their_children(session: BashSession) -> None:
    arg = unique_sleep()
    first = session.start_background(f"sleep {arg} & setsid sleep {arg} & sleep {arg}")
    second = session.start_background(f"sleep {arg}")
    assert "bash_1" in first.text() and "bash_2" in second.text()
    assert wait_for(lambda: len(live_with_arg(arg)) == 4)
    assert session.run("echo still here").content == "still here"
    assert len(live_with_arg(arg)) == 4  # a foreground call does not touch background jobs
    session.close()
    assert live_with_arg(arg) == []


def test_closed_session_refuses_politely_and_close_is_idempotent(session: BashSession) -> None:
    session.close()
    session.close()
    assert session.run("echo hi").is_error
    result = session.start_background("echo hi")
    assert (result.is_error, result.content) == (
        True,
        "The shell session has ended; no command can run.",
    )


# --- environment -----------------------------------------------------------------------------


def test_runtime_secrets_never_reach_the_shell(
    monkeypatch: pytest.MonkeyPatch, sandbox: UnconfinedSandbox, tmp_path: Path, ws: Path
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-k3y")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-k3y")
    shell = BashSession(sandbox, cwd=ws, tmp_dir=tmp_path / "tmp")
    output = shell.run("env").text()
    shell.close()
    assert "ANTHROPIC" not in output
    assert "k3y" not in output
    assert "127.0.0.1:9" not in output
    assert "PATH=" in output


def test_home_and_tmpdir_are_session_directories(session: BashSession, tmp_path: Path) -> None:
    output = session.run('echo "$HOME"; echo "$TMPDIR"; touch "$HOME/x" && echo ok').content
    assert output == f"{tmp_path / 'tmp' / 'home'}\n{tmp_path / 'tmp'}\nok"


def test_a_command_that_would_open_an_editor_fails_at_once(session: BashSession, ws: Path) -> None:
    # Without an -m, `git commit` starts an editor; it must not wait for a human until timeout.
    start = time.monotonic()
    result = session.run(
        "git init -q repo && cd repo && "
        "git -c user.email=a@b.c -c user.name=A commit --allow-empty",
        timeout_ms=20_000,
    )
    assert time.monotonic() - start < 5
    assert result.is_error
    assert result.text().startswith("Exit code 1\n")
    assert "Aborting commit due to empty commit message" in result.text()


def test_build_env_is_an_allowlist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp")
    monkeypatch.setenv("TZ", "Europe/Paris")
    env = build_env(
        home=tmp_path / "h",
        tmp_dir=tmp_path / "t",
        extra={"CI": "1", "ANTHROPIC_MODEL": "x"},
    )
    assert set(env) <= {
        "PATH",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "TERM",
        "TZ",
        "USER",
        "LOGNAME",
        "HOME",
        "TMPDIR",
        "CI",
        "GIT_EDITOR",
        "EDITOR",
        "VISUAL",
        "GIT_PAGER",
        "PAGER",
        "GIT_TERMINAL_PROMPT",
    }
    assert (env["HOME"], env["TMPDIR"], env["TZ"], env["CI"]) == (
        str(tmp_path / "h"),
        str(tmp_path / "t"),
        "Europe/Paris",
        "1",
    )
    with pytest.raises(ValueError, match="A=B"):
        build_env(home=tmp_path, tmp_dir=tmp_path, extra={"A=B": "1"})


# --- the sandbox failing closed --------------------------------------------------------------


class NoLandlockSandbox:
    """A Sandbox whose mode needs a layer this machine lacks: spawn refuses, as the jail does."""

    mode = "workspace-write"
    enforced: tuple[str, ...] = ()

    def spawn(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: int
    ) -> SpawnedProcess:
        raise SandboxUnavailableError("Landlock is not supported by this kernel", layer="landlock")

    def close(self) -> None:
        pass


class MissingShellSandbox:
    """Spawns for real, but the shell it was given does not exist (a broken install)."""

    mode = "danger-full-access"
    enforced: tuple[str, ...] = ()

    def spawn(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: int
    ) -> SpawnedProcess:
        subprocess.Popen(["/nonexistent/bash", *argv[1:]], cwd=cwd, env=env, stdout=stdout)
        raise AssertionError("unreachable: the exec fails")

    def close(self) -> None:
        pass


def test_a_failed_spawn_is_an_error_result_in_stable_words(tmp_path: Path, ws: Path) -> None:
    shell = BashSession(MissingShellSandbox(), cwd=ws, tmp_dir=tmp_path / "tmp")
    expected = (
        "Bash could not start the command (ENOENT: does not exist). Nothing was run; try "
        "again, or use the Read, Write, Edit, Glob and Grep tools."
    )
    for result in (shell.run("true"), shell.start_background("true")):
        assert (result.is_error, result.content) == (True, expected)
    shell.close()


def test_sandbox_unavailable_becomes_an_error_naming_the_layer(tmp_path: Path, ws: Path) -> None:
    shell = BashSession(NoLandlockSandbox(), cwd=ws, tmp_dir=tmp_path / "tmp")
    expected = (
        "Bash cannot run: the sandbox layer 'landlock' is not available (Landlock is not "
        "supported by this kernel). Nothing was executed; use the Read, Write, Edit, Glob and "
        "Grep tools instead."
    )
    for result in (shell.run("touch x"), shell.start_background("touch x")):
        assert (result.is_error, result.content) == (True, expected)
    assert not (ws / "x").exists()
    shell.close()


@pytest.mark.parametrize(
    "plant",
    ["mkfifo", "ln -s /dev/zero", "ln -s /etc/hostname"],
    ids=["fifo", "dev-zero", "symlink"],
)
@pytest.mark.timeout(20)
def test_a_planted_cwd_state_file_is_never_followed(
    session: BashSession, ws: Path, plant: str
) -> None:
    """The command may replace the shell's cwd state file: the runtime must not block on a
    FIFO, read /dev/zero into memory, or follow a symlink to read a file for the command."""
    state = session._state
    trap = f"trap 'rm -f {state}; {plant} {state}' EXIT"
    result = session.run(f"cd sub; {trap}")
    assert not result.is_error
    assert session.cwd == ws  # the planted file was refused: the directory did not change
    assert session.run("pwd").content == str(ws)


def test_a_planted_background_log_never_redirects_the_runtime(
    session: BashSession, tmp_path: Path
) -> None:
    """The unconfined runtime creates background logs in a directory commands can write to;
    a symlink planted there (to a file, or in place of the directory) must not make it
    truncate or write anything outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("keep me\n")
    jobs = tmp_path / "tmp" / "bash-jobs"
    session.run(
        f"mkdir -p {jobs} && ln -s {victim} {jobs}/bash_1.log && ln -s {victim} {jobs}/bash_2.log"
    )
    first = session.start_background("echo written-by-job")
    assert not first.is_error
    time.sleep(0.3)
    assert victim.read_text() == "keep me\n"
    assert "written-by-job" in (jobs / "bash_1.log").read_text()  # a fresh, real log

    session.run(f"rm -rf {jobs} && ln -s {outside} {jobs}")
    second = session.start_background("echo again")
    assert second.is_error
    assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
    assert victim.read_text() == "keep me\n"
