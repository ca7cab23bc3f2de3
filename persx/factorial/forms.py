"""The factorial experiment edit form of the Wagtail admin: up to three blocks (factors),
each with the options it is tested with; the engine's checks on the whole design.

``check_with_engine`` builds the engine's ``FactorialDefinition`` from the submitted values,
so the admin accepts exactly what the request path can serve; what every kind's form
shares (status rule, engine errors on the named field) is ``kind_form.ExperimentKindForm``.
Saving goes through ``services.save_factorial``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms

from persx.engine.deciding.block_types import BLOCK_TYPES
from persx.engine.deciding.factorial_cells import MAX_FACTORS, OptionKind
from persx.engine.setup_errors import SetupField
from persx.events.experiment_metrics import METRICS
from persx.experiments.kind_form import ExperimentKindForm, unit_interval_messages
from persx.factorial import services
from persx.factorial.mappers import factor_pairs, to_definition
from persx.factorial.models import FactorialExperiment

OPTION_CHOICES = [
    (OptionKind.GENERIC.value, "Generic (the block's base content)"),
    (OptionKind.INDUSTRY.value, "Industry (the visitor's industry variant)"),
    (OptionKind.PERSONALIZED.value, "Personalized (persona, else industry, else generic)"),
]
FACTOR_NUMBERS = tuple(range(1, MAX_FACTORS + 1))


def block_choices() -> list[tuple[str, str]]:
    return [("", "—"), *BLOCK_TYPES.items()]


class FactorialForm(ExperimentKindForm):
    form_field_of: ClassVar[Mapping[SetupField, str | None]] = {
        "key": "key",
        "coverage": "coverage",
        "block_type": "factor_1_block",
        "arms": None,  # the design as a whole: a form-wide error
        "hash_version": None,
        "randomization_unit": "randomization_unit",
    }

    factor_1_block = forms.ChoiceField(choices=block_choices, label="Block 1")
    factor_1_options = forms.MultipleChoiceField(
        choices=OPTION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label="Options of block 1",
        help_text="Two or three. Generic, when ticked, is the reference the effects are read "
        "against.",
    )
    factor_2_block = forms.ChoiceField(choices=block_choices, label="Block 2")
    factor_2_options = forms.MultipleChoiceField(
        choices=OPTION_CHOICES, widget=forms.CheckboxSelectMultiple, label="Options of block 2"
    )
    factor_3_block = forms.ChoiceField(
        choices=block_choices, label="Block 3", required=False, help_text="Optional."
    )
    factor_3_options = forms.MultipleChoiceField(
        choices=OPTION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label="Options of block 3",
        required=False,
    )
    coverage = forms.FloatField(
        min_value=0,
        max_value=1,
        initial=1.0,
        error_messages=unit_interval_messages("coverage"),
        help_text="Share of profiled visitors who enter the experiment (0–1).",
    )
    primary_metric = forms.ChoiceField(choices=[(m.key, m.label) for m in METRICS if m.primary])
    randomization_unit = forms.ChoiceField(
        choices=FactorialExperiment.RandomizationUnit.choices,
        initial=FactorialExperiment.RandomizationUnit.VISITOR,
        required=False,  # not posted: visitor
        widget=forms.RadioSelect,
        label="Randomization unit",
        help_text="Visitor: each visitor gets their own combination. Account: everyone from "
        "one known company sees the same combination (visitors of no known company get their "
        "own). Cannot change once the experiment has started.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: FactorialExperiment = self.instance
        self.previous_factors = list(instance.factors or [])
        for number, (block, options) in zip(
            FACTOR_NUMBERS, factor_pairs(instance.factors), strict=False
        ):
            self.initial[f"factor_{number}_block"] = block
            self.initial[f"factor_{number}_options"] = options
        if self.has_run and "randomization_unit" in self.fields:
            # Locked: changing it would move visitors between combinations.
            self.fields["randomization_unit"].disabled = True

    def stored_scope_page(self) -> str:
        return ""  # a factorial covers its blocks wherever they are

    def submitted_factors(self, data: dict[str, Any]) -> list[tuple[str, list[str]]]:
        """The filled-in factors, options in the order of the choices (generic first)."""
        order = [value for value, _ in OPTION_CHOICES]
        factors = []
        for number in FACTOR_NUMBERS:
            block = data.get(f"factor_{number}_block") or ""
            options = list(data.get(f"factor_{number}_options") or [])
            if block or options:
                factors.append((block, sorted(options, key=order.index)))
        return factors

    def clean_kind(self, data: dict[str, Any]) -> None:
        if not data.get("randomization_unit"):
            data["randomization_unit"] = FactorialExperiment.RandomizationUnit.VISITOR
        self.instance.randomization_unit = data["randomization_unit"]
        for number in FACTOR_NUMBERS:
            block = data.get(f"factor_{number}_block")
            options = data.get(f"factor_{number}_options") or []
            if options and not block:
                self.add_error(f"factor_{number}_block", f"block {number}: choose a block")
            elif block and not 2 <= len(options) <= 3:
                self.add_error(
                    f"factor_{number}_options", f"options of block {number}: tick two or three"
                )
        factors = self.submitted_factors(data)
        blocks = [block for block, _ in factors]
        if len(set(blocks)) != len(blocks):
            self.add_error("factor_2_block", "blocks: each block can be one factor only")
        if self.has_run and factors != factor_pairs(self.previous_factors):
            self.add_error(None, f"factors: {services.FACTORS_FIXED}")
        self.instance.factors = [{"block_type": b, "options": o} for b, o in factors]

    def check_with_engine(self, data: dict[str, Any]) -> None:
        to_definition(
            FactorialExperiment(
                key=data["key"],
                factors=self.instance.factors,
                coverage=data["coverage"],
                bucket_version=data.get("bucket_version") or 1,
                randomization_unit=data["randomization_unit"],
            )
        )

    def save_row(self) -> FactorialExperiment:
        return services.save_factorial(
            self.instance, self.previous_status, previous_factors=self.previous_factors
        )
