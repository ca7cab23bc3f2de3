"""Studio admin pages for fact sheets: the list (one per industry and persona, with its
version) and the edit form, which saves a new version through
:func:`persx.studio.services.save_fact_sheet` (400 with the errors naming the fields)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from persx.catalog.repository import current_catalog
from persx.studio.admin_screen import StudioScreen
from persx.studio.fact_sheet_form import FactSheetForm, initial_from
from persx.studio.fact_sheets import fact_sheet_for
from persx.studio.models import FactSheet
from persx.studio.services import save_fact_sheet
from persx.studio.views import audience_label, audience_options


class FactSheetListView(StudioScreen):
    template_name = "persx_studio/fact_sheets.html"
    page_title = "Fact sheets"
    header_icon = "doc-full"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        stored = {s.audience: s for s in FactSheet.objects.all()}
        context["groups"] = [
            {
                "label": group["label"],
                "sheets": [
                    {
                        "audience": key,
                        "label": label,
                        "sheet": stored.get(key),
                        "url": reverse("persx_studio_fact_sheet", args=[key]),
                    }
                    for key, label in group["options"]
                ],
            }
            for group in audience_options()
        ]
        return context


class FactSheetEditView(StudioScreen):
    template_name = "persx_studio/fact_sheet_edit.html"
    page_title = "Edit a fact sheet"
    header_icon = "doc-full"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.audience = kwargs["audience"]
        if not current_catalog().is_valid_audience(self.audience):
            raise Http404(f"audience: unknown audience '{self.audience}'")
        self.form = FactSheetForm(initial=initial_from(fact_sheet_for(self.audience)))
        return super().dispatch(request, *args, **kwargs)

    parent_url_name = "persx_studio_fact_sheets"
    parent_label = "Fact sheets"

    def crumb_label(self) -> str:
        return audience_label(self.audience)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form = FactSheetForm(request.POST)
        if not self.form.is_valid():
            response = self.get(request, *args, **kwargs)
            response.status_code = 400
            return response
        before = FactSheet.objects.filter(audience=self.audience).first()
        sheet = save_fact_sheet(self.audience, **self.form.cleaned_data)
        if before is not None and before.version == sheet.version:
            messages.info(
                request, f"Nothing changed: the fact sheet stays at version {sheet.version}."
            )
        else:
            messages.success(
                request,
                f"Saved the fact sheet for {audience_label(self.audience)} as version "
                f"{sheet.version}. New drafts use it; earlier drafts keep the version they used.",
            )
        return redirect("persx_studio_fact_sheet", audience=self.audience)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        stored = FactSheet.objects.filter(audience=self.audience).first()
        context.update(
            form=self.form,
            audience=self.audience,
            audience_label=audience_label(self.audience),
            stored=stored,
            errors=[
                (self.form.fields[name].label or name, name, message)
                for name, messages_ in self.form.errors.items()
                if name in self.form.fields
                for message in messages_
            ],
        )
        return context
