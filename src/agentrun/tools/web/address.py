"""Which network addresses WebFetch may connect to.

The runtime that fetches is not jailed, so a fetch must not reach what the jail hides: the
machine itself (loopback), the local network (private, link-local, where cloud metadata lives at
169.254.169.254, unique-local, carrier-grade NAT), multicast and the unspecified address. Only
addresses that are globally routable pass; an allow rule naming the host explicitly is the one
way past (checked by the caller).

IPv6 addresses that carry an
IPv4 address (mapped ``::ffff:a.b.c.d``, translated ``::ffff:0:a.b.c.d``, compatible
``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) are judged by the IPv4 address too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentrun.core.hosts import embedded_ipv4

if TYPE_CHECKING:
    from agentrun.core.hosts import IPAddress


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
    embedded = embedded_ipv4(address)
    return [address] if embedded is None else [embedded, address]
