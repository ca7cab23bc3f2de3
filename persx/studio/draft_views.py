"""Studio admin actions that ask the model: one cell's draft.

Parses and checks the cell (400 naming the field), calls
:func:`persx.studio.services.request_draft`, and says what happened: a draft opens its
review page; a failure (rate limit, timeout, invalid twice, any error) is shown as a
message on the page the editor came from, never a 500. Without ``ANTHROPIC_API_KEY`` the
buttons are disabled with the explanation; a request that comes anyway gets 409.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from persx.generation.anthropic_provider import provider_from_environment
from persx.http.redirects import safe_next
from persx.studio.cells import BadCell, cell_from
from persx.studio.models import Draft
from persx.studio.services import request_draft
from persx.studio.views import audience_label

logger = logging.getLogger("persx.studio")

DRAFTING_OFF = (
    "drafting: AI drafting is off. Set ANTHROPIC_API_KEY in the server's environment "
    "(optionally PERSX_DRAFT_MODEL) and restart the server."
)


@require_POST
def request_draft_view(request: HttpRequest) -> HttpResponse:
    try:
        cell = cell_from(request.POST)
    except BadCell as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    back = safe_next(request, request.POST.get("next"))
    provider = provider_from_environment()
    if provider is None:
        return HttpResponse(DRAFTING_OFF, status=409, content_type="text/plain; charset=utf-8")
    label = audience_label(cell.audience)
    try:
        made = request_draft(cell.page, cell.block_id, cell.audience, provider, label)
    except Exception as exc:  # the editor sees what failed; the page never 500s
        logger.exception("drafting failed for %s/%s", cell.block_type, cell.audience)
        messages.error(request, f"The draft for {label} failed: {exc}")
        return redirect(back)
    if isinstance(made, Draft):
        flags = f" with {len(made.flags)} claim flag(s) to check" if made.flags else ""
        messages.success(request, f"AI draft for {label} is ready for review{flags}.")
        return redirect("persx_studio_draft", pk=made.pk)
    detail = made.message
    if made.errors:
        detail += ": " + "; ".join(f"{k}: {v}" for k, v in made.errors.items())
    messages.error(request, f"The draft for {label} failed ({made.status.value}): {detail}")
    return redirect(back)
