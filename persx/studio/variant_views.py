"""Studio admin actions on a live variant: retire a loser, start AI vs human.

Parse and check the cell (400 naming the field), call the service, say what happened on
the page the editor came from. A refused step is a 400 with the message; nothing is
written then.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from persx.http.redirects import safe_next
from persx.studio.cells import BadCell, cell_from
from persx.studio.results import variant_results
from persx.studio.services import ReviewRefused, retire_variant, start_ai_vs_human
from persx.studio.views import audience_label

TEXT = "text/plain; charset=utf-8"


@require_POST
def retire_view(request: HttpRequest) -> HttpResponse:
    try:
        cell = cell_from(request.POST)
        flag = next(
            (
                r
                for r in variant_results()
                if r.underperforming
                and r.audience == cell.audience
                and r.covers(cell.block_type, cell.page.pk)
            ),
            None,
        )
        if flag is None:
            raise BadCell(
                f"audience: the reports do not flag the variant for {cell.audience} as "
                "underperforming; edit the page to remove it by hand"
            )
        retired = retire_variant(
            cell.page,
            cell.block_id,
            cell.audience,
            request.user,  # type: ignore[arg-type]
            request.POST.get("reason", ""),
            experiment=flag.experiment,
        )
    except (BadCell, ReviewRefused) as exc:
        return HttpResponseBadRequest(str(exc), content_type=TEXT)
    messages.success(
        request,
        f"Retired the {retired.block_type} variant for {audience_label(cell.audience)} "
        f"(page revision {retired.revision_id}); its content and provenance are kept.",
    )
    back = request.POST.get("next")
    return redirect(safe_next(request, back) if back else reverse("persx_studio_coverage"))


@require_POST
def ai_vs_human_view(request: HttpRequest) -> HttpResponse:
    try:
        cell = cell_from(request.POST)
        duel = start_ai_vs_human(cell.page, cell.block_id, cell.audience, request.user)  # type: ignore[arg-type]
    except (BadCell, ReviewRefused) as exc:
        return HttpResponseBadRequest(str(exc), content_type=TEXT)
    messages.success(
        request,
        f"AI vs human experiment “{duel.experiment_key}” is running for "
        f"{audience_label(cell.audience)}; its report compares the two.",
    )
    return redirect("persx_analytics_report", key=duel.experiment_key)
