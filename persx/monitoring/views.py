"""``GET /metrics``: the Prometheus text format, for a scraper holding the bearer token.

Never public by default: without ``PERSX_METRICS_TOKEN`` in the environment the endpoint
does not exist (404); a missing or wrong ``Authorization: Bearer …`` gets 401. With
``PROMETHEUS_MULTIPROC_DIR`` set, the answer sums every worker process's values.
"""

from __future__ import annotations

import hmac
import os

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

TOKEN_ENV = "PERSX_METRICS_TOKEN"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _authorised(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def exposition() -> bytes:
    """The current metrics: summed over worker processes in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise Http404("metrics are not enabled")
    if not _authorised(request, token):
        response = HttpResponse("a valid bearer token is required\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
