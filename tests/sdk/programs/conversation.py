"""A conversation with follow-ups, a permission callback and a hook."""

import asyncio
from typing import Any

from agentrun.sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookContext,
    HookMatcher,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    TextBlock,
    ToolPermissionContext,
)


async def check_bash(
    input_data: dict[str, Any], tool_use_id: str | None, context: HookContext
) -> dict[str, Any]:
    command = input_data["tool_input"].get("command", "")
    if "rm -rf" in command:
        return {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": "dangerous command",
            }
        }
    return {}


async def permissions(
    tool_name: str, input_data: dict[str, Any], context: ToolPermissionContext
) -> PermissionResultAllow | PermissionResultDeny:
    if tool_name == "Write" and input_data["file_path"].endswith(".env"):
        return PermissionResultDeny(message="No writing .env files")
    if tool_name == "Write":
        return PermissionResultAllow(
            updated_input={**input_data, "file_path": "safe/" + input_data["file_path"]}
        )
    return PermissionResultAllow()


async def main() -> None:
    options = ClaudeAgentOptions(
        can_use_tool=permissions,
        hooks={"PreToolUse": [HookMatcher(matcher="Bash", hooks=[check_bash])]},
    )
    async with ClaudeSDKClient(options=options) as client:
        for prompt in ("Clean the workspace", "Write the config files"):
            await client.query(prompt)
            async for message in client.receive_response():
                if isinstance(message, AssistantMessage):
                    for block in message.content:
                        if isinstance(block, TextBlock):
                            print(f"Claude: {block.text}")
                elif isinstance(message, ResultMessage):
                    print(
                        f"done: {message.subtype}, denials={len(message.permission_denials or [])}"
                    )


asyncio.run(main())
