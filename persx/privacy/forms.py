from __future__ import annotations

from django import forms

from persx.engine.visitor.profile import ConsentState


class ConsentForm(forms.Form):
    choice = forms.ChoiceField(
        choices=[(str(ConsentState.GRANTED), "Accept"), (str(ConsentState.DENIED), "Decline")]
    )
    next = forms.CharField(max_length=200, required=False)


class DataRequestForm(forms.Form):
    """An administrator's export or erasure on request by email."""

    email = forms.EmailField(max_length=254, label="Email address of the person asking")
    action = forms.ChoiceField(choices=[("export", "Export"), ("erase", "Erase")])
    confirm = forms.BooleanField(
        required=False, label="I checked the request and want to erase this person's data"
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == "erase" and not data.get("confirm"):
            self.add_error("confirm", "Tick this box to erase: erasure cannot be undone.")
        return data
