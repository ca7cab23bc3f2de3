"""``/health/live`` (the process answers) and ``/health/ready`` (it can serve: 503 otherwise)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from persx.health.checks import CHECKS, failing_parts


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "live"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    failures = failing_parts()
    checks = {part: failures.get(part, "ok") for part in CHECKS}
    if failures:
        failing = ", ".join(sorted(failures))
        return JsonResponse(
            {"status": "unavailable", "message": f"not ready: {failing}", "checks": checks},
            status=503,
        )
    return JsonResponse({"status": "ready", "checks": checks})
