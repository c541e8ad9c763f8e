"""How a scripted model answers the web tools' own requests (they use no turn).

- WebFetch's page question: the script's top-level ``web_fetch`` text, else the question
  itself (the page as Markdown, then the prompt), so a later turn's ``expect`` can check what
  the page said.
- WebSearch: the script's top-level ``web_search`` results (``[{title, url}]``), kept or left
  out by the request's ``allowed_domains`` / ``blocked_domains`` like the API does, as
  ``server_tool_use`` + ``web_search_tool_result`` blocks and a one-line summary; a script
  without ``web_search`` cannot search (a :class:`ModelError`, as from a provider without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentrun.core.errors import ModelError
from agentrun.core.hosts import url_host
from agentrun.core.types import JSON, ContentBlock, ModelResponse, Usage, block_text

if TYPE_CHECKING:
    from agentrun.core.types import ModelRequest
    from agentrun.core.webcalls import WebCall


def web_answer(
    call: WebCall,
    request: ModelRequest,
    *,
    fetch_text: str | None,
    results: Sequence[JSON] | None,
    model: str,
    number: int,
) -> ModelResponse:
    """The response to web request ``number`` (for unique ids) of kind ``call``."""
    question = _last_text(request)
    if call == "web_fetch":
        text = fetch_text if fetch_text is not None else question
        return _response([{"type": "text", "text": text}], question, text, model)
    if results is None:
        raise ModelError(
            "the scripted model cannot search the web: the script has no top-level "
            "'web_search' results"
        )
    tool = next((t for t in request.extra.get("tools", []) if isinstance(t, dict)), {})
    allowed, blocked = tool.get("allowed_domains") or [], tool.get("blocked_domains") or []
    kept = [
        r
        for r in results
        if (not allowed or _under(r["url"], allowed)) and not _under(r["url"], blocked)
    ]
    query = question.removeprefix("Perform a web search for the query: ")
    use_id = f"srvtoolu_script_web_{number:03d}"
    summary = f"Found {len(kept)} result(s) for {query!r}."
    content: list[ContentBlock] = [
        {"type": "server_tool_use", "id": use_id, "name": "web_search", "input": {"query": query}},
        {
            "type": "web_search_tool_result",
            "tool_use_id": use_id,
            "content": [
                {"type": "web_search_result", "title": r["title"], "url": r["url"]} for r in kept
            ],
        },
        {"type": "text", "text": summary},
    ]
    return _response(content, question, summary, model)


def check_results(value: object) -> str | None:
    """What is wrong with a script's ``web_search`` value (None: a list of {title, url})."""
    if not isinstance(value, list):
        return "'web_search' must be a list of {title, url} results"
    for item in value:
        if not (
            isinstance(item, dict)
            and set(item) <= {"title", "url"}
            and all(isinstance(item.get(k), str) for k in ("title", "url"))
        ):
            return "each 'web_search' result must be {title: TEXT, url: TEXT}"
    return None


def _under(url: str, domains: Sequence[str]) -> bool:
    host = url_host(url) or ""
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in domains)


def _last_text(request: ModelRequest) -> str:
    return block_text(request.messages[-1]["content"] if request.messages else "")


def _response(content: list[ContentBlock], asked: str, said: str, model: str) -> ModelResponse:
    usage = Usage(input_tokens=len(asked) // 4 + 1, output_tokens=len(said) // 4 + 1)
    return ModelResponse(content=content, stop_reason="end_turn", usage=usage, model=model)
