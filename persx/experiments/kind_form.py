"""The admin edit form every kind of experiment shares: status, page scope, engine errors.

A kind's form (``forms.ExperimentForm``, ``bandit_forms.BanditForm``) subclasses
:class:`ExperimentKindForm` and supplies its own fields, ``clean_kind`` (its own rules),
``check_with_engine`` (build the engine's definition from the cleaned values), where it
stores the scope page, which form field shows each engine setup error, and ``save_row``
(its service). Everything wrong comes back as a form error naming the field (HTTP 200 with
the form again), never an exception out of the view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminPageChooser
from wagtail.models import Page

from persx.engine.setup_errors import InvalidSetup, SetupField
from persx.experiments.lifecycle import has_run, status_change_problem
from persx.experiments.models import AbstractExperiment

SCOPE_PAGE_MISSING = "page: no such page; choose one with the page chooser"


def unit_interval_messages(field: str, upper: float = 1.0) -> dict[str, str]:
    """Error messages for a number field bounded to [0, upper], naming the field."""
    message = f"{field}: must be a number between 0 and {upper:g}"
    return {"min_value": message, "max_value": message, "invalid": message}


class ScopePageChooser(AdminPageChooser):
    """Wagtail's page chooser, shown again safely after a posted page id that is no number
    (Wagtail's own looks the raw value up as a primary key and fails with a 500)."""

    def get_instance(self, value: Any) -> Page | None:
        if isinstance(value, str) and not value.isdigit():
            return None
        instance: Page | None = super().get_instance(value)
        return instance


class ExperimentKindForm(WagtailAdminModelForm):
    # The form field that shows each engine setup error (engine.setup_errors.SetupField);
    # a field not listed, or listed as None, shows as a form-wide error.
    form_field_of: ClassVar[Mapping[SetupField, str | None]] = {}
    scope_page_label: ClassVar[str] = "Page"
    scope_page_help: ClassVar[str] = ""

    scope_page = forms.ModelChoiceField(
        queryset=Page.objects.filter(depth__gt=1),
        required=False,
        widget=ScopePageChooser(),
        error_messages={"invalid_choice": SCOPE_PAGE_MISSING},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: AbstractExperiment = self.instance
        self.previous_status: str | None = instance.status if instance.pk else None
        self.fields["scope_page"].label = self.scope_page_label
        self.fields["scope_page"].help_text = self.scope_page_help
        page_id = self.stored_scope_page()
        if page_id.isdigit():
            self.initial["scope_page"] = int(page_id)

    @property
    def has_run(self) -> bool:
        """Whether the row had visitors before this edit (running or stopped)."""
        return has_run(self.previous_status)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        problem = status_change_problem(
            type(self.instance), self.previous_status, data.get("status", "")
        )
        if problem:
            self.add_error("status", problem)
        self.clean_kind(data)
        if not self.errors:
            try:
                self.check_with_engine(data)
            except InvalidSetup as exc:
                self.add_error(self.form_field_of.get(exc.field), f"{exc.field}: {exc}")
        return data

    def save(self, commit: bool = True) -> Any:
        if not commit:
            return super().save(commit=False)
        return self.save_row()

    # --- what each kind supplies ---------------------------------------------------------

    def stored_scope_page(self) -> str:
        """The page id the row is scoped to ("" for none)."""
        raise NotImplementedError

    def clean_kind(self, data: dict[str, Any]) -> None:
        """The kind's own checks (``add_error`` per field) and unsaved fields on the instance."""
        raise NotImplementedError

    def check_with_engine(self, data: dict[str, Any]) -> None:
        """Build the engine's definition from ``data`` (raises ``InvalidSetup``)."""
        raise NotImplementedError

    def save_row(self) -> AbstractExperiment:
        """Save the instance through the kind's service."""
        raise NotImplementedError
