"""BashOutput and KillShell: the model's handle on the Bash tool's background jobs.

BashOutput shows what a job wrote since the previous look (see :mod:`agentrun.tools.joblog`
for why the log is never reopened by name) with the job's status; its ``filter`` is a user
regex, so it runs in ``rg`` over the new bytes on stdin, never in Python's ``re`` (a
backtracking pattern would hang the session). KillShell kills a job's whole process tree
through the sandbox's own kill, which reaches every process the job started in the jail.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from agentrun.core.types import JSON, ToolResult
from agentrun.tools.nbspecs import (
    BASH_OUTPUT_DESCRIPTION,
    BASH_OUTPUT_SCHEMA,
    KILL_SHELL_DESCRIPTION,
    KILL_SHELL_SCHEMA,
)
from agentrun.tools.output import OutputBuffer

if TYPE_CHECKING:
    from agentrun.core.toolcontext import BackgroundTasks
    from agentrun.tools.background import BackgroundJob, BackgroundJobs
    from agentrun.tools.base import ToolContext

FILTER_BYTES = 8 << 20
"""A filtered read searches at most this much of the newest output (the rest is skipped)."""
FILTER_TIMEOUT_S = 30.0
MAX_FILTER_CHARS = 10_000
_TRAILER = "\n[agentrun: background job exited with code "


def _jobs(ctx: ToolContext) -> BackgroundJobs | None:
    shell = ctx.shell
    return shell.jobs if shell is not None else None


def find_job(
    ctx: ToolContext, job_id: object, key: str, agents: BackgroundTasks | None = None
) -> BackgroundJob | ToolResult:
    """The background job ``job_id`` names, or the error result saying which ones exist (the
    background ``agents`` too, for the tools that also take an agent's id)."""
    if not isinstance(job_id, str) or not job_id.strip():
        return ToolResult(f"{key} must be the id of a background job, like bash_1.", True)
    jobs = _jobs(ctx)
    job = jobs.get(job_id.strip()) if jobs is not None else None
    if job is None:
        ids = [j.id for j in jobs.jobs] if jobs is not None else []
        ids += agents.ids if agents is not None else []
        known = ", ".join(ids)
        where = f"The background jobs are: {known}." if known else "No job was started."
        return ToolResult(
            f"No background job with id {job_id!r}. {where} Start one with Bash and "
            "run_in_background: true; its result gives the id.",
            True,
        )
    return job


def _text(data: bytes) -> str:
    buffer = OutputBuffer()
    buffer.feed(data)
    return buffer.text()


class BashOutputTool:
    """Claude Code's BashOutput (see the module docstring)."""

    name = "BashOutput"
    description = BASH_OUTPUT_DESCRIPTION
    input_schema = BASH_OUTPUT_SCHEMA
    read_only = True

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        pattern = input.get("filter")
        if pattern is not None and not isinstance(pattern, str):
            return ToolResult("filter must be a string: a regular expression.", True)
        if pattern is not None and "\0" in pattern:
            return ToolResult("filter must not contain a NUL character.", True)
        if pattern is not None and len(pattern) > MAX_FILTER_CHARS:
            return ToolResult(f"filter is over {MAX_FILTER_CHARS:,} characters; shorten it.", True)
        job = find_job(ctx, input.get("bash_id"), "bash_id")
        if isinstance(job, ToolResult):
            return job
        # The status first: output read after it is complete for a job found ended.
        status, code = job.status()
        if pattern:
            output = self._filtered(job, pattern)
            if isinstance(output, ToolResult):
                return output
        else:
            new = job.log.read_new()
            output = _text(new.head)
            if new.skipped:
                output += f"\n\n[... {new.skipped:,} bytes of output skipped here ...]\n\n"
                output += _text(new.tail)
        if status != "running":
            output = _drop_trailer(output)
        parts = [f"<status>{status}</status>"]
        if status == "completed" and code is not None:
            parts.append(f"<exit_code>{code}</exit_code>")
        shown = output if output else "(no new output)"
        parts.append(f"<output>\n{shown.rstrip(chr(10))}\n</output>")
        return ToolResult("\n\n".join(parts))

    @staticmethod
    def _filtered(job: BackgroundJob, pattern: str) -> str | ToolResult:
        from agentrun.tools.rg import MISSING_RG, rg_binary

        rg = rg_binary()
        if rg is None:
            return ToolResult(MISSING_RG, True)
        data, skipped = job.log.read_range_new(FILTER_BYTES)
        argv = [rg, "--no-config", "--color", "never", "--text", "--no-line-number"]
        try:
            done = subprocess.run(
                [*argv, "-e", pattern, "-"],
                input=data,
                capture_output=True,
                timeout=FILTER_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return ToolResult(
                f"The filter took over {FILTER_TIMEOUT_S:.0f} s and was stopped; the new "
                "output was skipped. Use a simpler pattern.",
                True,
            )
        if done.returncode == 2:
            reason = done.stderr.decode(errors="replace").strip()
            return ToolResult(
                f"filter is not a valid regular expression ({reason}). The new output was skipped.",
                True,
            )
        note = f"[{skipped:,} bytes of earlier output were not searched]\n" if skipped else ""
        return note + _text(done.stdout)


def _drop_trailer(output: str) -> str:
    """The output without the log's last ``[agentrun: ... exited with code N]`` line (the
    status and exit code say it)."""
    body, found, rest = output.rpartition(_TRAILER)
    if found and rest.rstrip("\n").removesuffix("]").lstrip("-").isdigit():
        return body
    return output


class KillShellTool:
    """Claude Code's KillShell (also called by its old name, KillBash)."""

    name = "KillShell"
    description = KILL_SHELL_DESCRIPTION
    input_schema = KILL_SHELL_SCHEMA
    read_only = False

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        shell_id = input.get("shell_id")
        agents = ctx.background
        if agents is not None and isinstance(shell_id, str):
            agent = agents.get(shell_id.strip())
            if agent is not None:
                if not agents.kill(agent.id):
                    return ToolResult(
                        f"Background agent {agent.id} had already ended ({agent.status}); "
                        "nothing was running to stop. TaskOutput reads its result.",
                        True,
                    )
                return ToolResult(
                    f"Stopped background agent {agent.id} ({agent.description}); its "
                    "notification (status killed) follows."
                )
        job = find_job(ctx, shell_id, "shell_id", agents=agents)
        if isinstance(job, ToolResult):
            return job
        jobs = _jobs(ctx)
        assert jobs is not None  # find_job found the job among them
        status, code = job.status()
        if not jobs.kill(job):
            ended = "was already killed" if status == "killed" else "had already ended"
            if status == "completed" and code is not None:
                ended += f" (exit code {code})"
            return ToolResult(
                f"Background job {job.id} {ended}; nothing was running to kill. "
                "Its output stays readable with BashOutput.",
                True,
            )
        command = job.command if len(job.command) <= 200 else job.command[:200] + "…"
        return ToolResult(
            f"Killed background job {job.id} ({command}) and every process it started."
        )
