"""The start form at /start/ and the one-question industry prompt. Work with JavaScript off."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from persx.catalog.repository import current_catalog
from persx.engine.visitor.profile import Provenance
from persx.events import exposure_writer
from persx.events.event_types import EventType
from persx.events.services import may_store_for, record_visitor_event, visitor_columns
from persx.http.database_unavailable import CONNECTION_ERRORS, marked_unavailable
from persx.http.redirects import referer_path, safe_next
from persx.inference import services as inference_services
from persx.inference.models import LabelSource
from persx.observability import metrics
from persx.privacy.middleware import consent_of, mark_erased
from persx.privacy.models import DataRequestChannel
from persx.profiles import services
from persx.profiles.forms import IndustryForm, StartForm
from persx.profiles.link_params import without_profile_params
from persx.profiles.write_limit import profile_write_refused
from persx.visitors.state import visitor

logger = logging.getLogger("persx.profiles")


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    catalog = current_catalog()
    state = visitor(request)
    if request.method == "POST":
        form = StartForm(request.POST, catalog=catalog)
        if form.is_valid():
            data = form.cleaned_data
            target = _way_back(request, data.get("next"))
            refused = profile_write_refused(request)
            if refused:
                return _too_many(request, form, refused)
            try:
                with transaction.atomic():
                    profile = services.choose(
                        catalog,
                        state.profile,
                        data["industry"],
                        Provenance.START_FORM,
                        request.user,
                        goals=data["goals"],
                        tools=data["tools"],
                        role=data["role"],
                        consent=consent_of(request).state,
                    )
                    record_visitor_event(
                        EventType.START_FORM_SUBMITTED,
                        profile,
                        request.path,
                        timezone.now(),
                        properties={"next": target[:200], "goals": len(profile.goals)},
                    )
                    inference_services.record_example(request, profile, _label_source(state.layer))
            except CONNECTION_ERRORS:
                logger.exception("database unavailable: start form answers not saved")
                return _not_saved(request, form)
            state.remember(profile)
            metrics.record_start_form_completion()
            return HttpResponseRedirect(target)
        return render(request, "profiles/start.html", {"form": form}, status=400)
    current = state.profile
    initial: dict[str, object] = {
        "next": _way_back(request, request.GET.get("next"))
        if "next" in request.GET
        else without_profile_params(referer_path(request))
    }
    if current is not None:
        initial |= {
            "industry": current.industry,
            "goals": list(current.goals),
            "tools": list(current.tools),
            "role": current.role,
        }
    _count_start_form_view(request)
    return render(
        request, "profiles/start.html", {"form": StartForm(initial=initial, catalog=catalog)}
    )


def _count_start_form_view(request: HttpRequest) -> None:
    """A start-form view: the live counter, and a ``page_view`` of /start/ through the
    batching writer (no SQL in the request), the denominator of the completion rate."""
    metrics.record_start_form_view()
    profile = visitor(request).profile
    consent = consent_of(request).state
    if may_store_for(profile, consent):
        exposure_writer.submit(
            exposure_writer.PageRender(
                visitor_columns(profile, consent), request.path, timezone.now(), ()
            )
        )


@require_POST
def set_industry(request: HttpRequest) -> HttpResponse:
    """One question: the industry. Keeps the visitor's goals and tools."""
    catalog = current_catalog()
    form = IndustryForm(request.POST, catalog=catalog)
    if not form.is_valid():
        return render(
            request,
            "profiles/start.html",
            {"form": StartForm(catalog=catalog), "industry_error": True},
            status=400,
        )
    refused = profile_write_refused(request)
    if refused:
        return _too_many(request, StartForm(catalog=catalog), refused)
    state = visitor(request)
    with transaction.atomic():
        profile = services.choose(
            catalog,
            state.profile,
            form.cleaned_data["industry"],
            Provenance.MANUAL,
            request.user,
            consent=consent_of(request).state,
        )
        inference_services.record_example(request, profile, _label_source(state.layer))
    state.remember(profile)
    return HttpResponseRedirect(_way_back(request, form.cleaned_data.get("next")))


def _way_back(request: HttpRequest, candidate: str | None) -> str:
    """Where a profile form returns to: the same-site page it came from, without the link
    parameters that set the profile (``?industry=``), so the choice just made stands."""
    return without_profile_params(safe_next(request, candidate))


def _too_many(request: HttpRequest, form: StartForm, refused: tuple[str, int]) -> HttpResponse:
    message, retry_after = refused
    response = render(
        request, "profiles/start.html", {"form": form, "too_many": message}, status=429
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _not_saved(request: HttpRequest, form: StartForm) -> HttpResponse:
    """The database is unreachable: the form again with the visitor's answers, saying that
    nothing was saved (the transaction rolled back; no cookie changes)."""
    response = render(request, "profiles/start.html", {"form": form, "not_saved": True}, status=503)
    return marked_unavailable(response, "database unavailable; the answers were not saved")


def _label_source(layer: str | None) -> LabelSource:
    """An answer given while we showed an inferred profile corrects (or confirms) it."""
    return LabelSource.CORRECTION if layer == "inferred" else LabelSource.START_FORM


@require_POST
def export_me(request: HttpRequest) -> HttpResponse:
    """The privacy page's "Download my data": the JSON of GET /api/personalization/export
    as a file (a POST: the download is logged)."""
    state = visitor(request)
    document = services.export_visitor(
        request,
        state.profile.visitor_id if state.profile else None,
        request.user,
        DataRequestChannel.VISITOR_PAGE,
    )
    response = JsonResponse(document, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="persx-my-data.json"'
    return response


@require_POST
def forget_me(request: HttpRequest) -> HttpResponse:
    """The no-JavaScript twin of DELETE /api/personalization (start form, privacy page)."""
    state = visitor(request)
    services.forget_visitor(
        state.profile.visitor_id if state.profile else None,
        request.user,
        DataRequestChannel.VISITOR_PAGE,
    )
    state.forget()
    mark_erased(request)
    return HttpResponseRedirect(_way_back(request, request.POST.get("next") or "/"))
