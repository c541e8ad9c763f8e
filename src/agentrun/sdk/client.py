"""``ClaudeSDKClient``: a conversation the program drives — several prompts in one session
(context kept), messages as they stream, ``interrupt()``, mode and model changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.sdk.driver import Driver, user_content
from agentrun.sdk.errors import CLIConnectionError

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, AsyncIterator

    from agentrun.sdk.options import ClaudeAgentOptions
    from agentrun.sdk.types import Message

__all__ = ["ClaudeSDKClient"]


class ClaudeSDKClient:
    """Use as ``async with ClaudeSDKClient(options) as client:`` (or ``connect()`` /
    ``disconnect()``). ``transport`` must be None: agentrun runs the agent in-process."""

    def __init__(self, options: ClaudeAgentOptions | None = None, transport: Any = None) -> None:
        from agentrun.sdk.options import ClaudeAgentOptions

        if transport is not None:
            from agentrun.sdk.errors import UnsupportedOptionError

            raise UnsupportedOptionError("transport", "agentrun runs the agent in-process")
        self.options = options if options is not None else ClaudeAgentOptions()
        self._driver: Driver | None = None

    def _connected(self) -> Driver:
        if self._driver is None or self._driver.session is None:
            raise CLIConnectionError("Not connected. Call connect() first.")
        return self._driver

    async def connect(self, prompt: str | AsyncIterable[dict[str, Any]] | None = None) -> None:
        if self._driver is not None:
            return
        driver = Driver(self.options)
        await driver.open()
        self._driver = driver
        if prompt is not None:
            await self.query(prompt)

    async def query(
        self, prompt: str | AsyncIterable[dict[str, Any]], session_id: str = "default"
    ) -> None:
        """Send a prompt (or each message of a stream); read the answers with
        :meth:`receive_response` / :meth:`receive_messages`. ``session_id`` is accepted for
        the SDK's signature; the conversation is this client's one session."""
        driver = self._connected()
        if isinstance(prompt, str):
            driver.send(prompt)
            return
        async for message in prompt:
            driver.send(user_content(message))

    async def receive_messages(self) -> AsyncIterator[Message]:
        """Every message, as it comes, until the client disconnects."""
        async for message in self._connected().messages(until_result=False):
            yield message

    async def receive_response(self) -> AsyncIterator[Message]:
        """The messages of the next answer, up to and including its ``ResultMessage``."""
        async for message in self._connected().messages(until_result=True):
            yield message

    async def interrupt(self) -> None:
        """Stop the answer in progress: running tools are killed, and its ``ResultMessage``
        says ``error_during_execution`` with stop_reason ``interrupted``."""
        self._connected().interrupt()

    async def set_permission_mode(self, mode: str) -> None:
        session = self._connected().session
        assert session is not None
        session.set_permission_mode(mode)

    async def set_model(self, model: str | None = None) -> None:
        import asyncio

        session = self._connected().session
        assert session is not None
        await asyncio.to_thread(session.set_model, model)

    async def get_server_info(self) -> dict[str, Any] | None:
        """The session's init data (tools, model, permission mode, sandbox, MCP servers);
        None before the first prompt."""
        return self._connected().init

    async def disconnect(self) -> None:
        driver, self._driver = self._driver, None
        if driver is not None:
            await driver.close()

    async def __aenter__(self) -> ClaudeSDKClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> bool:
        await self.disconnect()
        return False
