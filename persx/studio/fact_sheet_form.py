"""The fact-sheet edit form: what AI drafts for one audience may say.

List fields hold one item per line. Validation names the field: lines too long or too
many, a word to avoid that an approved proof point itself uses, a tone that is too long.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from persx.engine.drafting.port import FactSheet

MAX_LINES = 25
MAX_LINE = 300
LIST_FIELDS = (
    "pains",
    "goals",
    "tools",
    "proof_points",
    "customers",
    "certifications",
    "words_to_avoid",
)
FIELD_HELP = {
    "summary": "Who this audience is, in two or three sentences.",
    "pains": "One pain per line.",
    "goals": "One goal per line.",
    "tools": "Tools they use, one per line.",
    "proof_points": (
        "Approved claims with their numbers, one per line. A draft may state a figure, "
        "customer or certification only if it appears here (or in the lists below)."
    ),
    "customers": "Customer names drafts may mention, one per line.",
    "certifications": "Certifications and standards drafts may mention, one per line.",
    "words_to_avoid": "Words or phrases drafts must not use, one per line.",
    "tone": "How drafts should sound, e.g. 'plain, confident, no hype'.",
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class FactSheetForm(forms.Form):
    summary = forms.CharField(required=False, max_length=1000, widget=forms.Textarea({"rows": 3}))
    pains = forms.CharField(required=False, widget=forms.Textarea({"rows": 4}))
    goals = forms.CharField(required=False, widget=forms.Textarea({"rows": 4}))
    tools = forms.CharField(required=False, widget=forms.Textarea({"rows": 3}))
    proof_points = forms.CharField(
        required=False,
        label="Approved proof points and numbers",
        widget=forms.Textarea({"rows": 5}),
    )
    customers = forms.CharField(required=False, widget=forms.Textarea({"rows": 2}))
    certifications = forms.CharField(required=False, widget=forms.Textarea({"rows": 2}))
    words_to_avoid = forms.CharField(required=False, widget=forms.Textarea({"rows": 3}))
    tone = forms.CharField(required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, text in FIELD_HELP.items():
            self.fields[name].help_text = text

    def _clean_list(self, name: str) -> str:
        lines = _lines(self.cleaned_data.get(name) or "")
        label = self.fields[name].label or name.replace("_", " ").capitalize()
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(
                f"at most {MAX_LINES} lines ({label.lower()} has {len(lines)})"
            )
        for number, line in enumerate(lines, start=1):
            if len(line) > MAX_LINE:
                raise forms.ValidationError(
                    f"line {number} has {len(line)} characters (at most {MAX_LINE})"
                )
        return "\n".join(lines)

    def clean_pains(self) -> str:
        return self._clean_list("pains")

    def clean_goals(self) -> str:
        return self._clean_list("goals")

    def clean_tools(self) -> str:
        return self._clean_list("tools")

    def clean_proof_points(self) -> str:
        return self._clean_list("proof_points")

    def clean_customers(self) -> str:
        return self._clean_list("customers")

    def clean_certifications(self) -> str:
        return self._clean_list("certifications")

    def clean_words_to_avoid(self) -> str:
        return self._clean_list("words_to_avoid")

    def clean_summary(self) -> str:
        return (self.cleaned_data.get("summary") or "").strip()

    def clean_tone(self) -> str:
        return (self.cleaned_data.get("tone") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        stated = "\n".join(
            str(data.get(name) or "") for name in ("proof_points", "customers", "certifications")
        ).lower()
        for word in _lines(str(data.get("words_to_avoid") or "")):
            if re.search(rf"\b{re.escape(word.lower())}\b", stated):
                self.add_error(
                    "words_to_avoid",
                    f"“{word}” is used by an approved proof point, customer "
                    "or certification; remove it from one of the two",
                )
        return data


def initial_from(sheet: FactSheet) -> dict[str, str]:
    """The form's starting values from a sheet (stored, or derived from the catalog)."""
    return {
        "summary": sheet.summary,
        "pains": "\n".join(sheet.pains),
        "goals": "\n".join(sheet.goals),
        "tools": "\n".join(sheet.tools),
        "proof_points": "\n".join(sheet.proof_points),
        "customers": "\n".join(sheet.customers),
        "certifications": "\n".join(sheet.certifications),
        "words_to_avoid": "\n".join(sheet.words_to_avoid),
        "tone": sheet.tone,
    }
