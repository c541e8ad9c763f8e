"""The benchmark pairs of issue 8, agentrun's side first. Each builder returns one Outcome.

Baselines are what a user could run instead, with the same flags: for Grep and Glob the exact rg
argument list our tools build (taken from the tools' own argv builders, so the comparison cannot
drift), with the output read through a pipe as our tools read it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import batch_pairs
import hook_pairs
import inputs
import long_pairs
import loop_pairs
import mcp_pairs
from harness import Outcome, Pair, timed

Builder = Callable[..., Outcome]

PYTHON = sys.executable
SCRIPTS = Path(sysconfig.get_path("scripts"))


def _rg() -> str:
    """The rg binary the tools use: a PATH lookup may find a shim (pyenv) that costs 60 ms."""
    from agentrun.tools.rg import rg_binary

    return rg_binary() or "rg"


def _tree(quick: bool) -> Path:
    return inputs.small_tree() if quick else inputs.kernel_tree()


def _context(root: Path) -> Any:
    """A tool context as a workspace-write session has it: file I/O through the jail's file
    server (the jail is started here, so its start-up is not timed; it closes at exit)."""
    import atexit

    from agentrun.jail.fileclient import jailed_workspace
    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.policy import SandboxPolicy
    from agentrun.tools.base import ToolContext
    from agentrun.tools.records import ReadRecords

    policy = SandboxPolicy.create(root)
    tmp = Path(tempfile.mkdtemp(prefix="agentrun-bench-jail-"))
    jail = JailSandbox(policy, tmp_dir=tmp)
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    atexit.register(jail.close)
    workspace = jailed_workspace(policy, jail)
    workspace.check_dir(root)  # starts the jail and its file server
    return ToolContext(workspace=workspace, reads=ReadRecords())


def _tool_call(ctx: Any, name: str, tool_input: dict[str, Any]) -> Callable[[], object]:
    """One tool call through the registry (validation + dispatch), as the loop makes it."""
    from agentrun.core.types import ToolCall
    from agentrun.tools.registry import ToolRunner, build_tools

    runner = ToolRunner(build_tools([name]), ctx)
    call = ToolCall(id="toolu_bench", name=name, input=tool_input)

    def run() -> object:
        (result,) = runner.run_calls([call])
        if result.is_error:
            raise RuntimeError(f"{name} failed: {result.text()[:300]}")
        return result

    return run


def _piped(argv: list[str], *, cwd: Path | None = None) -> Callable[[], object]:
    """Run a command and read all of its output through a pipe (as our tools do)."""

    def run() -> object:
        return subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True)

    return run


def _grep_baseline(ctx: Any, tool_input: dict[str, Any]) -> Callable[[], object]:
    from agentrun.tools import grep
    from agentrun.tools.rg import SearchRoot

    ws = ctx.workspace
    where = SearchRoot.for_dir(ws.check_dir(tool_input["path"]), root=ws.root, policy=ws.policy)
    mode = tool_input.get("output_mode", "files_with_matches")
    args = grep._argv(tool_input, mode, tool_input["pattern"], where)
    return _piped([_rg(), *args], cwd=where.cwd)


def grep_files(*, quick: bool, rounds: int) -> Outcome:
    tree = _tree(quick)
    ctx = _context(tree)
    # Fewer matches than head_limit, so both sides search the whole tree: the ratio is our
    # per-call overhead, not the early stop (which only flatters us).
    spec = {"pattern": "drm_gem_object_lookup", "path": str(tree)}
    return Pair(
        "Grep files_with_matches, literal  vs  rg -l (same flags)",
        "Grep tool",
        timed(_tool_call(ctx, "Grep", spec)),
        "rg -l",
        timed(_grep_baseline(ctx, spec)),
        max_ratio=1.3,
    ).run(rounds)


def grep_content_regex(*, quick: bool, rounds: int) -> Outcome:
    tree = _tree(quick)
    ctx = _context(tree)
    spec = {
        # ~2 KB of output, under the 20,000-character cap: both sides read everything.
        "pattern": r"static\s+int\s+\w+_(suspend|resume)_late\(",
        "path": str(tree),
        "output_mode": "content",
        "-i": True,
        "head_limit": 0,
    }
    return Pair(
        "Grep content, regex, -i  vs  rg -n -i",
        "Grep tool",
        timed(_tool_call(ctx, "Grep", spec)),
        "rg -n -i",
        timed(_grep_baseline(ctx, spec)),
        max_ratio=1.3,
    ).run(rounds)


def grep_head_limit(*, quick: bool, rounds: int) -> Outcome:
    tree = _tree(quick)
    ctx = _context(tree)
    spec = {"pattern": "e", "path": str(tree), "output_mode": "content", "head_limit": 250}
    from agentrun.tools import grep
    from agentrun.tools.rg import SearchRoot

    ws = ctx.workspace
    where = SearchRoot.for_dir(ws.check_dir(str(tree)), root=ws.root, policy=ws.policy)
    args = grep._argv(spec, "content", "e", where)
    line = " ".join(_quote(a) for a in [_rg(), *args])
    return Pair(
        "Grep content, head_limit 250, most lines match  vs  rg -n | head -250",
        "Grep tool",
        timed(_tool_call(ctx, "Grep", spec)),
        "rg | head",
        timed(_piped(["bash", "-c", f"{line} | head -250"], cwd=where.cwd)),
        max_ratio=1.3,
    ).run(rounds)


def glob_c(*, quick: bool, rounds: int) -> Outcome:
    tree = _tree(quick)
    ctx = _context(tree)
    argv = [_rg(), "--files", "--glob", "*.c", "--sort=modified", "."]
    return Pair(
        "Glob **/*.c  vs  rg --files --glob '*.c' --sort=modified",
        "Glob tool",
        timed(_tool_call(ctx, "Glob", {"pattern": "**/*.c", "path": str(tree)})),
        "rg --files",
        timed(_piped(argv, cwd=tree)),
        max_ratio=1.3,
    ).run(rounds)


def read_2000(*, quick: bool, rounds: int) -> Outcome:
    path = inputs.numbered_file(10_000)
    ctx = _context(path.parent)
    return Pair(
        "Read first 2,000 lines of a 10,000-line file  vs  cat -n | head -2000",
        "Read tool",
        timed(_tool_call(ctx, "Read", {"file_path": str(path), "offset": 1, "limit": 2000})),
        "cat -n | head",
        timed(_piped(["bash", "-c", f"cat -n {_quote(str(path))} | head -2000"])),
        max_ratio=1.0,
    ).run(rounds)


def edit_1mb(*, quick: bool, rounds: int) -> Outcome:
    import os

    workdir = Path(tempfile.mkdtemp(prefix="agentrun-bench-edit-"))
    ours_file = inputs.megabyte_file(workdir)
    base_file = workdir / "baseline.py"
    shutil.copyfile(ours_file, base_file)
    ctx = _context(workdir)
    _tool_call(ctx, "Read", {"file_path": str(ours_file), "limit": 10})()
    state = {"ours": 1, "base": 1}

    def ours() -> object:
        old, new = state["ours"], 3 - state["ours"]
        state["ours"] = new
        spec = {
            "file_path": str(ours_file),
            "old_string": f"UNIQUE_MARKER = {old}",
            "new_string": f"UNIQUE_MARKER = {new}",
        }
        return _tool_call(ctx, "Edit", spec)()

    def base() -> object:
        old, new = state["base"], 3 - state["base"]
        state["base"] = new
        text = base_file.read_text()
        text = text.replace(f"UNIQUE_MARKER = {old}", f"UNIQUE_MARKER = {new}", 1)
        with base_file.open("w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        return None

    pair = Pair(
        "Edit unique replacement, 1 MB file (atomic, fsync)  vs  read-replace-write-fsync",
        "Edit tool",
        timed(ours),
        "plain Python",
        timed(base),
        max_ratio=1.5,
    )
    pair.teardown.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    # Each side ends in an fsync, whose latency on a shared VM disk swings by 2x from one
    # second to the next: 15 rounds gave ratios from 1.4x to 1.9x, 60 gave 1.27x-1.35x.
    return pair.run(rounds * 4)


def bash_true(*, quick: bool, rounds: int) -> Outcome:
    from agentrun.jail import open_sandbox
    from agentrun.jail.policy import SandboxPolicy
    from agentrun.tools.shell import BashSession

    workdir = Path(tempfile.mkdtemp(prefix="agentrun-bench-bash-"))
    tmp_dir = Path(tempfile.mkdtemp(prefix="agentrun-bench-bashtmp-"))
    sandbox = open_sandbox(SandboxPolicy.create(workdir), tmp_dir=tmp_dir)
    session = BashSession(sandbox, cwd=workdir, tmp_dir=tmp_dir)

    def ours() -> object:
        result = session.run("true", timeout_ms=10_000)
        if result.is_error:
            raise RuntimeError(result.text())
        return result

    pair = Pair(
        f"jailed Bash call `true` [{','.join(sandbox.enforced) or 'no layers'}]  vs  bash -c true",
        "Bash tool",
        timed(ours),
        "subprocess.run",
        timed(_piped(["bash", "-c", "true"])),
        max_ratio=3.0,
        max_ours_ms=10.0,
        warmup=5,
    )

    def close() -> None:
        session.close()
        sandbox.close()
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(tmp_dir, ignore_errors=True)

    pair.teardown.append(close)
    return pair.run(rounds * 4)


def jail_start(*, quick: bool, rounds: int) -> Outcome:
    """A session jail's start (to its first report) forked from the jail template a batch
    worker keeps, against a fresh ``python -m agentrun.jail.init`` (what ``-p`` does)."""
    from agentrun.jail import zygote
    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.policy import SandboxPolicy

    workdir = Path(tempfile.mkdtemp(prefix="agentrun-bench-jailstart-"))

    def jail() -> None:
        ws = Path(tempfile.mkdtemp(dir=workdir))
        tmp = Path(tempfile.mkdtemp(dir=workdir))
        sandbox = JailSandbox(SandboxPolicy.create(ws), tmp_dir=tmp)
        sandbox.start()
        if not sandbox.started or sandbox.missing:
            raise RuntimeError(f"the jail did not start: {sandbox.missing}")
        sandbox.close()

    def start(forked: bool) -> Callable[[], float]:
        # The sides alternate, and the fresh side needs the template stopped: its stop, and
        # the template's restart (a worker starts it once, not per task), stay off the clock.
        def go() -> float:
            if forked:
                before = zygote.running()
                if zygote.start() is not before:
                    jail()  # waits out the new template's own start-up
            else:
                zygote.stop()
            began = time.perf_counter()
            jail()
            return time.perf_counter() - began

        return go

    pair = Pair(
        "jail start: forked from the worker's template  vs  a fresh init interpreter",
        "template fork",
        start(True),
        "fresh init",
        start(False),
        max_ratio=0.75,
    )
    pair.teardown.append(zygote.stop)
    pair.teardown.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    return pair.run(rounds)


def _agentrun() -> str:
    return str(SCRIPTS / "agentrun") if (SCRIPTS / "agentrun").exists() else "agentrun"


def cli_version(*, quick: bool, rounds: int) -> Outcome:
    # Issue 8 asks <= 2x; issue 6 asks --help and --version under 1.5x: the stricter holds.
    return Pair(
        "agentrun --version  vs  python -c pass",
        "agentrun",
        timed(_piped([_agentrun(), "--version"])),
        "python -c pass",
        timed(_piped([PYTHON, "-c", "pass"])),
        max_ratio=1.5,
    ).run(rounds)


def cli_help(*, quick: bool, rounds: int) -> Outcome:
    return Pair(
        "agentrun --help  vs  python -c pass",
        "agentrun",
        timed(_piped([_agentrun(), "--help"])),
        "python -c pass",
        timed(_piped([PYTHON, "-c", "pass"])),
        max_ratio=1.5,
    ).run(rounds)


def cli_one_turn(*, quick: bool, rounds: int) -> Outcome:
    agentrun = _agentrun()
    workdir = Path(tempfile.mkdtemp(prefix="agentrun-bench-cli-"))
    script = workdir / "one-turn.yaml"
    script.write_text('turns:\n  - text: "hello"\n')
    home = workdir / "home"
    argv = [agentrun, "-p", "hi", "--model", f"script:{script}", "--output-format", "json"]
    argv += ["--cwd", str(workdir)]

    def ours() -> object:
        out = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env={**_env(), "AGENTRUN_HOME": str(home)},
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr.decode(errors="replace")[-500:])
        return out

    pair = Pair(
        "agentrun -p hi --model script:ONE_TURN --output-format json  vs  import rich, yaml",
        "agentrun -p",
        timed(ours),
        "import rich, yaml",
        timed(_piped([PYTHON, "-c", "import rich, yaml"])),
        max_ratio=2.0,
    )
    pair.teardown.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    return pair.run(rounds)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


PAIRS: list[tuple[str, Builder]] = [
    ("grep-files", grep_files),
    ("grep-content", grep_content_regex),
    ("grep-head-limit", grep_head_limit),
    ("glob", glob_c),
    ("read", read_2000),
    ("edit", edit_1mb),
    ("bash", bash_true),
    ("jail-start", jail_start),
    ("cli-version", cli_version),
    ("cli-help", cli_help),
    ("cli-one-turn", cli_one_turn),
    *loop_pairs.PAIRS,
    *mcp_pairs.PAIRS,
    *batch_pairs.PAIRS,
    *long_pairs.PAIRS,
    *hook_pairs.PAIRS,
]
