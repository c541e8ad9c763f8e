"""One SDK session: an :class:`~agentrun.runner.api.AgentSession` run in a worker thread, its
events turned into the SDK's messages on the program's event loop.

Prompts are answered one at a time, in the order they were sent; each answer's messages end
with its ``ResultMessage``. Building the session (agent, model, MCP servers) and each prompt
run off the event loop, so the program's other tasks go on meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from agentrun.sdk.convert import Converter
from agentrun.sdk.errors import CLIConnectionError, ProcessError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from agentrun.core.events import Event
    from agentrun.core.types import JSON
    from agentrun.runner.api import AgentSession
    from agentrun.runner.keywords import RunKeywords
    from agentrun.sdk.callbacks import Bridge
    from agentrun.sdk.options import ClaudeAgentOptions
    from agentrun.sdk.types import Message

__all__ = ["Driver", "user_content"]


class _End:
    """Marks the end of one prompt's messages (``error``: why it failed, if it did)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def user_content(message: Any) -> str | list[JSON]:
    """The content of a streamed user message (``{"type": "user", "message": {...}}``)."""
    if isinstance(message, dict):
        inner = message.get("message", message)
        if isinstance(inner, dict) and inner.get("role", "user") == "user":
            content = inner.get("content")
            if isinstance(content, (str, list)):
                return content
    raise ProcessError(f"not a user message: {message!r}"[:200], exit_code=2)


class Driver:
    def __init__(self, options: ClaudeAgentOptions) -> None:
        self.options = options
        self.session: AgentSession | None = None
        self.converter = Converter(
            partial=options.include_partial_messages, hook_events=options.include_hook_events
        )
        self._queue: asyncio.Queue[Message | _End] = asyncio.Queue()
        self._turn = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._bridge: Bridge
        self.init: dict[str, Any] | None = None

    async def open(self) -> None:
        from agentrun.core.errors import AgentrunError
        from agentrun.runner.api import AgentSession
        from agentrun.sdk.callbacks import Bridge, approver, hook_commands
        from agentrun.sdk.plan import run_options

        o = self.options
        loop = self._loop = asyncio.get_running_loop()
        kwargs = run_options(o)
        bridge = self._bridge = Bridge(loop)
        if o.hooks:
            kwargs["hook_commands"] = hook_commands(o.hooks, bridge)
        if o.output_format is not None:
            self._structured(kwargs)
        if o.can_use_tool is not None:
            kwargs["approver"] = approver(o.can_use_tool, bridge)

        def build() -> AgentSession:
            return AgentSession(on_event=self._on_event, **kwargs)

        try:
            self.session = await asyncio.to_thread(build)
        except AgentrunError as e:
            raise CLIConnectionError(f"could not start the session: {e}") from e
        for warning in self.session.warnings:
            if o.stderr is not None:
                o.stderr(warning)

    def _structured(self, kwargs: RunKeywords) -> None:
        from agentrun.sdk import structured

        assert self.options.output_format is not None
        schema = structured.schema_of(self.options.output_format)
        converter = self.converter

        def keep(value: Any) -> None:
            converter.structured_output = value

        converter.expect_structured = True
        kwargs["extra_tools"] = (structured.StructuredOutputTool(schema, keep),)
        # An allow rule like any other: a deny rule naming the tool still wins.
        kwargs["allowed_tools"] = (*kwargs["allowed_tools"], structured.NAME)
        append = kwargs.get("append_system_prompt")
        kwargs["append_system_prompt"] = "\n\n".join(filter(None, [append, structured.INSTRUCTION]))

    def _on_event(self, event: Event) -> None:
        """Called in the worker thread, in event order."""
        message = self.converter.convert(event)
        if message is None:
            return
        from agentrun.sdk.types import SystemMessage

        if isinstance(message, SystemMessage) and message.subtype == "init":
            self.init = message.data
        self._loop.call_soon_threadsafe(self._queue.put_nowait, message)

    def send(self, prompt: str | list[JSON]) -> None:
        """Queue ``prompt``; its messages come out of :meth:`messages` after earlier ones'."""
        if self.session is None:
            raise CLIConnectionError("not connected: call connect() first")
        self._loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(self._answer(prompt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, prompt: str | list[JSON]) -> None:
        async with self._turn:
            session = self.session
            if session is None:
                self._queue.put_nowait(_End(CLIConnectionError("disconnected")))
                return
            self.converter.structured_output = None
            self._bridge.resume()
            try:
                await asyncio.to_thread(session.send, prompt)
            except BaseException as e:  # a bug or a failure outside the loop's own results
                self._queue.put_nowait(_End(ProcessError(f"the run failed: {e!r}", exit_code=1)))
                if isinstance(e, asyncio.CancelledError):
                    raise
                return
            # The ResultMessage was queued from the worker before send returned.
            self._queue.put_nowait(_End())

    async def messages(self, *, until_result: bool) -> AsyncIterator[Message]:
        """The messages as they come; with ``until_result``, up to the next prompt's end."""
        while True:
            item = await self._queue.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                if until_result:
                    return
                continue
            yield item

    def interrupt(self) -> None:
        if self.session is not None:
            self.session.interrupt()
            self._bridge.cancel_all()  # a callback still being awaited answers "cancelled"

    async def close(self) -> None:
        session, self.session = self.session, None
        if session is None:
            return
        session.interrupt()  # a prompt still running stops (its tools are killed)
        self._bridge.cancel_all()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):  # its error was reported, or is not wanted
                await task
        await asyncio.to_thread(session.close)
