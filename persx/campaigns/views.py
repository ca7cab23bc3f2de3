"""The merge-field CSV download of an email template (its edit screen's button)."""

from __future__ import annotations

from collections.abc import Iterator

from defusedcsv import csv
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404

from persx.campaigns.export import STATUSES, ExportError, export_rows
from persx.campaigns.models import EmailTemplate
from persx.newsletter.models import Contact

# Contacts' addresses leave the site: only who may edit templates and see contacts.
EXPORT_PERMISSIONS = ("persx_campaigns.change_emailtemplate", "persx_newsletter.view_contact")


class Echo:
    """A file whose ``write`` returns what it was given (rows stream as they are made)."""

    def write(self, text: str) -> str:
        return text


def merge_fields_csv_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    if not request.user.has_perms(EXPORT_PERMISSIONS):
        raise PermissionDenied
    template = get_object_or_404(EmailTemplate, pk=pk)
    status = request.GET.get("status", Contact.Status.SUBSCRIBED)
    try:
        columns, rows = export_rows(template, status=status)
    except ExportError as error:
        return HttpResponse(
            f"{error.field}: {error}. Allowed: {', '.join(STATUSES)}.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    writer = csv.DictWriter(Echo(), fieldnames=columns, restval="")

    def lines() -> Iterator[str]:
        yield writer.writeheader()
        for values in rows:
            yield writer.writerow(values)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = f"{template.slug}-merge-fields-{status}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
