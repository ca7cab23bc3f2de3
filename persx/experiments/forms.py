"""The experiment edit form of the Wagtail admin: structured fields, one clear error per problem.

``clean()`` builds the engine's ``ExperimentDefinition`` from the submitted values, so the
admin accepts exactly what the request path can run; any ``ValueError`` the engine raises is
shown against the field it concerns. Saving goes through ``services.save_experiment``
(status stamps, cache invalidation by signal). What every kind's form shares (status,
page scope, engine errors) is in ``kind_form.ExperimentKindForm``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from wagtail.blocks import BlockField

from persx.catalog.repository import current_catalog
from persx.engine.deciding.block_types import BLOCK_TYPES
from persx.engine.setup_errors import SetupField
from persx.engine.visitor.profile import Provenance
from persx.events.experiment_metrics import METRICS
from persx.experiments import services
from persx.experiments.arm_editor import DEFAULT_ARMS, ArmsBlock, ArmsWidget, arms_to_json
from persx.experiments.kind_form import ExperimentKindForm, unit_interval_messages
from persx.experiments.mappers import build_definition, canonical_arms
from persx.experiments.models import Experiment, experiment_seed

PRIMARY_METRIC_CHOICES = [(m.key, m.label) for m in METRICS if m.primary]
SECONDARY_METRIC_CHOICES = [(m.key, m.label) for m in METRICS]
PROFILE_SOURCE_CHOICES = [
    (Provenance.START_FORM.value, "Start form"),
    (Provenance.URL_PARAM.value, "Link with ?industry="),
    (Provenance.INFERRED.value, "Inferred"),
    (Provenance.MANUAL.value, "Set by hand"),
]


def block_type_choices() -> list[tuple[str, str]]:
    return list(BLOCK_TYPES.items())


def industry_choices() -> list[tuple[str, str]]:
    return [(i.slug, i.name) for i in current_catalog().industries]


class ExperimentForm(ExperimentKindForm):
    form_field_of: ClassVar[Mapping[SetupField, str | None]] = {
        "key": "key",
        "arms": "arms",
        "coverage": "coverage",
        "namespace": "namespace_start",
        "hash_version": None,  # not editable here: a form-wide error
        "randomization_unit": "randomization_unit",
    }
    scope_page_help = "For a page scope: the page whose personalizable blocks it covers."

    scope_block_type = forms.ChoiceField(
        choices=block_type_choices,
        required=False,
        label="Block type",
        help_text="For a block-type scope: the personalizable block the experiment covers.",
    )
    arms = BlockField(
        block=ArmsBlock(),
        widget=ArmsWidget(),
        label="Arms",
        help_text=(
            "One generic control and at least one treatment. Weights are shares of the "
            "experiment's visitors and add up to 1 (e.g. 0.5 / 0.5)."
        ),
    )
    coverage = forms.FloatField(
        min_value=0,
        max_value=1,
        initial=1.0,
        error_messages=unit_interval_messages("coverage"),
        help_text="Share of eligible visitors who enter the experiment (0–1). Raising it "
        "later only adds visitors; nobody changes arm.",
    )
    target_industries = forms.MultipleChoiceField(
        choices=industry_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Industries",
        help_text="Only visitors of these industries enter. None ticked: every industry.",
    )
    target_sources = forms.MultipleChoiceField(
        choices=PROFILE_SOURCE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Profile sources",
        help_text="Only visitors whose industry came from these sources enter (e.g. "
        "Inferred: visitors who skipped the start form). None ticked: every source.",
    )
    primary_metric = forms.ChoiceField(choices=PRIMARY_METRIC_CHOICES)
    secondary_metrics = forms.MultipleChoiceField(
        choices=SECONDARY_METRIC_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    namespace = forms.SlugField(
        max_length=60,
        required=False,
        help_text="Experiments in one namespace with non-overlapping ranges never share a "
        "visitor. Leave empty for no mutual exclusion.",
    )
    namespace_start = forms.FloatField(
        min_value=0,
        max_value=1,
        initial=0.0,
        label="Range start",
        error_messages=unit_interval_messages("namespace range start"),
    )
    namespace_end = forms.FloatField(
        min_value=0,
        max_value=1,
        initial=1.0,
        label="Range end",
        error_messages=unit_interval_messages("namespace range end"),
    )
    randomization_unit = forms.ChoiceField(
        choices=Experiment.RandomizationUnit.choices,
        initial=Experiment.RandomizationUnit.VISITOR,
        required=False,  # not posted (an older form, a script): visitor, as before
        widget=forms.RadioSelect,
        label="Randomization unit",
        help_text=(
            "Visitor: each visitor gets their own arm. Account: everyone from one company "
            "(known from a work email, the firmographic lookup, a sign-in or the CRM) sees the "
            "same arm, so colleagues do not compare two versions; visitors of no known "
            "company get their own arm, and a visitor whose company becomes known later keeps "
            "the arm they were shown. Cannot change once the experiment has started."
        ),
    )
    sequential_tuning_n = forms.IntegerField(
        min_value=100,
        initial=5000,
        label="Sequential tuning (visitors)",
        help_text="Expected visitors per arm; tunes the always-valid interval. Keep it fixed "
        "while the experiment runs.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: Experiment = self.instance
        self.previous_key = instance.key
        self.previous_arms = self._canonical(instance.arms or [])
        self.previous_bucket_version = instance.bucket_version
        block = self.fields["arms"].block
        self.initial["arms"] = block.to_python(instance.arms or DEFAULT_ARMS)
        if instance.scope_kind == Experiment.ScopeKind.BLOCK_TYPE:
            self.initial["scope_block_type"] = instance.scope_value
        if self.has_run and "randomization_unit" in self.fields:
            # Locked: changing it would move visitors between arms (docs/accounts.md).
            unit = self.fields["randomization_unit"]
            unit.disabled = True
            unit.help_text = (
                "Locked: this experiment has run, and changing the unit would move visitors "
                "between arms. " + str(unit.help_text)
            )

    def stored_scope_page(self) -> str:
        instance: Experiment = self.instance
        return instance.scope_value if instance.scope_kind == Experiment.ScopeKind.PAGE else ""

    def clean_arms(self) -> list[dict[str, Any]]:
        return arms_to_json(self.cleaned_data["arms"])

    def clean_kind(self, data: dict[str, Any]) -> None:
        if not data.get("randomization_unit"):
            data["randomization_unit"] = Experiment.RandomizationUnit.VISITOR
        self._clean_scope(data)
        self._clean_namespace(data)
        self._protect_a_started_experiment(data)

    def _protect_a_started_experiment(self, data: dict[str, Any]) -> None:
        """Once visitors were assigned, changes must not silently move them between arms."""
        if not self.has_run:
            return
        if "key" in data and data["key"] != self.previous_key:
            self.add_error(
                "key", "key: cannot change once the experiment has run (its events use it)"
            )
        rerandomised = data.get("bucket_version", 0) > self.previous_bucket_version
        changed = "arms" in data and self._canonical(data["arms"]) != self.previous_arms
        if changed and not rerandomised:
            self.add_error(
                "arms",
                "arms: changing the arms of an experiment that has run moves visitors between "
                "arms; raise the bucket version to re-randomise everyone as well",
            )

    @staticmethod
    def _canonical(arms: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        try:
            return canonical_arms(arms)
        except ValueError:
            return None

    def _clean_scope(self, data: dict[str, Any]) -> None:
        kind = data.get("scope_kind")
        if kind == Experiment.ScopeKind.BLOCK_TYPE:
            if not data.get("scope_block_type"):
                self.add_error("scope_block_type", "scope: choose the block type to experiment on")
            data["scope_value"] = data.get("scope_block_type") or ""
        elif kind == Experiment.ScopeKind.PAGE:
            page = data.get("scope_page")
            if page is None and "scope_page" not in self.errors:
                self.add_error("scope_page", "scope: choose the page to experiment on")
            data["scope_value"] = str(page.pk) if page is not None else ""
        else:
            data["scope_value"] = ""
        self.instance.scope_value = data["scope_value"]

    def _clean_namespace(self, data: dict[str, Any]) -> None:
        start, end = data.get("namespace_start"), data.get("namespace_end")
        if start is None or end is None:
            return
        if start >= end:
            self.add_error("namespace_end", "namespace: the range end must be above its start")
            return
        namespace = data.get("namespace")
        if not namespace or data.get("status") != Experiment.Status.RUNNING:
            return
        overlapping = (
            Experiment.objects.filter(
                namespace=namespace,
                status=Experiment.Status.RUNNING,
                namespace_start__lt=end,
                namespace_end__gt=start,
            )
            .exclude(pk=self.instance.pk)
            .first()
        )
        if overlapping is not None:
            self.add_error(
                "namespace_start",
                f"namespace: {start:g}–{end:g} overlaps running experiment "
                f"'{overlapping.key}' ({overlapping.namespace_start:g}–"
                f"{overlapping.namespace_end:g}) in namespace '{namespace}'",
            )

    def check_with_engine(self, data: dict[str, Any]) -> None:
        build_definition(
            key=data["key"],
            seed=experiment_seed(data["key"], data["bucket_version"]),
            arms=data["arms"],
            coverage=data["coverage"],
            hash_version=self.instance.hash_version,
            namespace=data.get("namespace") or "",
            namespace_start=data["namespace_start"],
            namespace_end=data["namespace_end"],
            scope_kind=data["scope_kind"],
            scope_value=data["scope_value"],
            target_industries=data.get("target_industries") or (),
            requires_profile=data.get("requires_profile", True),
            requires_consent=data.get("requires_consent", False),
            primary_metric=data["primary_metric"],
            secondary_metrics=data.get("secondary_metrics") or (),
            target_sources=data.get("target_sources") or (),
            randomization_unit=data.get("randomization_unit") or "visitor",
        )

    def save_row(self) -> Experiment:
        return services.save_experiment(self.instance, self.previous_status)
