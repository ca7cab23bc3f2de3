"""The "Data requests" admin screen: export or erase a person's data on request by email.

Thin: the form validates, ``services`` finds the visitor ids linked to the address (leads,
accounts) and exports or erases; the log lists requests without the address.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from persx.privacy import services
from persx.privacy.forms import DataRequestForm
from persx.privacy.models import DataRequest, DataRequestChannel

HANDLE_DATA_REQUESTS = "persx_privacy.handle_data_requests"
RECENT = 50


def can_handle_data_requests(request: HttpRequest) -> bool:
    return bool(request.user.has_perm(HANDLE_DATA_REQUESTS))


def data_requests(request: HttpRequest) -> HttpResponse:
    if not can_handle_data_requests(request):
        raise PermissionDenied("data requests need the 'handle data requests' permission")
    form = DataRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        subject = services.subject_for_email(form.cleaned_data["email"])
        who = request.user.get_username()
        if form.cleaned_data["action"] == "export":
            document = services.export(subject, None, DataRequestChannel.ADMIN, who)
            response = HttpResponse(json.dumps(document, indent=2), content_type="application/json")
            response["Content-Disposition"] = 'attachment; filename="persx-data-request.json"'
            return response
        counts = services.erase(subject, DataRequestChannel.ADMIN, who)
        messages.success(
            request,
            f"Erased {sum(counts.values())} records: "
            + ", ".join(f"{name} {n}" for name, n in counts.items()),
        )
        return HttpResponseRedirect(reverse("persx_privacy_data_requests"))
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "privacy/admin_data_requests.html",
        {"form": form, "requests": DataRequest.objects.all()[:RECENT]},
        status=status,
    )
