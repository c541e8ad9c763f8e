"""A URL's host in one spelling, so that a permission rule and a fetch compare the same thing.

IPv4 literals in every form the C library's resolver accepts (``2130706433``, ``0x7f000001``,
``0177.0.0.1``, ``127.1``) become dotted quads, IPv6 literals their compressed form, names lower
case without a trailing dot.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)")


def url_host(url: str) -> str | None:
    """The canonical host of ``url`` (None when it has none or cannot be parsed)."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return canonical_host(host) if host else None


def canonical_host(host: str) -> str:
    """``host`` (a URL's hostname, brackets removed) in the spelling rules are compared in."""
    host = host.strip().lower().rstrip(".")
    address = parse_ip(host)
    if address is not None:
        return str(address)
    if not host.isascii():
        try:  # an internationalised name: compared (and resolved) in its ASCII form
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return host
    return host


def parse_ip(host: str) -> IPAddress | None:
    """The address ``host`` spells, in any of the forms a resolver accepts; None for a name."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0] if ":" in host else host)
    except ValueError:
        pass
    return _inet_aton(host)


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """The C library's reading of an IPv4 literal: 1 to 4 parts, each decimal, octal (leading
    0) or hex (0x); the last part fills the remaining bytes."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER.fullmatch(p) for p in parts):
        return None
    try:
        values = [
            int(p, 16) if p[:2] in ("0x", "0X") else int(p, 8 if p[0] == "0" else 10) for p in parts
        ]
    except ValueError:  # "0x" alone
        return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number << 8 | v
    return ipaddress.IPv4Address(number << 8 * (4 - len(head)) | last)
