"""The arms of an experiment as a structured editor (a Wagtail list of arm rows).

Editors add, remove and reorder rows of key / kind / weight / variant instead of typing
JSON. Each problem is reported on the row and field it concerns; the checks that span rows
(at least two arms, one generic control, unique keys, weights adding up to 1) are reported
on the list. The stored shape stays the ``Experiment.arms`` JSON contract.
"""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from wagtail import blocks
from wagtail.blocks.base import BlockWidget
from wagtail.blocks.list_block import ListBlockValidationError
from wagtail.blocks.struct_block import StructBlockValidationError

from persx.catalog.audience_choices import audience_choices
from persx.engine.deciding.experiments import ArmKind

ARM_KIND_CHOICES = [
    (ArmKind.GENERIC.value, "Generic (control): everyone sees the base content"),
    (ArmKind.PERSONALIZED.value, "Personalized: persona > industry > generic, as usual"),
    (ArmKind.VARIANT.value, "Variant: always this audience's variant"),
]
WEIGHT_TOLERANCE = 1e-6

DEFAULT_ARMS: list[dict[str, Any]] = [
    {"key": "control", "kind": ArmKind.GENERIC.value, "weight": 0.5},
    {"key": "personalized", "kind": ArmKind.PERSONALIZED.value, "weight": 0.5},
]


class ArmBlock(blocks.StructBlock):
    key = blocks.CharBlock(
        max_length=40,
        validators=[validate_slug],
        help_text="Short id stored with every exposure, e.g. control, personalized, saas-copy.",
    )
    kind = blocks.ChoiceBlock(choices=ARM_KIND_CHOICES, default=ArmKind.PERSONALIZED.value)
    weight = blocks.FloatBlock(
        min_value=0,
        max_value=1,
        help_text="Share of the experiment's visitors in this arm; all weights add up to 1.",
    )
    variant_key = blocks.ChoiceBlock(
        choices=audience_choices,
        required=False,
        label="Variant",
        help_text="Variant arms only: the audience variant this arm always serves.",
    )

    class Meta:
        icon = "arrow-right"
        label = "Arm"


class ArmsBlock(blocks.ListBlock):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ArmBlock(), **kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        row_errors: dict[int, ValidationError] = {}
        seen: dict[str, int] = {}
        for index, arm in enumerate(value):
            if arm["kind"] == ArmKind.VARIANT and not arm["variant_key"]:
                row_errors[index] = StructBlockValidationError(
                    block_errors={
                        "variant_key": ValidationError(
                            "variant_key: a variant arm must name the audience variant it serves"
                        )
                    }
                )
            elif arm["key"] in seen:
                row_errors[index] = StructBlockValidationError(
                    block_errors={
                        "key": ValidationError(
                            f"key: '{arm['key']}' is already used by arm {seen[arm['key']] + 1}"
                        )
                    }
                )
            seen.setdefault(arm["key"], index)
        problems: list[ValidationError] = []
        if len(value) < 2:
            problems.append(
                ValidationError("arms: an experiment needs at least two arms (control + treatment)")
            )
        controls = sum(1 for arm in value if arm["kind"] == ArmKind.GENERIC)
        if controls != 1:
            problems.append(
                ValidationError(
                    f"arms: exactly one arm must be the generic control; found {controls}"
                )
            )
        total = sum(arm["weight"] for arm in value)
        if value and not math.isclose(total, 1.0, abs_tol=WEIGHT_TOLERANCE):
            problems.append(
                ValidationError(f"arms: the weights add up to {total:g}; they must add up to 1")
            )
        if row_errors or problems:
            raise ListBlockValidationError(block_errors=row_errors, non_block_errors=problems)
        return value


class ArmsWidget(BlockWidget):
    """The arm list as a form widget, with the script that lets a list be a field's root.

    Wagtail's block-field controller expects the root block to expose ``element`` (a stream
    does, a list does not); ``list_block_root.js`` adds it, so the editor connects without a
    console error.
    """

    def __init__(self, block_def: ArmsBlock | None = None) -> None:
        super().__init__(block_def or ArmsBlock())

    @property
    def media(self) -> forms.Media:
        return super().media + forms.Media(js=["persx/admin/list_block_root.js"])


def arms_to_json(value: Any) -> list[dict[str, Any]]:
    """The editor's cleaned value → the stored ``[{key, kind, weight, variant_key?}]``."""
    arms: list[dict[str, Any]] = []
    for arm in value:
        stored: dict[str, Any] = {
            "key": arm["key"],
            "kind": arm["kind"],
            "weight": float(arm["weight"]),
        }
        if arm["kind"] == ArmKind.VARIANT:
            stored["variant_key"] = arm["variant_key"]
        arms.append(stored)
    return arms
