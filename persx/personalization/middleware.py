"""Builds the request's personalization context before the view runs; after it, one
structured log line per personalized page view and the page's exposures handed to the
batching event writer (no SQL, no waiting in the request)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import cast

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from persx.accounts.firmographic_link import link_on_first_visit
from persx.events import exposure_writer
from persx.events.services import may_store_for, visitor_columns
from persx.observability import metrics
from persx.personalization.context import (
    PersonalizationContext,
    PersonalizedRequest,
    build_context,
    personalization_of,
)
from persx.personalization.preview import PARAM, update_preview_from_query
from persx.visitors.state import visitor

logger = logging.getLogger("persx.personalization")


class PersonalizationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        if PARAM in request.GET:
            update_preview_from_query(request)
        try:  # first page view only: the firmographic company as the visitor's account
            link_on_first_visit(request)
        except Exception:  # an account link must never break the page
            logger.exception("firmographic account link failed")
        try:
            context = build_context(request)
        except Exception:  # personalization must never break the page
            logger.exception("personalization context failed; serving generic")
            context = personalization_of(None)
        cast(PersonalizedRequest, request).persx = context
        response = self.get_response(request)
        personalization = personalization_of(request)  # a preview may have replaced it
        if personalization.served:
            profile = personalization.profile
            logger.info(
                "personalization served",
                extra={
                    "page": request.path,
                    "status": response.status_code,
                    "industry": profile.industry if profile else None,
                    "persona": profile.persona if profile else None,
                    "preview": personalization.preview,
                    "blocks": personalization.as_log(),
                },
            )
            response.headers.setdefault("Cache-Control", "private, no-cache")
        if personalization.consulted:
            record_exposures(request, response, personalization)
        record_page_metrics(request, response, personalization, time.perf_counter() - started)
        return response


# Not site pages: the admin, the API, files and the metrics endpoint itself.
UNMEASURED_PREFIXES = ("/cms/", "/api/", "/static/", "/media/", "/documents/", "/metrics")


def record_page_metrics(
    request: HttpRequest,
    response: HttpResponse,
    personalization: PersonalizationContext,
    seconds: float,
) -> None:
    """Live metrics of a site page (HTML 200 to a GET): render time, profile layer, every
    block decision. Not for previews. Never raises."""
    if (
        request.method != "GET"
        or response.status_code != 200
        or request.path.startswith(UNMEASURED_PREFIXES)
        or personalization.preview is not None
        or getattr(request, "is_preview", False)
        or not response.get("Content-Type", "").startswith("text/html")
    ):
        return
    try:
        profile = personalization.profile
        metrics.record_page_view(
            seconds,
            visitor(request).layer if profile is not None else None,
            profile.industry if profile is not None else None,
            personalization.served,
        )
    except Exception:
        logger.exception("page metrics failed")


def record_exposures(
    request: HttpRequest, response: HttpResponse, personalization: PersonalizationContext
) -> None:
    """Queue one page_view + one exposure per block decision for a profiled visitor's page.

    Every page that consulted personalization counts as a page view, also when it rendered
    no personalizable block (the blog index and test ideas only re-rank). Not for staff
    previews, failed responses or visitors who declined consent. Never raises: measurement
    must not break the page.
    """
    profile = personalization.profile
    if (
        profile is None
        or personalization.preview is not None
        or getattr(request, "is_preview", False)  # Wagtail editor preview
        or request.method != "GET"
        or response.status_code != 200
        or not may_store_for(profile)
    ):
        return
    try:
        exposure_writer.submit(
            exposure_writer.PageRender(
                visitor=visitor_columns(profile),
                page=request.path,
                occurred_at=timezone.now(),
                served=tuple(personalization.served),
            )
        )
    except Exception:
        logger.exception("exposures could not be queued")
