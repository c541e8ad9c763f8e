"""What the model is told about WebFetch and WebSearch (Claude Code's names, parameters and
types); the limits the texts quote live with the code that keeps them."""

from __future__ import annotations

from agentrun.core.types import JSON, ToolSpec

WEBFETCH_DESCRIPTION = """\
Fetches a web page and answers a prompt about it.

- Takes a URL and a prompt: the page is downloaded, HTML is turned into Markdown, and a small \
fast model answers the prompt from the page. You get that answer, not the raw page.
- The URL must be a fully-formed http:// or https:// URL; http is upgraded to https. Local \
files are not fetched: use Read.
- Pages on this machine or the local network (localhost, private and link-local addresses) \
are refused unless the user's permission rules name the host.
- When the page redirects to another host you are told the new URL: call WebFetch again with it.
- Pages are cut at 10 MB; results are cached for 15 minutes, so asking again about the same \
URL is fast.
- The prompt should say exactly what to extract or answer from the page."""

WEBFETCH_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "url": {
            "type": "string",
            "format": "uri",
            "description": "The URL to fetch content from",
        },
        "prompt": {
            "type": "string",
            "description": "The prompt to run on the fetched content",
        },
    },
    "required": ["url", "prompt"],
    "additionalProperties": False,
}

WEBSEARCH_DESCRIPTION = """\
Searches the web and returns the results (titles and URLs) with a short summary of what they \
say.

- Use it for information newer than your training or that you cannot find in the workspace.
- allowed_domains keeps only results from those domains; blocked_domains leaves those out \
(give one of them, not both).
- Cite the sources you use: list the relevant URLs as Markdown links after your answer.
- Use the current year in queries about recent events."""

WEBSEARCH_SCHEMA: JSON = {
    "type": "object",
    "properties": {
        "query": {
            "type": "string",
            "minLength": 2,
            "description": "The search query to use",
        },
        "allowed_domains": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Only include search results from these domains",
        },
        "blocked_domains": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Never include search results from these domains",
        },
    },
    "required": ["query"],
    "additionalProperties": False,
}

WEB_SPECS: dict[str, ToolSpec] = {
    "WebFetch": ToolSpec("WebFetch", WEBFETCH_DESCRIPTION, WEBFETCH_SCHEMA),
    "WebSearch": ToolSpec("WebSearch", WEBSEARCH_DESCRIPTION, WEBSEARCH_SCHEMA),
}
