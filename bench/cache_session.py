"""Child process of bench/run: a 30-turn session through the fake Messages API server.

The real ``anthropic`` SDK talks HTTP to ``FakeAnthropicServer``, which computes cache reads and
writes from the request's ``cache_control`` breakpoints and prefix equality, as the real API
does. Prints the summed usage as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()

    from agentrun.runner.api import run
    from agentrun.testing.fake_server import FakeAnthropicServer

    ws = Path(tempfile.mkdtemp(prefix="agentrun-bench-cache-"))
    home = Path(tempfile.mkdtemp(prefix="agentrun-bench-cache-home-"))
    for i in range(args.turns):
        (ws / f"module_{i:02d}.py").write_text(f"def handler_{i}():\n    return {i}\n" * 40)
    replies: list[dict[str, object]] = []
    for i in range(args.turns - 1):
        call = {
            "type": "tool_use",
            "id": f"toolu_{i:03d}",
            "name": "Read",
            "input": {"file_path": f"module_{i:02d}.py"},
        }
        replies.append({"content": [{"type": "text", "text": f"Reading {i}."}, call]})
    replies.append({"content": [{"type": "text", "text": "All read."}]})
    os.environ.update({"ANTHROPIC_API_KEY": "sk-ant-bench-not-a-key", "AGENTRUN_HOME": str(home)})
    try:
        with FakeAnthropicServer(replies) as server:
            os.environ["ANTHROPIC_BASE_URL"] = server.url
            result = run("Read every module.", cwd=ws, model="sonnet", max_turns=args.turns + 2)
    finally:
        shutil.rmtree(ws, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    if result.is_error:
        raise SystemExit(f"run failed: {result.subtype}: {result.result}")
    u = result.usage
    print(
        json.dumps(
            {
                "turns": result.num_turns,
                "cache_read": u.cache_read_input_tokens,
                "cache_write": u.cache_creation_input_tokens,
                "uncached": u.input_tokens,
                "total_input": u.total_input_tokens,
            }
        )
    )


if __name__ == "__main__":
    main()
