"""/api/privacy/consent: read and set the visitor's analytics consent."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Router, Schema
from ninja.decorators import decorate_view
from pydantic import ConfigDict, Field

from persx.engine.visitor.profile import ConsentState
from persx.http.api_csrf import csrf_parameters, csrf_required
from persx.http.errors import error_responses
from persx.privacy.consent import ConsentStatus, mode_description
from persx.privacy.middleware import choose_consent, consent_of

router = Router(tags=["privacy"])


class ConsentView(Schema):
    state: str = Field(description="granted, denied or unknown")
    source: str = Field(description="choice (the visitor's), gpc (Global Privacy Control), default")
    mode: str = Field(description="opt_in or opt_out (PERSX CONSENT_MODE)")
    mode_text: str
    gpc: bool = Field(description="The browser sent Sec-GPC: 1")
    measured: bool = Field(description="Page views and events of this visitor are stored")


class ConsentChoice(Schema):
    model_config = ConfigDict(extra="forbid")

    choice: Literal["granted", "denied"] = Field(
        description="granted (accept analytics) or denied (decline)"
    )


def _view(status: ConsentStatus) -> ConsentView:
    return ConsentView(
        state=str(status.state),
        source=str(status.source),
        mode=str(status.mode),
        mode_text=mode_description(status.mode),
        gpc=status.gpc,
        measured=status.allows_measurement,
    )


@router.get("/privacy/consent", response=ConsentView)
def get_consent(request: HttpRequest) -> ConsentView:
    """The visitor's analytics consent. Also sets the CSRF cookie that the PUT needs."""
    get_token(request)
    return _view(consent_of(request))


@router.put(
    "/privacy/consent",
    response={200: ConsentView, **error_responses(400, 403, 413, 422)},
    openapi_extra=csrf_parameters("/api/privacy/consent"),
)
@decorate_view(csrf_required)
def put_consent(request: HttpRequest, payload: ConsentChoice) -> ConsentView:
    """Accept (``granted``) or decline (``denied``) analytics; remembered in a cookie."""
    return _view(choose_consent(request, ConsentState(payload.choice)))
