"""The start form (and its one-question sibling), with choices from the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from persx.engine.visitor.catalog import Catalog

MAX_GOALS = 5


@dataclass(frozen=True, slots=True)
class ScopedChoice:
    """A goal or tool with the industries whose personas have it (shown first for those)."""

    value: str
    label: str
    industries: tuple[str, ...]


def _scoped(
    options: list[tuple[str, str]], by_industry: dict[str, tuple[str, ...]]
) -> list[ScopedChoice]:
    return [
        ScopedChoice(value, label, tuple(i for i, own in by_industry.items() if value in own))
        for value, label in options
    ]


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
        industries = [i.slug for i in catalog.industries]
        self.goal_choices = _scoped(
            [(g.slug, g.label) for g in catalog.goals],
            {i: catalog.goals_for(i) for i in industries},
        )
        self.tool_choices = _scoped(
            [(t.slug, t.label) for t in catalog.tools],
            {i: catalog.tools_for(i) for i in industries},
        )

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
