"""The start form (and its one-question sibling), with choices from the catalog."""

from __future__ import annotations

from typing import Any

from django import forms

from persx.engine.catalog import Catalog

MAX_GOALS = 5


class StartForm(forms.Form):
    industry = forms.ChoiceField(widget=forms.RadioSelect, label="Your industry")
    goals = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label="What are you working on?",
        help_text=f"Pick 1–{MAX_GOALS}.",
    )
    tools = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False, label="Your martech stack"
    )
    role = forms.CharField(
        max_length=80,
        required=False,
        label="Your role (optional)",
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. Head of Growth", "autocomplete": "organization-title"}
        ),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)

    def __init__(self, *args: Any, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [(i.slug, i.name) for i in catalog.industries]  # type: ignore[attr-defined]
        self.fields["goals"].choices = [(g.slug, g.label) for g in catalog.goals]  # type: ignore[attr-defined]
        self.fields["tools"].choices = [(t.slug, t.label) for t in catalog.tools]  # type: ignore[attr-defined]

    def clean_goals(self) -> list[str]:
        goals: list[str] = self.cleaned_data["goals"]
        if len(goals) > MAX_GOALS:
            raise forms.ValidationError(f"Pick at most {MAX_GOALS} goals.")
        return goals


class IndustryForm(forms.Form):
    """The one-question prompt: just the industry."""

    industry = forms.ChoiceField(label="Your industry")
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)

    def __init__(self, *args: Any, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [(i.slug, i.name) for i in catalog.industries]  # type: ignore[attr-defined]
