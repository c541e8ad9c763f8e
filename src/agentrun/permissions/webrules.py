"""What a ``WebFetch(domain:...)`` rule matches: the host of the URL a call fetches.

``domain:example.com`` is that host exactly (an IP literal in any spelling is compared as its
address: ``domain:127.0.0.1`` covers ``http://0x7f000001/``); ``domain:*.example.com`` every
host below it. Only an exact rule *names* a host, which is what lets a fetch reach a loopback
or private address (or keep plain http): a wildcard never opens the local network.
"""

from __future__ import annotations

from agentrun.core.hosts import canonical_host, url_host

_PREFIX = "domain:"


def domain_matches(spec: str, url: str, *, exact: bool = False) -> bool:
    """Whether the rule spec ``spec`` covers the host of ``url`` (``exact``: only a rule that
    names that very host)."""
    host = url_host(url)
    return host is not None and names(spec, host, exact=exact)


def names(spec: str, host: str, *, exact: bool = False) -> bool:
    """Whether ``spec`` covers the canonical ``host`` (``exact``: names it, no wildcard)."""
    if not spec.startswith(_PREFIX):
        return False
    want = spec[len(_PREFIX) :].strip()
    if want.startswith("*."):
        return not exact and host.endswith(canonical_host(want[1:]))
    return bool(want) and canonical_host(want) == host
