"""A fetched body as text for the model: HTML turned into Markdown, other text as it is.

HTML goes through ``html2text`` (links kept, relative ones made absolute against the page's
URL; scripts and styles dropped; no line wrapping) in a child process killed at a time budget,
with a linear tag stripper as the fallback (:mod:`agentrun.tools.web.htmlconvert`). The body is
decoded only with a charset whose decoding is linear; any other reads as UTF-8. Text types pass
as they are; binary types (images, PDFs, archives) are refused with a message. The result is
cut at :data:`MAX_MARKDOWN_CHARS`, as much as the small model is given.
"""

from __future__ import annotations

import codecs
from email.message import Message

MAX_MARKDOWN_CHARS = 100_000
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
    text = body.decode(_safe_charset(charset), errors="replace")
    cut = False
    if kind in _HTML or sniffed_html:
        from agentrun.tools.web.htmlconvert import html_to_markdown

        text, cut = html_to_markdown(text, url, MAX_MARKDOWN_CHARS)
    text = text.strip()
    if cut or len(text) > MAX_MARKDOWN_CHARS:
        text = text[:MAX_MARKDOWN_CHARS] + "\n\n[Content cut: the page is longer than this.]"
    return text


# The charsets a page may name: text codecs whose decoding is linear in the body. Any other
# name (punycode is super-linear: 1 MB takes half a minute; idna raises) reads as UTF-8.
_SAFE_CHARSETS = frozenset(
    {
        *("utf-8", "utf-8-sig", "ascii", "utf-16", "utf-16-le", "utf-16-be"),
        *("utf-32", "utf-32-le", "utf-32-be", "iso8859-1", "koi8-r", "koi8-u", "mac-roman"),
        *(f"iso8859-{n}" for n in range(2, 17)),
        *(f"cp125{n}" for n in range(9)),
        *("cp874", "cp932", "cp949", "cp950", "shift_jis", "euc_jp", "euc_kr", "gb2312"),
        *("gbk", "gb18030", "big5", "big5hkscs", "iso2022_jp", "iso2022_kr"),
    }
)


def _safe_charset(name: str) -> str:
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):  # an unknown or malformed charset name
        return "utf-8"
    return codec if codec in _SAFE_CHARSETS else "utf-8"
