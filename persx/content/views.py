"""Serving site pages: Wagtail's ``serve`` view, with the site and the page taken from the
process's route table (``persx.content.routing``) when it knows them.

Wagtail keeps both on the request (``request._wagtail_site``, documented on
``Site.find_for_request``; ``request._wagtail_route_for_request``, documented on
``Page.route_for_request``), so setting them first makes its view skip the site lookup and
the routing queries; everything else (``before_serve_page``/``on_serve_page`` hooks, view
restrictions, ``page.serve``) runs as Wagtail does. What the table does not know falls
through to Wagtail unchanged.

Database unreachable: a page the process has served keeps being served from memory; one it
has not cannot be, and gets a 503 page that says so, with ``Retry-After`` (never a 500).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from wagtail import views as wagtail_views

from persx.content import routing
from persx.http.database_unavailable import database_unavailable

logger = logging.getLogger("persx.content")


def serve(request: HttpRequest, path: str) -> HttpResponse:
    try:
        _route_from_table(request, path)
        response: HttpResponse = wagtail_views.serve(request, path)
        return response
    except DatabaseError:
        logger.exception("database unavailable while serving %s", request.path)
        return database_unavailable(request, page_not_cached=True)


def _route_from_table(request: HttpRequest, path: str) -> None:
    typed: Any = request
    hostname = split_domain_port(typed._get_raw_host())[0]  # as Wagtail does
    site = routing.site_for(hostname, int(request.get_port()))
    if site is None:
        return
    typed._wagtail_site = site
    page = routing.live_page(site.root_page.url_path + path)
    if page is not None:
        typed._wagtail_route_for_request = page.route(request, [])
