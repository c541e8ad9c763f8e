"""``agentrun demo``: the backend-specialist adds pagination to a small service, offline.

The bundled ``sandbox/`` service (from the checkout, or ``agentrun/_data/sandbox`` when
installed) is copied to a fresh directory, and the agent works on the copy with the scripted
session ``agentrun/demo/backend-task.yaml``: no API key, no network, the same result every
time. The source tree is only ever read, so a checkout stays clean.

With ``--output-format text`` (the default) the run is shown as the CLI shows runs to people;
``json`` and ``stream-json`` print what ``agentrun -p`` prints, and the notes go to stderr.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from agentrun.cli.app import OUTPUT_FORMATS
from agentrun.core.errors import ConfigError
from agentrun.core.vocab import DEFAULT_AGENT, SANDBOX_MODES

DEMO_PROMPT = (
    "Add pagination and filtering to GET /items: `limit` (1-100, default 50) and `offset` "
    "query parameters, filters by `category_id` and `in_stock`, clear 400 errors for invalid "
    "values, a schema migration adding an index for the category filter, and tests. Run the "
    "test suite with `python3 -m pytest` at the end."
)
AGENT = DEFAULT_AGENT
PERMISSION_MODE = "acceptEdits"
# acceptEdits lets the agent edit inside the workspace; Bash may run the test suite, nothing else.
ALLOWED_TOOLS = ("Bash(python3 -m pytest:*)",)


def script_path() -> Path:
    """The scripted session, shipped inside the package."""
    return Path(str(resources.files("agentrun") / "demo" / "backend-task.yaml"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace",
        metavar="DIR",
        help="work in DIR (created; must be empty) instead of a temporary directory; kept",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary workspace after the run"
    )
    parser.add_argument("--output-format", choices=OUTPUT_FORMATS, default="text")
    parser.add_argument(
        "--sandbox",
        choices=SANDBOX_MODES,
        default="workspace-write",
        help="sandbox mode for the run (danger-full-access where the kernel lacks the layers)",
    )
    parser.add_argument(
        "--print-prompt",
        action="store_true",
        help="print the demo's task and exit (to give it to a real model)",
    )


def run(args: argparse.Namespace) -> int:
    if args.print_prompt:
        print(DEMO_PROMPT)
        return 0
    from agentrun.runner.workspace import bundled_sandbox, copy_workspace

    _runtime_python_first()
    source = bundled_sandbox()
    workspace, temporary = _workspace(args.workspace, source)
    copy_workspace(source, workspace)
    notes = sys.stdout if args.output_format == "text" else sys.stderr
    keep = args.keep or not temporary
    try:
        if args.output_format == "text":
            code = _run_rendered(workspace, args.sandbox)
        else:
            code = _run_headless(workspace, args.output_format, args.sandbox)
    finally:
        if keep:
            print(f"\nThe workspace is at {workspace}", file=notes)
            print(f"  cd {workspace} && python3 -m pytest", file=notes)
        else:
            shutil.rmtree(workspace, ignore_errors=True)
            print(f"\nThe workspace {workspace} was removed (--keep keeps it).", file=notes)
    return code


def _runtime_python_first() -> None:
    """Put the directory of the Python running agentrun first on PATH (Bash inherits PATH).

    The session ends with ``python3 -m pytest``, and pytest is certain to be installed only for
    this interpreter: agentrun run from a virtualenv that is not activated would otherwise find
    some other ``python3`` (or a pyenv shim the sandbox does not let it read).
    """
    bindir = Path(sys.executable).parent
    if (bindir / "python3").exists():
        os.environ["PATH"] = os.pathsep.join([str(bindir), os.environ.get("PATH", "")])


def _workspace(requested: str | None, source: Path) -> tuple[Path, bool]:
    if requested is None:
        return Path(tempfile.mkdtemp(prefix="agentrun-demo-")), True
    path = Path(requested).expanduser().resolve()
    if path == source.resolve() or source.resolve() in path.parents:
        raise ConfigError(f"--workspace {requested!r} is inside the demo's source {source}")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError(f"--workspace {requested!r} exists and is not an empty directory")
    path.mkdir(parents=True, exist_ok=True)
    return path, False


def _run_headless(workspace: Path, output_format: str, sandbox: str) -> int:
    """Exactly ``agentrun -p``, so machine-readable output is the CLI's own."""
    from agentrun.cli.app import main

    argv = ["-p", DEMO_PROMPT, "--agent", AGENT, "--cwd", str(workspace)]
    argv += ["--model", f"script:{script_path()}", "--permission-mode", PERMISSION_MODE]
    for rule in ALLOWED_TOOLS:
        argv += ["--allowedTools", rule]
    return main([*argv, "--sandbox", sandbox, "--output-format", output_format])


def _run_rendered(workspace: Path, sandbox: str) -> int:
    """The run rendered live, as the CLI renders runs for people."""
    from rich.console import Console
    from rich.text import Text

    from agentrun.cli.commands.run import exit_code
    from agentrun.cli.render import Renderer
    from agentrun.core.events import Event, InitEvent, TextDelta
    from agentrun.runner import api

    console = Console(highlight=False)
    renderer = Renderer(console, cwd=workspace)
    console.print(
        Text.assemble(
            ("agentrun demo", "bold"),
            f" · the {AGENT} agent on a copy of the bundled shop service\n",
            ("scripted model (offline, no API key) · ", "dim"),
            (f"{script_path().name}\n", "dim"),
        )
    )
    console.print(Text.assemble(("> ", "bold cyan"), DEMO_PROMPT, "\n"))

    def on_event(event: Event) -> None:
        # Live streaming redraws in place, which only a terminal can show; elsewhere (CI logs,
        # pipes) each message is printed once, whole, when it completes.
        if isinstance(event, TextDelta) and not console.is_terminal:
            return
        if isinstance(event, InitEvent):
            layers = ", ".join(event.sandbox_enforced) or "none"
            console.print(
                Text(
                    f"workspace {event.cwd} · sandbox {event.sandbox_mode} ({layers}) · "
                    f"permissions {event.permission_mode}\n",
                    style="dim",
                )
            )
        renderer.on_event(event)

    try:
        result = api.run(
            DEMO_PROMPT,
            agent=AGENT,
            cwd=str(workspace),
            model=f"script:{script_path()}",
            permission_mode=PERMISSION_MODE,
            allowed_tools=ALLOWED_TOOLS,
            sandbox=sandbox,
            on_event=on_event,
        )
    finally:
        renderer.close()
    renderer.footer(turns=result.num_turns, usage=result.usage, cost=result.total_cost_usd)
    if result.is_error and "sandbox" in result.result.lower():
        console.print(
            "The sandbox could not run Bash here (`agentrun sandbox status` says why); "
            "`agentrun demo --sandbox danger-full-access` runs the demo unconfined.",
            style="yellow",
        )
    return exit_code(result.subtype, result.stop_reason)
