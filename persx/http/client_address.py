"""The client's network address, as far as this server can trust it.

Without a configured proxy the client is ``REMOTE_ADDR``: a ``X-Forwarded-For`` header is
then just text the client wrote and is ignored. Behind proxies, set
``PERSX["TRUSTED_PROXY_HEADER"]`` (a ``request.META`` key, e.g. ``HTTP_X_FORWARDED_FOR``)
and ``PERSX["TRUSTED_PROXY_HOPS"]`` (how many proxies of yours append to it, usually 1).
Each proxy appends the address it received the request from, so the client is the
``hops``-th entry from the right; anything to the left of it may be forged by the client
and is never read. A header with fewer entries than ``hops`` (a request that did not pass
through every proxy) or an entry that is not an IP address falls back to ``REMOTE_ADDR``.

``rate_limit_subject`` is what per-client rate limits count: the address itself for IPv4,
the /64 network for IPv6 (one subscriber's whole range, which it can rotate through freely).
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from persx.config import config

IPV6_SUBSCRIBER_PREFIX = 64


def trusted_proxy() -> tuple[str, int]:
    """``(META key, hops)`` of the configured proxy header; ``("", 0)`` when none is."""
    conf = config()
    header, hops = conf.trusted_proxy_header, conf.trusted_proxy_hops
    if not header or hops < 1:
        return "", 0
    return header, hops


def _as_ip(text: str) -> str:
    candidate = text.strip()
    if candidate.startswith("[") and "]" in candidate:  # "[2001:db8::1]:443"
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:  # "192.0.2.1:443"
        candidate = candidate.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str:
    """The client's IP address ("" only when the server was told nothing at all)."""
    remote = _as_ip(str(request.META.get("REMOTE_ADDR", "")))
    header, hops = trusted_proxy()
    if not header:
        return remote
    entries = [e for e in str(request.META.get(header, "")).split(",") if e.strip()]
    if len(entries) < hops:
        return remote
    return _as_ip(entries[-hops]) or remote


def rate_limit_subject(request: HttpRequest) -> str:
    """The client address a rate limit counts: IPv4 address or IPv6 /64 network."""
    address = client_ip(request)
    if not address:
        return "unknown"
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_SUBSCRIBER_PREFIX}", strict=False))
    return address
