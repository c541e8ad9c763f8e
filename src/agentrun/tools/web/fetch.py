"""One HTTP(S) GET for WebFetch, made by the unjailed runtime and so held to its own rules.

- Only ``http`` and ``https``; no user name or password in the URL; at most 2,000 characters.
- ``http`` is upgraded to ``https`` unless an allow rule names the host (a test server on
  127.0.0.1, an intranet host the user vouched for).
- The host is resolved once and every address it resolves to is checked
  (:mod:`agentrun.tools.web.address`); the connection goes to that checked address, so a DNS
  answer that changes between the check and the connect (rebinding) changes nothing. A
  loopback, private, link-local, multicast or unspecified address is refused unless an allow
  rule names the host.
- No proxy: the host's proxy variables are ignored, because a proxy would resolve and connect
  by itself (past the address check) and may sit inside the network the check keeps out.
- Redirects within the same host are followed, at most :data:`MAX_REDIRECTS`;
  a redirect to another host is returned, not followed: the model asks again and that URL
  meets the permission gate.
- The body is streamed and reading stops past :data:`MAX_BYTES`; connect and read timeouts and
  an overall deadline bound the time.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit

from agentrun.core.hosts import canonical_host, parse_ip, valid_host
from agentrun.tools.web.address import refusal

if TYPE_CHECKING:
    from agentrun.core.hosts import IPAddress

MAX_URL_CHARS = 2_000
MAX_BYTES = 10 * 1024 * 1024
"""The most bytes of a body read; past it the page is cut (and the connection closed)."""
MAX_REDIRECTS = 10
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 20.0
DEADLINE_S = 60.0
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TOO_SLOW = f"The page took longer than {DEADLINE_S:.0f} s to download."
USER_AGENT = "agentrun-WebFetch/1 (+https://github.com/agentrun)"

Named = Callable[[str], bool]
"""Whether an allow rule names a (canonical) host exactly."""


class FetchError(Exception):
    """A fetch that could not be made or finished; the text is for the model."""


@dataclass(frozen=True)
class Page:
    url: str
    """The URL the body came from (after same-host redirects and the https upgrade)."""
    status: int
    reason: str
    content_type: str
    body: bytes
    cut: bool
    """Reading stopped at :data:`MAX_BYTES`."""
    host: str
    local: bool
    """The host's address is not public: reached only because a rule names the host."""


@dataclass(frozen=True)
class Redirect:
    url: str
    location: str
    status: int


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str


def target(url: str, named: Named) -> _Target:
    """``url`` checked and parsed, with http upgraded unless a rule names its host."""
    if len(url) > MAX_URL_CHARS:
        raise FetchError(f"The URL is longer than {MAX_URL_CHARS} characters.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as e:
        raise FetchError(f"The URL is not valid: {e}.") from e
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(
            f"WebFetch fetches http:// and https:// URLs only, not {scheme or 'this'}: URLs. "
            "Read local files with Read."
        )
    if parts.username is not None or parts.password is not None:
        raise FetchError("The URL holds a user name or password; WebFetch does not send them.")
    if not parts.hostname:
        raise FetchError("The URL has no host.")
    try:
        host = canonical_host(parts.hostname)
    except UnicodeError:
        host = parts.hostname
    if not valid_host(host):
        raise FetchError(f"The URL's host {parts.hostname!r} is not a valid host name.")
    if scheme == "http" and not named(host):
        scheme = "https"
        if port == 80:
            port = None
    port = port or (443 if scheme == "https" else 80)
    # An IRI's non-ASCII path and query are sent percent-encoded (RFC 3987 to RFC 3986); what
    # is already ASCII, escapes included, is sent as written.
    path = _ascii(parts.path) or "/"
    if parts.query:
        path += "?" + _ascii(parts.query)
    netloc = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    shown = f"{scheme}://{netloc}{'' if port == default else f':{port}'}{path}"
    return _Target(shown, scheme, host, port, path)


def _ascii(text: str) -> str:
    return quote(text, safe="".join(chr(c) for c in range(0x21, 0x7F)))


def fetch(url: str, *, named: Named, cancel: threading.Event | None = None) -> Page | Redirect:
    """GET ``url`` under the rules above: the page, or the redirect to another host."""
    deadline = time.monotonic() + DEADLINE_S
    current = target(url, named)
    watchdog = _Watchdog(DEADLINE_S)
    try:
        got = _follow(url, current, named, deadline, watchdog, cancel)
    except FetchError:
        if watchdog.fired:
            raise FetchError(_TOO_SLOW) from None
        raise
    finally:
        watchdog.stop()
    if watchdog.fired:  # the shutdown read as the end of the body: it is not the whole page
        raise FetchError(_TOO_SLOW)
    return got


def _follow(
    url: str,
    current: _Target,
    named: Named,
    deadline: float,
    watchdog: _Watchdog,
    cancel: threading.Event | None,
) -> Page | Redirect:
    for _ in range(MAX_REDIRECTS + 1):
        address, local = _resolve(current, named)
        conn, response = _request(current, address, deadline, watchdog)
        try:
            location = response.getheader("Location")
            if response.status in _REDIRECTS and location:
                following = urljoin(current.url, location)
                nxt = target(following, named)
                # Only the very host the gate decided on: even www.host is another host (a
                # rule may deny it), so the model must ask for it and meet the gate.
                if nxt.host != current.host:
                    return Redirect(current.url, following, response.status)
                current = nxt
                continue
            body, cut = _read(response, deadline, cancel)
            return Page(
                url=current.url,
                status=response.status,
                reason=response.reason,
                content_type=response.getheader("Content-Type") or "",
                body=body,
                cut=cut,
                host=current.host,
                local=local,
            )
        finally:
            conn.close()
    raise FetchError(f"Too many redirects (more than {MAX_REDIRECTS}) from {url}.")


def _resolve(t: _Target, named: Named) -> tuple[IPAddress, bool]:
    """The one address to connect to, and whether it is local (allowed by a naming rule)."""
    literal = parse_ip(t.host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            infos = socket.getaddrinfo(t.host, t.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as e:
            raise FetchError(f"Could not resolve the host {t.host}: {e}.") from e
        addresses = []
        for info in infos:
            found = parse_ip(str(info[4][0]))
            if found is not None and found not in addresses:
                addresses.append(found)
        if not addresses:
            raise FetchError(f"The host {t.host} has no address.")
    # Every address is judged: a name with one public and one private address must not let
    # the connection land on the private one.
    local = False
    for address in addresses:
        why = refusal(address)
        if why is None:
            continue
        if not named(t.host):
            shown = t.host if literal is not None else f"{t.host} ({address})"
            raise FetchError(
                f"WebFetch refused {shown}: it is {why}. WebFetch does not reach this machine "
                "or the local network unless the user's allow rules name the host "
                f"(WebFetch(domain:{t.host}))."
            )
        local = True
    return addresses[0], local


class _Watchdog:
    """Shuts the fetch's socket down at the deadline: a server that drips a byte at a time
    (each read within its timeout, the headers never ending) cannot hold the call past it."""

    def __init__(self, seconds: float) -> None:
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()
        self.fired = False

    def arm(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        self._timer.cancel()


def _request(
    t: _Target, address: IPAddress, deadline: float, watchdog: _Watchdog
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    watchdog.arm(sock)
    try:
        sock.settimeout(min(CONNECT_TIMEOUT_S, _left(deadline)))
        sock.connect((str(address), t.port))
        sock.settimeout(min(READ_TIMEOUT_S, _left(deadline)))
        if t.scheme == "https":
            tls = ssl.create_default_context()
            sock = tls.wrap_socket(sock, server_hostname=t.host)
            watchdog.arm(sock)
    except ssl.SSLError as e:
        sock.close()
        raise FetchError(f"The TLS connection to {t.host} failed: {e}.") from e
    except OSError as e:
        sock.close()
        if isinstance(e, TimeoutError):
            raise FetchError(f"Connecting to {t.host} timed out.") from e
        raise FetchError(f"Could not connect to {t.host}:{t.port}: {e.strerror or e}.") from e
    # The connection object speaks HTTP over the socket connected above: given a socket, it
    # never connects (nor resolves, nor reads proxy settings) by itself.
    conn = http.client.HTTPConnection(t.host, t.port)
    conn.sock = sock
    try:
        conn.request(
            "GET",
            t.path,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/markdown, text/html;q=0.9, text/plain;q=0.8, */*;q=0.5",
                "Accept-Encoding": "identity",
                "Connection": "close",
            },
        )
        return conn, conn.getresponse()
    except (OSError, http.client.HTTPException) as e:
        conn.close()
        if isinstance(e, TimeoutError):
            raise FetchError(f"{t.url} did not answer in time.") from e
        raise FetchError(f"The request to {t.url} failed: {e}.") from e


def _read(
    response: http.client.HTTPResponse, deadline: float, cancel: threading.Event | None
) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise FetchError("Interrupted by the user.")
            if time.monotonic() > deadline:
                raise FetchError(_TOO_SLOW)
            chunk = response.read1(min(_CHUNK, MAX_BYTES + 1 - size))
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BYTES:
                return b"".join(chunks)[:MAX_BYTES], True
    except (OSError, http.client.HTTPException) as e:
        if isinstance(e, TimeoutError):
            raise FetchError("The server stopped sending the page (read timed out).") from e
        raise FetchError(f"Reading the page failed: {e}.") from e


def _left(deadline: float) -> float:
    return max(0.1, deadline - time.monotonic())
