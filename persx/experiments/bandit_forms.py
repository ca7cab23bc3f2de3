"""The bandit edit form of the Wagtail admin: choices for every field, the engine's checks.

``check_with_engine`` builds the engine's ``BanditSetup`` from the submitted values, so the
admin accepts exactly what the request path and the allocation update can run; an
``InvalidSetup`` is shown against the field it names (``kind_form.ExperimentKindForm``).
Saving goes through ``services.save_bandit`` (status stamps, version 1 of the allocation on
start).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms

from persx.catalog.audience_choices import audience_choices
from persx.engine.deciding.block_types import BLOCK_TYPES
from persx.engine.setup_errors import SetupField
from persx.events.experiment_metrics import METRICS
from persx.experiments import services
from persx.experiments.bandit_mappers import build_setup
from persx.experiments.kind_form import ExperimentKindForm, unit_interval_messages
from persx.experiments.models import Bandit


class BanditForm(ExperimentKindForm):
    form_field_of: ClassVar[Mapping[SetupField, str | None]] = {
        "key": "key",
        "block_type": "block_type",
        "audience": "audience",
        "arms": "arms",
        "metric": "metric",
        "guardrail_metric": "guardrail_metric",
        "guardrail_drop": "guardrail_drop",
        "holdback_share": "holdback_share",
        "min_exploration": "min_exploration",
        "retire_below": "retire_below",
    }
    scope_page_label = "Only on page"
    scope_page_help = "Leave empty for every page with this block type."

    block_type = forms.ChoiceField(
        choices=lambda: list(BLOCK_TYPES.items()),
        help_text="The personalizable block whose variants the bandit chooses between.",
    )
    audience = forms.ChoiceField(
        choices=audience_choices,
        help_text="Visitors of this audience enter the bandit (others see their usual variant).",
    )
    arms = forms.MultipleChoiceField(
        choices=audience_choices,
        widget=forms.CheckboxSelectMultiple,
        label="Variants (arms besides generic)",
        help_text="Generic is always an arm. A block is covered only where it holds every "
        "ticked variant.",
    )
    metric = forms.ChoiceField(choices=[(m.key, m.label) for m in METRICS if m.primary])
    guardrail_metric = forms.ChoiceField(
        choices=[("", "No guardrail"), *((m.key, m.label) for m in METRICS)], required=False
    )
    guardrail_drop = forms.FloatField(
        min_value=0,
        max_value=0.99,
        initial=0.1,
        label="Tolerated guardrail drop",
        error_messages=unit_interval_messages("tolerated guardrail drop", 0.99),
        help_text="Relative to generic (0.1 = 10% lower). An arm clearly below it is held "
        "at the exploration floor.",
    )
    holdback_share = forms.FloatField(
        min_value=0,
        max_value=0.5,
        initial=0.1,
        error_messages=unit_interval_messages("holdback share", 0.5),
        help_text="Visitors who always get a uniformly random arm; PLI is read from them "
        "only. Fixed once the bandit has run.",
    )
    min_exploration = forms.FloatField(
        min_value=0,
        max_value=0.5,
        initial=0.05,
        label="Minimum exploration share",
        error_messages=unit_interval_messages("minimum exploration share", 0.5),
    )
    retire_below = forms.FloatField(
        min_value=0,
        max_value=0.99,
        initial=0.02,
        label="Retirement threshold",
        error_messages=unit_interval_messages("retirement threshold", 0.99),
        help_text="An arm whose chance to be best stays below this is proposed for retirement.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: Bandit = self.instance
        self.previous_arms = list(instance.arms or [])
        self.previous_holdback = instance.holdback_share

    def stored_scope_page(self) -> str:
        instance: Bandit = self.instance
        return instance.page_id_scope

    def clean_kind(self, data: dict[str, Any]) -> None:
        if self.has_run and "arms" in data and sorted(data["arms"]) != sorted(self.previous_arms):
            self.add_error("arms", f"arms: {services.BANDIT_ARMS_FIXED}")
        if self.has_run and data.get("holdback_share") not in (None, self.previous_holdback):
            self.add_error("holdback_share", "holdback share: fixed once the bandit has run")
        page = data.get("scope_page")
        self.instance.page_id_scope = str(page.pk) if page is not None else ""

    def check_with_engine(self, data: dict[str, Any]) -> None:
        build_setup(
            key=data["key"],
            block_type=data["block_type"],
            audience=data["audience"],
            arms=list(data["arms"]),
            metric=data["metric"],
            guardrail_metric=data.get("guardrail_metric") or "",
            guardrail_drop=data["guardrail_drop"],
            holdback_share=data["holdback_share"],
            min_exploration=data["min_exploration"],
            retire_below=data["retire_below"],
            retire_after=data["retire_after"],
            page_id=self.instance.page_id_scope,
        )

    def save_row(self) -> Bandit:
        return services.save_bandit(self.instance, self.previous_status, self.previous_arms)
