"""What a ``WebFetch(domain:...)`` rule matches: the host of the URL a call fetches.

``domain:example.com`` is that host exactly (an IP literal in any spelling is compared as its
address: ``domain:127.0.0.1`` covers ``http://0x7f000001/`` and ``http://[::ffff:7f00:1]/``);
``domain:*.example.com`` every host below it. A deny or ask rule on an IPv4 address also covers
the IPv6 addresses that carry it (NAT64, 6to4, compatible). Only an exact rule *names* a host,
which is what lets a fetch reach a loopback or private address (or keep plain http): a wildcard
never opens the local network. A rule whose host cannot be put in that one spelling (no ASCII
form, characters no host name has) is a configuration error, never a rule that silently
matches nothing.
"""

from __future__ import annotations

from agentrun.core.errors import ConfigError
from agentrun.core.hosts import canonical_host, embedded_ipv4, parse_ip, url_host, valid_host

_PREFIX = "domain:"


def check_spec(spec: str) -> None:
    """Raise ConfigError when the ``domain:`` rule spec ``spec`` names no host it can match."""
    if not spec.startswith(_PREFIX):
        return
    want = spec[len(_PREFIX) :].strip()
    suffix = want[2:] if want.startswith("*.") else want
    try:
        host = canonical_host(suffix)
    except UnicodeError:
        host = ""
    if not host or not valid_host(host):
        raise ConfigError(
            f"bad permission rule WebFetch({spec}): {want!r} is not a host name "
            "(write domain:example.com or domain:*.example.com)"
        )


def domain_matches(spec: str, url: str, *, exact: bool = False, embedded: bool = False) -> bool:
    """Whether the rule spec ``spec`` covers the host of ``url`` (``exact``: only a rule that
    names that very host; ``embedded``: a rule on an IPv4 address also covers an IPv6 address
    that carries it, as deny and ask rules do)."""
    host = url_host(url)
    return host is not None and names(spec, host, exact=exact, embedded=embedded)


def names(spec: str, host: str, *, exact: bool = False, embedded: bool = False) -> bool:
    """Whether ``spec`` covers the canonical ``host`` (``exact``: names it, no wildcard)."""
    if not spec.startswith(_PREFIX):
        return False
    want = spec[len(_PREFIX) :].strip()
    try:
        if want.startswith("*."):
            return not exact and host.endswith("." + canonical_host(want[2:]))
        rule = canonical_host(want)
    except UnicodeError:  # refused when the rules are read; never matches here
        return False
    if not rule:
        return False
    if rule == host:
        return True
    if embedded:
        address = parse_ip(host)
        carried = embedded_ipv4(address) if address is not None else None
        return carried is not None and str(carried) == rule
    return False
