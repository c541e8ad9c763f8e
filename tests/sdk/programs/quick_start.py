"""A one-shot question, then a question with options and a tool."""

import anyio

from agentrun.sdk import AssistantMessage, ClaudeAgentOptions, ResultMessage, TextBlock, query


async def main() -> None:
    async for message in query(prompt="What is 2 + 2?"):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")

    options = ClaudeAgentOptions(
        system_prompt="You answer briefly.", allowed_tools=["Read"], max_turns=3
    )
    async for message in query(prompt="What does notes.txt say?", options=options):
        if isinstance(message, ResultMessage):
            print(f"result: {message.result} ({message.num_turns} turns, {message.subtype})")


anyio.run(main)
