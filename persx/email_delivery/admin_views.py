"""Measurement → Email: start a send and follow its progress; the email channel's PLI
(numbers, a forest plot, JSON). Thin: writes are :mod:`persx.email_delivery.sending`, the
numbers :mod:`persx.email_delivery.report`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from persx.access.measurement import measurement_required
from persx.access.measurement_screen import MeasurementScreen
from persx.campaigns.models import EmailTemplate
from persx.charts.interval import IntervalRow, interval_chart
from persx.charts.number_format import finite, percent
from persx.email_delivery import sending
from persx.email_delivery.models import EmailSend
from persx.email_delivery.report import EmailPli, email_report, report_json
from persx.email_delivery.tasks import enqueue_send
from persx.jobs.progress import progress_status

START_PERMISSION = "persx_email_delivery.add_emailsend"


def _chart_row(row: EmailPli) -> IntervalRow:
    pli = row.pli
    bounded = pli is not None and pli.interval_exists
    return IntervalRow(
        label=row.label[:40],
        lift=pli.lift if pli is not None else None,
        lower=pli.lower if bounded and pli is not None else None,
        upper=pli.upper if bounded and pli is not None else None,
        note=f"{row.personalized.delivered + row.generic.delivered:,} delivered",
        emphasis=row.send_id is None,
    )


def _rate(value: float | None) -> str:
    return "—" if value is None else percent(value)


def _pli_text(row: EmailPli) -> str:
    pli = row.pli
    if pli is None:
        return "no recipients in a group yet"
    if not finite(pli.lift):
        return "no conversions yet"
    text = percent(pli.lift, signed=True)
    if not pli.interval_exists:
        return f"{text} (too few conversions to bound it)"
    return f"{text} ({percent(pli.lower, signed=True)} to {percent(pli.upper, signed=True)})"


def table_row(row: EmailPli) -> dict[str, Any]:
    """One row of the PLI table, as the page shows it."""
    p, g = row.personalized, row.generic
    return {
        "label": row.label,
        "send_id": row.send_id,
        "delivered": f"{p.delivered:,} · {g.delivered:,}",
        "clicks": f"{_rate(p.click_rate)} · {_rate(g.click_rate)}",
        "conversions": f"{_rate(p.conversion_rate)} · {_rate(g.conversion_rate)}",
        "pli": _pli_text(row),
    }


def send_status(send: EmailSend) -> dict[str, Any]:
    return progress_status(
        pk=send.pk,
        status=send.status,
        status_label=send.get_status_display(),
        finished=send.finished,
        done=send.done,
        total=send.total,
        message=send.message,
    ) | {
        "sent": send.sent,
        "skipped": send.skipped,
        "failed": send.failed,
        "skipped_by_reason": sending.skip_counts(send),
    }


class EmailScreen(MeasurementScreen):
    template_name = "persx_email_delivery/email.html"
    page_title = "Email"
    header_icon = "mail"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(START_PERMISSION):
            raise PermissionDenied("starting a send needs the permission to add email sends")
        try:
            send = sending.create_send(
                request.POST.get("template", ""),
                batch_size=request.POST.get("batch_size", "100"),
                user=request.user,
            )
        except (sending.UnknownTemplate, sending.BadOption) as exc:
            context = self.get_context_data(error=str(exc).strip("'\""))
            return self.render_to_response(context, status=400)
        enqueue_send(send)
        return redirect("persx_email_send", pk=send.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = email_report()
        rows = [report.overall, *report.rows]
        context.update(
            report=report,
            rows=[table_row(r) for r in rows],
            chart=interval_chart(
                [_chart_row(r) for r in rows], title="Email PLI per send with 95% intervals"
            ),
            templates=EmailTemplate.objects.order_by("name"),
            sends=EmailSend.objects.select_related("template").order_by("-created_at", "-pk")[:20],
            can_start=self.request.user.has_perm(START_PERMISSION),
            json_url=reverse("persx_email_report_json"),
            max_batch=sending.MAX_BATCH_SIZE,
        )
        return context


class SendScreen(MeasurementScreen):
    template_name = "persx_email_delivery/send.html"
    header_icon = "mail"
    parent_url_name = "persx_email"
    parent_label = "Email"

    def get_page_title(self) -> str:
        return f"Email send {self.send.pk}"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.send = get_object_or_404(EmailSend.objects.select_related("template"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Resume a stopped send."""
        if not request.user.has_perm(START_PERMISSION):
            raise PermissionDenied("resuming a send needs the permission to add email sends")
        if self.send.status == EmailSend.Status.STOPPED:
            enqueue_send(self.send)
        return redirect("persx_email_send", pk=self.send.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            send=self.send,
            status=send_status(self.send),
            status_url=reverse("persx_email_send_status", args=[self.send.pk]),
            can_start=self.request.user.has_perm(START_PERMISSION),
        )
        return context


@measurement_required
def send_status_view(request: HttpRequest, pk: int) -> JsonResponse:
    send = EmailSend.objects.filter(pk=pk).first()
    if send is None:
        raise Http404(f"no email send {pk}")
    response = JsonResponse(send_status(send))
    response["Cache-Control"] = "no-store"
    return response


@measurement_required
def report_json_view(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(report_json(email_report()))
    response["Cache-Control"] = "no-store"
    return response
