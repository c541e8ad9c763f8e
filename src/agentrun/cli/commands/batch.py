"""``agentrun batch TASKS``: run a task file on local workers or Ray; results to ``--out``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentrun.batch.engine import Progress

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from agentrun.cli.app import _positive_float, _positive_int
    from agentrun.core.vocab import PERMISSION_MODES, SANDBOX_MODES

    parser.add_argument("tasks", metavar="TASKS", help="task file (.jsonl, .yaml)")
    parser.add_argument("--check", action="store_true", help="validate the task file only")
    parser.add_argument("--workers", type=_positive_int, default=2, metavar="N")
    parser.add_argument("--out", metavar="RESULTS.jsonl", help="results file (resumable)")
    parser.add_argument("--retry-failed", action="store_true", help="rerun failed ids in --out")
    parser.add_argument("--max-budget-usd", type=_positive_float, metavar="USD",
                        help="start no task once the batch has spent this much")  # fmt: skip
    parser.add_argument("--keep-worktrees", action="store_true")
    parser.add_argument("--work-dir", metavar="DIR", help="where the checkouts go")
    parser.add_argument("--backend", choices=("local", "ray"), default="local")
    parser.add_argument("--ray-address", metavar="ADDR")
    parser.add_argument("--cpus", type=_positive_float, default=1.0, help="Ray CPUs per task")
    parser.add_argument("--memory-mb", type=_positive_int, help="Ray memory per task")
    parser.add_argument("--max-retries", type=int, default=2, help="reruns of a lost task")
    parser.add_argument("--sandbox", choices=SANDBOX_MODES, default="workspace-write")
    parser.add_argument(
        "--progress",
        choices=("auto", "rich", "plain"),
        default="auto",
        help="live panel (rich), one line per task (plain); auto: rich on a terminal",
    )
    defaults = parser.add_argument_group("task defaults (a task's own fields win)")
    defaults.add_argument("--agent")
    defaults.add_argument("--model")
    defaults.add_argument("--max-turns", type=_positive_int)
    defaults.add_argument("--permission-mode", choices=PERMISSION_MODES)
    defaults.add_argument("--timeout", type=_positive_float, metavar="SECONDS")


def run(args: argparse.Namespace) -> int:
    from agentrun.batch.engine import run_batch
    from agentrun.batch.tasks import TaskFileError, load_tasks
    from agentrun.cli.termsafe import safe

    flags = {
        "agent": args.agent,
        "model": args.model,
        "max_turns": args.max_turns,
        "permission_mode": args.permission_mode,
        "timeout": args.timeout,
    }
    try:
        tasks = load_tasks(args.tasks, {k: v for k, v in flags.items() if v is not None})
    except TaskFileError as e:
        print(f"agentrun batch: {safe(str(e))}", file=sys.stderr)
        return EXIT_USAGE
    if args.check:
        print(f"{len(tasks)} task(s) OK")
        return EXIT_OK
    rich = args.progress == "rich" or (args.progress == "auto" and sys.stderr.isatty())
    view = _RichView(len(tasks)) if rich else _PlainView()
    lines: list[dict[str, Any]] = []
    last: Progress | None = None

    def on_progress(progress: Progress, line: dict[str, Any] | None) -> None:
        nonlocal last
        last = progress
        view.update(progress, line)

    code = EXIT_OK
    try:
        with view:
            for line in run_batch(
                tasks,
                workers=args.workers,
                backend=args.backend,
                out=args.out,
                retry_failed=args.retry_failed,
                max_budget_usd=args.max_budget_usd,
                keep_worktrees=args.keep_worktrees,
                work_dir=args.work_dir,
                sandbox=args.sandbox,
                ray_address=args.ray_address,
                num_cpus=args.cpus,
                memory_mb=args.memory_mb,
                max_retries=max(0, args.max_retries),
                on_progress=on_progress,
            ):
                lines.append(line)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    _summary(lines, last, rich)
    if code == EXIT_OK and (any(line.get("status") != "success" for line in lines)):
        code = EXIT_FAILED
    if code == EXIT_OK and last is not None and last.budget_stopped:
        code = EXIT_FAILED
    return code


class _PlainView:
    """One line per ended task on stderr (a log, a CI job)."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __enter__(self) -> _PlainView:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, progress: Progress, line: dict[str, Any] | None) -> None:
        if line is None:
            return
        from agentrun.cli.termsafe import safe

        cost = line.get("total_cost_usd")
        print(
            f"[{progress.done}/{progress.total - progress.skipped}] {safe(str(line.get('id')))} "
            f"{line.get('status')} {line.get('num_turns', 0)} turns "
            f"{(line.get('duration_ms') or 0) / 1000:.1f}s"
            + (f" ${cost:.4f}" if isinstance(cost, int | float) else "")
            + f" (total ${progress.cost_usd:.4f})",
            file=sys.stderr,
            flush=True,
        )


class _RichView:
    """A live panel on the terminal: done / running / failed, cost so far, ETA."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.live import Live

        self.started = time.monotonic()
        self.console = Console(stderr=True)
        self.live = Live(console=self.console, refresh_per_second=4, transient=False)
        self.total = total

    def __enter__(self) -> _RichView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)

    def update(self, progress: Progress, line: dict[str, Any] | None) -> None:
        from rich.markup import escape

        from agentrun.cli.termsafe import safe

        if line is not None and line.get("status") != "success":
            self.console.print(
                f"[red]{escape(safe(str(line.get('id'))))}[/] {line.get('status')}: "
                f"{escape(safe(str(line.get('result') or ''))[:200])}"
            )
        todo = progress.total - progress.skipped
        elapsed = time.monotonic() - self.started
        eta = ""
        if progress.done:
            remaining = (todo - progress.done - progress.not_started) * elapsed / progress.done
            eta = f"  ETA {remaining:.0f}s"
        running = ", ".join(escape(safe(r)) for r in progress.running[:6])
        ok = progress.done - progress.failed - progress.interrupted
        self.live.update(
            f"[bold]{progress.done}/{todo}[/] done  [green]{ok} ok[/]"
            f"  [red]{progress.failed} failed[/]  {len(progress.running)} running"
            f"  ${progress.cost_usd:.4f}{eta}"
            + (f"\n[dim]running: {running}[/]" if running else "")
            + ("\n[yellow]budget reached: no new tasks[/]" if progress.budget_stopped else "")
        )


def _summary(lines: list[dict[str, Any]], progress: Progress | None, rich: bool) -> None:
    """The table at the end: one row per task of this run, then the totals."""
    from agentrun.cli.termsafe import safe

    counts: dict[str, int] = {}
    for line in lines:
        counts[str(line.get("status"))] = counts.get(str(line.get("status")), 0) + 1
    cost = sum(
        float(c)
        for c in (line.get("total_cost_usd") for line in lines)
        if isinstance(c, int | float)
    )
    rows = [
        (
            safe(str(line.get("id"))),
            str(line.get("status")),
            str(line.get("num_turns", 0)),
            _stats(line.get("patch_stats")),
            f"{(line.get('duration_ms') or 0) / 1000:.1f}s",
            f"${line['total_cost_usd']:.4f}"
            if isinstance(line.get("total_cost_usd"), int | float)
            else "-",
        )
        for line in lines
    ]
    totals = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing ran"
    extra = []
    if progress is not None and progress.skipped:
        extra.append(f"{progress.skipped} already done")
    if progress is not None and progress.not_started:
        reason = " (budget)" if progress.budget_stopped else ""
        extra.append(f"{progress.not_started} not started{reason}")
    footer = f"{totals}{'; ' + '; '.join(extra) if extra else ''}; total ${cost:.4f}"
    if rich:
        from rich.console import Console
        from rich.table import Table

        table = Table("id", "status", "turns", "change", "time", "cost", title="batch")
        for row in rows:
            table.add_row(*row)
        console = Console(stderr=True)
        console.print(table)
        console.print(footer, markup=False)
        return
    for row in rows:
        print("  ".join(row), file=sys.stderr)
    print(footer, file=sys.stderr)


def _stats(stats: Any) -> str:
    if not isinstance(stats, dict):
        return "-"
    added, removed = stats.get("insertions", 0), stats.get("deletions", 0)
    text = f"{stats.get('files', 0)} files +{added} -{removed}"
    if stats.get("skipped_files"):
        text += f", {stats['skipped_files']} left out"
    if stats.get("omitted_bytes"):
        text += ", patch omitted"
    return text
