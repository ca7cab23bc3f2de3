"""Admin page for the persona review, with Markdown and CSV downloads."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from persx.access.measurement import measurement_required
from persx.access.measurement_screen import MeasurementScreen
from persx.personas.export import to_csv, to_markdown
from persx.personas.review import build_review, parse_since

DEFAULT_SINCE = "90d"


def _days(request: HttpRequest) -> tuple[int, str]:
    text = request.GET.get("since", DEFAULT_SINCE)
    try:
        return parse_since(text), text
    except ValueError:
        return parse_since(DEFAULT_SINCE), DEFAULT_SINCE


class PersonaReviewView(MeasurementScreen):
    template_name = "persx_personas/review.html"
    page_title = "Persona review"
    header_icon = "group"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        days, since = _days(self.request)
        context |= {"review": build_review(days), "since": since}
        return context


@measurement_required
def review_download(request: HttpRequest, fmt: str) -> HttpResponse:
    days, since = _days(request)
    review = build_review(days)
    if fmt == "csv":
        response = HttpResponse(to_csv(review), content_type="text/csv; charset=utf-8")
        name = f"persona-review-{since}.csv"
    else:
        response = HttpResponse(to_markdown(review), content_type="text/markdown; charset=utf-8")
        name = f"persona-review-{since}.md"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
