"""A URL's host in one spelling, so that a permission rule and a fetch compare the same thing.

IPv4 literals in every form the C library's resolver accepts (``2130706433``, ``0x7f000001``,
``0177.0.0.1``, ``127.1``) become dotted quads, IPv6 literals their compressed form, names lower
case without a trailing dot. An IPv6 literal that is an IPv4 address in another spelling
(mapped ``::ffff:a.b.c.d``, translated ``::ffff:0:a.b.c.d``) becomes that IPv4 address, so a rule
on the IPv4 address covers it. A host with characters no host name has (``*``, spaces, ``_``
is allowed) has no canonical form: :func:`url_host` gives None for it.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)")
_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_COMPAT = ipaddress.IPv6Network("::/96")


def url_host(url: str) -> str | None:
    """The canonical host of ``url`` (None when it has none or cannot be parsed)."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    try:
        canonical = canonical_host(host)
    except UnicodeError:
        return None
    return canonical if valid_host(canonical) else None


def valid_host(host: str) -> bool:
    """Whether the canonical ``host`` is an IP address or a name made of host-name characters
    (a ``*`` or a space in it is no host: never fetched, never granted)."""
    return parse_ip(host) is not None or _NAME.fullmatch(host) is not None


def canonical_host(host: str) -> str:
    """``host`` (a URL's hostname, brackets removed) in the spelling rules are compared in.
    Raises UnicodeError for a non-ASCII name that has no ASCII form."""
    host = host.strip().lower().rstrip(".")
    address = parse_ip(host)
    if address is not None:
        return str(plain_ip(address))
    if not host.isascii():  # an internationalised name: compared (and resolved) in ASCII
        return host.encode("idna").decode("ascii")
    return host


def plain_ip(address: IPAddress) -> IPAddress:
    """``address`` itself, or the IPv4 address it spells (mapped or translated IPv6)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _TRANSLATED:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, translated, compatible, NAT64,
    6to4), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in (_TRANSLATED, _NAT64, _NAT64_LOCAL, _COMPAT)):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


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
