"""``GET /e/<token>/``: the landing of a tracked email link (thin: read, land, redirect)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from persx.email_delivery.landing import land
from persx.email_delivery.links import BadLink, ExpiredLink, read_token

logger = logging.getLogger("persx.email_delivery")


@require_safe
def click(request: HttpRequest, token: str) -> HttpResponse:
    try:
        claim = read_token(token)
    except ExpiredLink as expired:
        # Genuine but old: the reader goes where the link pointed, as a generic visitor.
        response = render(
            request,
            "persx_email_delivery/link_expired.html",
            {"target": expired.target},
            status=200,
        )
    except BadLink as exc:
        response = render(
            request, "persx_email_delivery/link_bad.html", {"problem": str(exc)}, status=400
        )
    else:
        response = HttpResponseRedirect(claim.target)
        if request.method == "GET":  # a HEAD (a link checker) restores and counts nothing
            try:
                land(request, claim)
            except Exception:  # the reader still gets to the page, as a generic visitor
                logger.exception("email click: profile or click not recorded")
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the token never leaks to the next site
    return response
