"""Which network addresses WebFetch may connect to.

The runtime that fetches is not jailed, so a fetch must not reach what the jail hides: the
machine itself (loopback), the local network (private, link-local, where cloud metadata lives at
169.254.169.254, unique-local, carrier-grade NAT), multicast and the unspecified address. Only
addresses that are globally routable pass; an allow rule naming the host explicitly is the one
way past (checked by the caller).

IPv6 addresses that carry an
IPv4 address (mapped ``::ffff:a.b.c.d``, compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``,
6to4 ``2002::/16``) are judged by the IPv4 address too.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentrun.core.hosts import IPAddress

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_COMPAT = ipaddress.IPv6Network("::/96")


def refusal(address: IPAddress) -> str | None:
    """Why WebFetch may not connect to ``address`` (None: a public address it may reach)."""
    for candidate in _judged(address):
        if candidate.is_loopback:
            return "a loopback address (this machine)"
        if candidate.is_link_local:
            return "a link-local address (where cloud metadata services live)"
        if candidate.is_multicast:
            return "a multicast address"
        if candidate.is_unspecified:
            return "the unspecified address"
        if candidate.is_private or not candidate.is_global:
            return "a private or reserved address (the local network)"
    return None


def _judged(address: IPAddress) -> list[IPAddress]:
    """The IPv4 address ``address`` carries, if any, then ``address`` itself."""
    found: list[IPAddress] = []
    if isinstance(address, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = address.ipv4_mapped or address.sixtofour
        if embedded is None and (
            address in _NAT64 or address in _NAT64_LOCAL or address in _COMPAT
        ):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            found.append(embedded)
    return [*found, address]
