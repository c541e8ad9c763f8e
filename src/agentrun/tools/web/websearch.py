"""The WebSearch tool: the Messages API's server-side web search, run by the session's model.

Claude Code's way: the tool sends the model one request of its own, offering only the API's
``web_search`` tool (:data:`~agentrun.core.webcalls.WEB_SEARCH_TOOL`, with the call's
``allowed_domains`` / ``blocked_domains``, narrowed by the settings' lists: see
:mod:`agentrun.tools.web.searchdomains`); the API runs the searches and answers with
``web_search_tool_result`` blocks and a summary. The tool result lists the links found and the
summary. A model or provider without server-side search (a scripted model without
``web_search`` results, a replay, an API that refuses the tool) gives a clear error result.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from agentrun.core.errors import ModelError
from agentrun.core.types import JSON, ContentBlock, ModelRequest, ToolResult
from agentrun.core.webcalls import WEB_SEARCH_SYSTEM, WEB_SEARCH_TOOL
from agentrun.tools.webspecs import WEBSEARCH_DESCRIPTION, WEBSEARCH_SCHEMA

if TYPE_CHECKING:
    from agentrun.tools.base import ToolContext

MAX_USES = 8
"""The searches one WebSearch call may run (the API's ``max_uses``)."""
SEARCH_MAX_TOKENS = 8_192


def search_tool(allowed: list[str], blocked: list[str]) -> JSON:
    """The ``tools`` entry of the search request."""
    entry: JSON = {"type": WEB_SEARCH_TOOL, "name": "web_search", "max_uses": MAX_USES}
    if allowed:
        entry["allowed_domains"] = allowed
    if blocked:
        entry["blocked_domains"] = blocked
    return entry


class WebSearchTool:
    name = "WebSearch"
    description = WEBSEARCH_DESCRIPTION
    input_schema = WEBSEARCH_SCHEMA
    read_only = True

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        from agentrun.core.pricing import cost_usd

        query = str(input["query"]).strip()
        allowed = _domains(input.get("allowed_domains"))
        blocked = _domains(input.get("blocked_domains"))
        if allowed and blocked:
            return ToolResult(
                "Give allowed_domains or blocked_domains, not both: the search takes one list.",
                is_error=True,
            )
        if len(query) < 2:
            return ToolResult('Parameter "query" must be at least 2 characters long.', True)
        from agentrun.tools.web.searchdomains import plan

        planned = plan(allowed, blocked, ctx.search_domains)
        if planned.refusal is not None:
            return ToolResult(planned.refusal, is_error=True)
        model = ctx.model
        if model is None:
            return ToolResult("WebSearch is not available here: no model to search with.", True)
        request = ModelRequest(
            model=model.model_id,
            system=WEB_SEARCH_SYSTEM,
            messages=[{"role": "user", "content": f"Perform a web search for the query: {query}"}],
            max_tokens=SEARCH_MAX_TOKENS,
            # Passed through as the request's `tools`: a server tool, not one agentrun runs.
            extra={"tools": [search_tool(planned.allowed, planned.blocked)]},
        )
        try:
            response = model.complete(request)
        except ModelError as e:
            return ToolResult(f"Web search is not available with this model: {e}", True)
        usage, cost = response.usage, cost_usd(model.model_id, response.usage)
        results = [b for b in response.content if b.get("type") == "web_search_tool_result"]
        if not results:
            return ToolResult(
                f"Web search is not available with this model ({model.model_id or 'unknown'}): "
                "it answered without running a search.",
                is_error=True,
                usage=usage,
                cost_usd=cost,
            )
        links, errors = _links(results)
        summary = response.text()
        kept = [link for link in links if not _host_under(link["url"], planned.filtered)]
        if len(kept) < len(links):
            # The summary was written from the dropped results too: it goes with them.
            links, summary = (
                kept,
                (
                    f"(Results from {', '.join(planned.filtered)} were left out, blocked by the "
                    "settings, and the summary with them.)"
                ),
            )
        if errors and not links:
            return ToolResult(
                f"Web search failed: {', '.join(errors)}.",
                is_error=True,
                usage=usage,
                cost_usd=cost,
            )
        text = render(query, links, summary)
        if planned.dropped:
            skipped = ", ".join(planned.dropped)
            text = f"Not searched (not allowed by the settings): {skipped}\n\n{text}"
        return ToolResult(text, usage=usage, cost_usd=cost)


def render(query: str, links: list[JSON], summary: str) -> str:
    """What the model reads: Claude Code's layout (the query, the links as JSON, the summary)."""
    parts = [f'Web search results for query: "{query}"', f"Links: {json.dumps(links)}"]
    if summary.strip():
        parts.append(summary.strip())
    return "\n\n".join(parts)


def _links(blocks: list[ContentBlock]) -> tuple[list[JSON], list[str]]:
    links: list[JSON] = []
    errors: list[str] = []
    for block in blocks:
        content = block.get("content")
        if isinstance(content, dict):  # {"type": "web_search_tool_result_error", ...}
            errors.append(str(content.get("error_code", "unknown error")))
            continue
        for item in content if isinstance(content, list) else []:
            if isinstance(item, dict) and item.get("url"):
                links.append({"title": str(item.get("title", "")), "url": str(item["url"])})
    return links, errors


def _host_under(url: str, domains: list[str]) -> bool:
    from agentrun.core.hosts import url_host
    from agentrun.core.webcalls import under

    host = url_host(url) or ""
    return any(under(host, d) for d in domains)


def _domains(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(d).strip() for d in value if str(d).strip()]
