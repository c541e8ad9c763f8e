"""``query()``: one prompt (or a stream of user messages) in a fresh session, its messages
yielded as they come; the session is closed when the iteration ends, however it ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.sdk.driver import Driver, user_content

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator

    from agentrun.sdk.options import ClaudeAgentOptions
    from agentrun.sdk.types import Message

__all__ = ["query"]


async def query(
    *,
    prompt: str | AsyncIterable[dict[str, Any]],
    options: ClaudeAgentOptions | None = None,
    transport: Any = None,
) -> AsyncIterator[Message]:
    """Answer ``prompt`` and yield every message (``SystemMessage`` init first,
    ``ResultMessage`` last; one init..result run per streamed message)."""
    from agentrun.sdk.options import ClaudeAgentOptions

    if transport is not None:
        from agentrun.sdk.errors import UnsupportedOptionError

        raise UnsupportedOptionError("transport", "agentrun runs the agent in-process")
    driver = Driver(options if options is not None else ClaudeAgentOptions())
    await driver.open()
    try:
        if isinstance(prompt, str):
            driver.send(prompt)
            async for message in driver.messages(until_result=True):
                yield message
            return
        async for item in prompt:
            driver.send(user_content(item))
            async for message in driver.messages(until_result=True):
                yield message
    finally:
        await driver.close()
