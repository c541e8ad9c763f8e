"""A fetched body as text for the model: HTML turned into Markdown, other text as it is.

HTML goes through ``html2text`` (links kept, relative ones made absolute against the page's
URL; scripts and styles dropped; no line wrapping). Text types pass as they are; binary types
(images, PDFs, archives) are refused with a message. The result is cut at
:data:`MAX_MARKDOWN_CHARS`, as much as the small model is given.
"""

from __future__ import annotations

import time
from email.message import Message

MAX_MARKDOWN_CHARS = 100_000
CONVERT_BUDGET_S = 10.0
"""The most time spent turning one page into Markdown; the rest of a slower page is cut."""
_FEED_CHARS = 32_768
_HTML = ("text/html", "application/xhtml+xml")
_TEXT_EXTRA = ("application/json", "application/xml", "application/javascript", "+json", "+xml")


class NotTextError(Exception):
    """The body is not text a model can read; the text says what it is."""


def to_markdown(body: bytes, content_type: str, *, url: str) -> str:
    """``body`` as Markdown (HTML) or plain text, at most :data:`MAX_MARKDOWN_CHARS`."""
    header = Message()
    header["Content-Type"] = content_type or "application/octet-stream"
    kind = header.get_content_type().lower()
    charset = header.get_content_charset() or "utf-8"
    sniffed_html = not content_type and body.lstrip()[:15].lower().startswith(
        (b"<!doctype", b"<html")
    )
    if not (kind.startswith("text/") or kind.endswith(_TEXT_EXTRA) or sniffed_html):
        raise NotTextError(
            f"The page is {kind} content, not text; WebFetch reads text and HTML only."
        )
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        text = body.decode("utf-8", errors="replace")
    cut = False
    if kind in _HTML or sniffed_html:
        text, cut = _html_to_markdown(text, url)
    text = text.strip()
    if cut or len(text) > MAX_MARKDOWN_CHARS:
        text = text[:MAX_MARKDOWN_CHARS] + "\n\n[Content cut: the page is longer than this.]"
    return text


def _html_to_markdown(html: str, url: str) -> tuple[str, bool]:
    """The Markdown of ``html``, converted piece by piece and stopped once there is more than
    the model is given, or the time budget is spent (a 10 MB page converts in minutes: only
    its start is ever read). Also says whether it stopped early."""
    import html2text  # imported at the first HTML page only

    converter = html2text.HTML2Text(baseurl=url)
    converter.body_width = 0
    converter.ignore_images = False
    converter.unicode_snob = True
    # HTML2Text.handle() is feed() + finish(); fed in pieces here so it can stop early.
    converter.start = True
    started = time.monotonic()
    cut = False
    for start in range(0, len(html), _FEED_CHARS):
        converter.feed(html[start : start + _FEED_CHARS])
        out = sum(map(len, converter.outtextlist))
        if out > MAX_MARKDOWN_CHARS or time.monotonic() - started > CONVERT_BUDGET_S:
            cut = start + _FEED_CHARS < len(html)
            break
    converter.feed("")
    return converter.optwrap(converter.finish()), cut
