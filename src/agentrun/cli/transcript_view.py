"""A saved conversation rendered for people: ``agentrun sessions show`` and the exchanges a
resumed interactive session shows before its prompt.

It looks like the live screen (:mod:`agentrun.cli.render`): ``❯`` before each prompt, the answers'
text, one ``●`` line per tool call with a short preview of its result. Edits show no diff here:
the file has changed since, and the transcript keeps only the call's strings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from agentrun.cli.render import PREVIEW_LINES, key_argument, markdown
from agentrun.cli.termsafe import safe
from agentrun.core.types import ToolCall, block_text

if TYPE_CHECKING:
    from rich.console import Console

    from agentrun.core.types import Message

__all__ = ["exchanges", "render_messages"]


def exchanges(messages: list[Message]) -> list[list[Message]]:
    """The conversation cut into exchanges: each starts at a user message that is a prompt
    (not only tool results) and runs up to the next one."""
    out: list[list[Message]] = []
    for message in messages:
        if (message["role"] == "user" and _prompt_text(message)) or not out:
            out.append([])
        out[-1].append(message)
    return out


def render_messages(
    console: Console, messages: list[Message], *, cwd: Path | None = None, last: int | None = None
) -> int:
    """Print the conversation (or its ``last`` exchanges); returns how many were left out."""
    parts = exchanges(messages)
    skipped = 0 if last is None else max(0, len(parts) - last)
    if skipped:
        console.print(Text(f"… {skipped} earlier exchange{'s' * (skipped != 1)}", style="dim"))
    calls: dict[str, ToolCall] = {}
    for part in parts[skipped:]:
        for message in part:
            _message(console, message, calls, cwd)
    return skipped


def _prompt_text(message: Message) -> str:
    # One line per block: the replay shows a prompt's blocks as the user wrote them.
    return block_text(message["content"], sep="\n")


def _message(
    console: Console, message: Message, calls: dict[str, ToolCall], cwd: Path | None
) -> None:
    content: Any = message["content"]
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
    if message["role"] == "user":
        for block in blocks:
            if block.get("type") == "tool_result":
                _result(console, block, calls.get(str(block.get("tool_use_id"))))
        prompt = _prompt_text(message)
        if prompt:
            console.print(Text.assemble(("❯ ", "bold cyan"), safe(prompt)))
        return
    for block in blocks:
        if block.get("type") == "text" and str(block.get("text", "")).strip():
            console.print(markdown(safe(str(block["text"]))))
        elif block.get("type") == "tool_use":
            tool_input = block.get("input")
            call = ToolCall(
                id=str(block.get("id")),
                name=str(block.get("name")),
                input=dict(tool_input) if isinstance(tool_input, dict) else {},
            )
            calls[call.id] = call
            line = Text("● ", style="green")
            line.append(call.name, style="bold")
            line.append(f"({key_argument(call, cwd)})")
            console.print(line)


def _result(console: Console, block: dict[str, Any], call: ToolCall | None) -> None:
    # Blocks on separate lines, so the preview does not run one block into the next.
    lines = safe(block_text(block.get("content", ""), sep="\n")).splitlines() or ["(no output)"]
    shown = [line.expandtabs(4).rstrip()[:100] for line in lines[:PREVIEW_LINES]]
    if len(lines) > PREVIEW_LINES:
        shown.append(f"… +{len(lines) - PREVIEW_LINES} lines")
    if call is not None and call.name == "Read" and not block.get("is_error"):
        shown = [f"Read {len(lines)} line{'s' * (len(lines) != 1)}"]
    body = "\n".join(("  ⎿  " if i == 0 else "     ") + s for i, s in enumerate(shown))
    console.print(Text(body, style="red" if block.get("is_error") else "dim"))
