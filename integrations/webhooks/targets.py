"""The SSRF guard: a subscriber's URL may not lead the hub into its own network.

Managers type these URLs, so a URL could name the hub's database, a metadata service
(169.254.169.254) or anything else only the hub can reach. Refused: plain http:// and any
address that is not global (loopback, private, link-local, shared, reserved, unspecified) or is
multicast, unless WEBHOOK_ALLOW_PRIVATE_TARGETS is on (tests and the sandbox, whose subscriber
is the hub itself).

Checked twice: when the URL is saved (`url_problem`, resolving the host), and on every
connection (`guarded_session`): the address checked is the one the socket is connected to,
so a name that resolves elsewhere by the time of sending (DNS rebinding) is refused too.
Redirects are never followed (integrations.http), so a public URL cannot bounce inward.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

POOL_SIZE = 16
# Where URL parsers part ways or drop characters: such a URL could be checked for one host and sent to another.
AMBIGUOUS = re.compile(r"[\\\x00-\x20\x7f]")
_session: requests.Session | None = None


class TargetRefusedError(Exception):
    """A connection reached an internal address. Not an OSError: urllib3 and requests pass it on as is."""


# IPv6 addresses that stand for an IPv4 one in their last 32 bits: a NAT64 gateway (IPv6-only networks)
# or the kernel takes them there. IPv4-compatible ones (::/96) are deprecated and refused whatever they carry.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _ipv4_carried(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to (mapped, translated, NAT64, 6to4), or None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or ip in IPV4_TRANSLATED:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_allowed(address: str) -> bool:
    """Whether the hub may connect to this IP address (global unicast only, also the IPv4 one it carries)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a scoped IPv6 address carries %<zone>
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in IPV4_COMPATIBLE or ip.is_site_local:
            return False
        ip = _ipv4_carried(ip) or ip
    return ip.is_global and not ip.is_multicast


def url_problem(url: str, *, allow_private: bool, resolve: bool = True) -> str | None:
    """Why the hub will not send to `url`, or None. With `resolve`, every address of the host is checked.

    The host checked is the one requests connects to: the URL is read by urllib3's parser, and one
    that parsers read differently (a backslash ends the host for urllib3, not for urlsplit, which
    the pages and the masking use) or that holds white space or control characters is refused.
    """
    url = url.strip()
    if AMBIGUOUS.search(url):
        return "Not a valid URL: it holds a backslash, a space or a control character."
    try:
        parts = parse_url(url)
        urlsplit(url).port  # noqa: B018 - the pages read it with urlsplit, which must take it too
    except (LocationParseError, ValueError):
        return "Not a valid URL."
    host = (parts.host or "").strip("[]")
    if parts.scheme not in ("http", "https") or not host:
        return "Must be a full https:// URL."
    if parts.scheme != "https" and not allow_private:
        return "Must use https:// (plain http:// would send the events in clear text)."
    if allow_private or not resolve:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError):
        return f"The host {host} cannot be resolved."
    refused = sorted(address for address in found if not address_allowed(str(address)))
    if refused:
        return (f"{host} leads to {refused[0]}, an internal address (loopback, private, link-local "
                "or reserved): the hub does not send there.")
    return None


class _Guarded:
    """Checks the address a new connection reached before anything is sent on it."""

    host: str

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        peer = sock.getpeername()[0]
        if not address_allowed(peer):
            sock.close()
            raise TargetRefusedError(f"{self.host} leads to {peer}, an internal address: refused.")
        return sock


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - HTTPAdapter's signature
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPConnectionPool,
                                                   "https": _GuardedHTTPSConnectionPool}


def guarded_session() -> requests.Session:
    """This process's session for subscribers: every new connection's address is checked; no proxy from the
    environment (the address checked must be the subscriber's own), no urllib3 retries."""
    global _session
    if _session is None:
        session = requests.Session()
        session.trust_env = False
        # Kept-alive connections per subscriber: one for each of the process's sending threads.
        adapter = _GuardedAdapter(max_retries=0, pool_connections=POOL_SIZE,
                                  pool_maxsize=max(POOL_SIZE, settings.DELIVERY_SEND_THREADS))
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _session = session
    return _session
