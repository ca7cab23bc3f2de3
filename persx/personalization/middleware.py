"""Staff preview switching, and one structured log line per personalized page view."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from persx.personalization.page_decisions import PageDecisions
from persx.personalization.preview import PARAM, update_preview_from_query

logger = logging.getLogger("persx.personalization")


class PersonalizationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if PARAM in request.GET:
            update_preview_from_query(request)
        response = self.get_response(request)
        decisions: PageDecisions | None = getattr(request, "persx", None)
        if decisions is not None and decisions.served:
            profile = decisions.profile
            logger.info(
                "personalization served",
                extra={
                    "page": request.path,
                    "status": response.status_code,
                    "industry": profile.industry if profile else None,
                    "persona": profile.persona if profile else None,
                    "preview": decisions.preview,
                    "blocks": decisions.as_log(),
                },
            )
            response.headers.setdefault("Cache-Control", "private, no-cache")
        return response
