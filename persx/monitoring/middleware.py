"""Page metrics of every site page, read from what the request path left on the request.

Outermost middleware: it times the whole page, then records the page (profile layer,
personalized or not) and each block decision of ``request.persx`` after the response is
built. It reads request attributes only and never raises into the response.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from persx.observability import metrics

logger = logging.getLogger("persx.monitoring")

# Not site pages: the admin, the API, files and the metrics endpoint itself.
SKIPPED_PREFIXES = ("/cms/", "/api/", "/static/", "/media/", "/documents/", "/metrics")


class PageMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(SKIPPED_PREFIXES):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        try:
            record_request(request, response, seconds)
        except Exception:  # measurement must never break a page
            logger.exception("page metrics failed")
        return response


def record_request(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    if request.method != "GET" or response.status_code != 200:
        return
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    decisions = getattr(request, "persx", None)
    # Staff previews show what an audience would see: not traffic.
    preview = getattr(decisions, "preview", None)
    served = () if preview else (getattr(decisions, "served", None) or ())
    profile = getattr(decisions, "profile", None)
    industry = getattr(profile, "industry", None)
    personalized = False
    for block in served:
        metrics.record_block_decision(block.block_type, block.reason, industry, block.variant_key)
        personalized = personalized or block.variant_key != "generic"
    state = getattr(request, "visitor", None)
    layer = getattr(state, "layer", None) if getattr(state, "profile", None) else None
    metrics.record_page(seconds, layer or metrics.NONE, personalized)
