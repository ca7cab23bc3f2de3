"""A simulated visitor's browser: a cookie jar that talks HTTP to the site, in-process
(Django's test ``Client``: the whole middleware stack) or to a running site (``--url``),
each from a client address of its own (:func:`visitor_address`; the addresses and why:
:mod:`persx.demo.simulation`)."""

from __future__ import annotations

import http.cookiejar
import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

# Where simulated visitors come from: RFC 2544's benchmarking range (never a real client,
# and not in the demo's firmographic data), one address per visitor.
VISITOR_NETWORK = ipaddress.IPv4Network("198.18.0.0/15")
FORWARDED_FOR = "X-Forwarded-For"


def visitor_address(index: int) -> str:
    """The client address of the ``index``-th simulated visitor (distinct for 131,070)."""
    return str(VISITOR_NETWORK[1 + index % (VISITOR_NETWORK.num_addresses - 2)])


@dataclass(frozen=True, slots=True)
class Page:
    status: int
    text: str


class Browser(Protocol):
    def get(self, path: str) -> Page: ...
    def send_json(self, method: str, path: str, body: Any, headers: Mapping[str, str]) -> Page: ...
    def post_form(self, path: str, data: Mapping[str, str]) -> Page: ...
    def cookie(self, name: str) -> str | None: ...


class InProcessBrowser:
    """Django's test client: the full middleware stack, in this process, from ``address``."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        from django.test import Client

        hosts = [h for h in settings.ALLOWED_HOSTS if h and not h.startswith((".", "*"))]
        self.client = Client(HTTP_HOST=hosts[0] if hosts else "localhost", REMOTE_ADDR=address)

    def get(self, path: str) -> Page:
        response = self.client.get(path)
        return Page(response.status_code, response.content.decode("utf-8", "replace"))

    def send_json(self, method: str, path: str, body: Any, headers: Mapping[str, str]) -> Page:
        send = getattr(self.client, method.lower())
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        response = send(path, data=json.dumps(body), content_type="application/json", **extra)
        return Page(response.status_code, response.content.decode("utf-8", "replace"))

    def post_form(self, path: str, data: Mapping[str, str]) -> Page:
        response = self.client.post(path, data=dict(data))
        return Page(response.status_code, response.content.decode("utf-8", "replace"))

    def cookie(self, name: str) -> str | None:
        morsel = self.client.cookies.get(name)
        return morsel.value if morsel is not None else None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpBrowser:
    """A cookie jar speaking HTTP to a running site (``--url``); ``address`` goes out as
    ``X-Forwarded-For`` (counted only by a site that trusts that header)."""

    def __init__(self, base_url: str, address: str = "", timeout: float = 30.0) -> None:
        self.base = base_url.rstrip("/")
        self.address = address
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        self.timeout = timeout

    def _open(self, request: urllib.request.Request) -> Page:
        if self.address:
            request.add_header(FORWARDED_FOR, self.address)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Page(response.status, response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            return Page(error.code, error.read().decode("utf-8", "replace"))

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path))

    def send_json(self, method: str, path: str, body: Any, headers: Mapping[str, str]) -> Page:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json", "Origin": self.base, **headers},
        )
        return self._open(request)

    def post_form(self, path: str, data: Mapping[str, str]) -> Page:
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(data).encode(),
            method="POST",
            headers={"Referer": self.base + "/contact/"},
        )
        return self._open(request)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)
