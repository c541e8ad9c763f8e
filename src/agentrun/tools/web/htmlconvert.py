"""HTML to Markdown with ``html2text``, run in a child process the runtime can kill.

``html2text`` (Python's ``html.parser`` under it) is super-linear on hostile HTML: 200 KB of
``<x`` or of ``<!--`` takes a minute, all of it inside one ``feed()`` call that no budget
checked between calls can stop. So the conversion runs in a fresh interpreter (started only when
a page is HTML) that is killed at :data:`CONVERT_BUDGET_S`; the page is then read with
:func:`plain_text`, a linear tag stripper. Run as ``python -m agentrun.tools.web.htmlconvert
URL``: HTML in on stdin (UTF-8), ``1``/``0`` (cut or not) and a newline, then the Markdown, out.
"""

from __future__ import annotations

import html
import subprocess
import sys

CONVERT_BUDGET_S = 10.0
"""The most time spent turning one page into Markdown; a slower page is read as plain text."""
_FEED_CHARS = 32_768
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def html_to_markdown(page: str, url: str, limit: int) -> tuple[str, bool]:
    """The Markdown of ``page`` (stopped past ``limit`` characters; also says whether it
    stopped early), or its plain text when the conversion takes longer than the budget."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, url, str(limit)],
            input=page.encode("utf-8", errors="replace"),
            capture_output=True,
            timeout=CONVERT_BUDGET_S,
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError):  # run() has killed and reaped the child
        return plain_text(page, limit)
    flag, _, markdown = done.stdout.partition(b"\n")
    if done.returncode != 0 or flag not in (b"0", b"1"):
        return plain_text(page, limit)
    return markdown.decode("utf-8", errors="replace"), flag == b"1"


def plain_text(page: str, limit: int) -> tuple[str, bool]:
    """The text of ``page`` with tags, comments, scripts and styles removed, in one pass
    (linear in the page: each ``<`` is matched with one search forward, and a construct that
    never ends ends the text)."""
    low = page.translate(_ASCII_LOWER)  # same length as the page, unlike str.lower()
    out: list[str] = []
    size = 0
    at = 0
    end = len(page)
    while at < end and size <= limit:
        lt = page.find("<", at)
        piece = page[at : end if lt < 0 else lt]
        out.append(piece)
        size += len(piece)
        if lt < 0:
            break
        closer, skip_to = ">", ""
        if page.startswith("<!--", lt):
            closer = "-->"
        elif page.startswith("<![CDATA[", lt):
            closer = "]]>"
        else:
            name = low[lt + 1 : lt + 8]
            for tag in ("script", "style"):
                if name.startswith(tag) and not name[len(tag) : len(tag) + 1].isalnum():
                    skip_to = f"</{tag}"
        gt = page.find(closer, lt + 1)
        if gt < 0:
            break
        at = gt + len(closer)
        if skip_to:
            close = low.find(skip_to, at)
            if close < 0:
                break
            gt = page.find(">", close)
            if gt < 0:
                break
            at = gt + 1
        out.append(" ")
    text = " ".join(html.unescape("".join(out)).split())
    return text[:limit], len(text) > limit


def _convert(page: str, url: str, limit: int) -> tuple[str, bool]:
    import html2text

    converter = html2text.HTML2Text(baseurl=url)
    converter.body_width = 0
    converter.ignore_images = False
    converter.unicode_snob = True
    # HTML2Text.handle() is feed() + finish(); fed in pieces here so it can stop early.
    converter.start = True
    cut = False
    for start in range(0, len(page), _FEED_CHARS):
        converter.feed(page[start : start + _FEED_CHARS])
        if sum(map(len, converter.outtextlist)) > limit:
            cut = start + _FEED_CHARS < len(page)
            break
    converter.feed("")
    return converter.optwrap(converter.finish()), cut


def main() -> None:
    url, limit = sys.argv[1], int(sys.argv[2])
    page = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    markdown, cut = _convert(page, url, limit)
    sys.stdout.buffer.write(b"1\n" if cut else b"0\n")
    sys.stdout.buffer.write(markdown.encode("utf-8", errors="replace"))


if __name__ == "__main__":
    main()
