"""Inline subagents, then structured output."""

import asyncio

from agentrun.sdk import AgentDefinition, ClaudeAgentOptions, ResultMessage, query


async def main() -> None:
    options = ClaudeAgentOptions(
        agents={
            "code-reviewer": AgentDefinition(
                description="Reviews code for quality",
                prompt="You are a code reviewer.",
                tools=["Read", "Grep"],
                model="sonnet",
            )
        },
        allowed_tools=["Read", "Grep", "Task"],
    )
    async for message in query(prompt="Use the code-reviewer agent on app.py", options=options):
        if isinstance(message, ResultMessage):
            print(f"review: {message.result}")

    schema = {
        "type": "object",
        "properties": {"functions": {"type": "array", "items": {"type": "string"}}},
        "required": ["functions"],
    }
    options = ClaudeAgentOptions(output_format={"type": "json_schema", "schema": schema})
    async for message in query(prompt="List the functions in app.py", options=options):
        if isinstance(message, ResultMessage):
            print(f"structured: {message.structured_output}")


asyncio.run(main())
