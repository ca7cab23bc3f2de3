"""Experiments and the global holdout on top of variant selection.

Order of a block decision for a profiled visitor:

1. global holdout (own seed, default 10%) → generic, reason ``holdout``;
2. the first running experiment whose scope covers the block, whose targeting admits the
   visitor and whose bucketing puts the visitor in an arm:
   - a ``generic`` arm → generic, reason ``experiment_control`` (``would_be`` records the
     variant the visitor would have seen, so control exposures are comparable);
   - a ``personalized`` arm → normal selection (persona > industry > generic);
   - a ``variant`` arm → that arm's variant key when the block has it, else normal selection;
     an AI challenger key (``<audience>~ai``) only replaces the audience's own variant: a
     visitor whose normal selection is another variant keeps it;
3. the first running factorial experiment with a factor on the block: the option of the
   visitor's cell (``engine.deciding.factorial_cells``; arm = the cell's key);
4. the first running bandit that covers the block (block type, page, audience, every arm's
   variant present): the visitor's arm under the current allocation (reason ``bandit``) or,
   in the bandit's fixed holdback, a uniformly random arm (reason ``bandit_holdback``,
   recorded under the holdback's own experiment key so PLI is read from it only);
5. otherwise normal selection.

Precedence: an experiment that admits the visitor wins over a bandit on the same block, so
an experiment's arms stay a fixed randomised design and the bandit never learns from
visitors whose variant it did not choose.

Visitors without a profile are never in a PLI experiment and never held out (they see
generic content anyway). Namespaces keep experiments mutually exclusive.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from persx.engine.deciding.bandit_arms import RunningBandit, choose, holdback_key
from persx.engine.deciding.bucketing import (
    ExperimentSpec,
    RandomizationUnit,
    assign,
    holdout,
    unit_id,
)
from persx.engine.deciding.decision import NO_PROFILE, Decision, Reason, match_reason
from persx.engine.deciding.factorial_cells import FactorialDefinition
from persx.engine.deciding.selection import select_variant
from persx.engine.setup_errors import InvalidSetup
from persx.engine.visitor.audience import GENERIC, challenged_audience
from persx.engine.visitor.profile import ConsentState, VisitorProfile

HOLDOUT_EXPERIMENT = "global-holdout"


class ArmKind(StrEnum):
    GENERIC = "generic"
    PERSONALIZED = "personalized"
    VARIANT = "variant"


class ScopeKind(StrEnum):
    SITE = "site"
    BLOCK_TYPE = "block_type"
    PAGE = "page"


@dataclass(frozen=True, slots=True)
class Arm:
    key: str
    kind: ArmKind
    weight: float
    variant_key: str | None = None  # for VARIANT arms: the audience key to serve


@dataclass(frozen=True, slots=True)
class Scope:
    kind: ScopeKind = ScopeKind.SITE
    value: str = ""  # block type or page id (as text)

    def covers(self, block_type: str, page_id: str) -> bool:
        if self.kind is ScopeKind.SITE:
            return True
        if self.kind is ScopeKind.BLOCK_TYPE:
            return self.value == block_type
        return self.value == page_id


@dataclass(frozen=True, slots=True)
class Targeting:
    industries: tuple[str, ...] = ()  # empty: every industry
    requires_profile: bool = True
    requires_consent: bool = False
    # Where the profile's industry came from (``Provenance`` values); empty: any source.
    # ``("inferred",)`` targets visitors whose profile layer is the inferred one.
    sources: tuple[str, ...] = ()

    def admits(self, profile: VisitorProfile | None) -> bool:
        if profile is None or profile.industry is None:
            return not self.requires_profile and not self.industries and not self.sources
        if self.industries and profile.industry not in self.industries:
            return False
        if self.sources and profile.industry_source not in self.sources:
            return False
        return not (self.requires_consent and profile.consent is not ConsentState.GRANTED)


@dataclass(frozen=True, slots=True)
class ExperimentDefinition:
    key: str
    arms: tuple[Arm, ...]
    spec: ExperimentSpec
    scope: Scope = Scope()
    targeting: Targeting = Targeting()
    primary_metric: str = "form_submission"
    secondary_metrics: tuple[str, ...] = ()
    unit: RandomizationUnit = RandomizationUnit.VISITOR

    @staticmethod
    def build(
        key: str,
        arms: Sequence[Arm],
        seed: str = "",
        coverage: float = 1.0,
        hash_version: int = 2,
        namespace: tuple[str, float, float] | None = None,
        scope: Scope = Scope(),
        targeting: Targeting = Targeting(),
        primary_metric: str = "form_submission",
        secondary_metrics: Sequence[str] = (),
        unit: str = RandomizationUnit.VISITOR,
    ) -> ExperimentDefinition:
        """Validate and precompute bucketing (raises ``InvalidSetup``, naming the field).

        Beyond what :class:`ExperimentSpec` checks (two or more arms, weights summing to 1,
        coverage and namespace range within [0, 1], known hash version): the key must not be
        the global holdout's, arm keys must be non-empty and unique, every arm kind must be
        an :class:`ArmKind`, a ``variant`` arm must name the variant it serves, and the
        randomization unit must be a :class:`RandomizationUnit`.
        """
        if key == HOLDOUT_EXPERIMENT:
            raise InvalidSetup("key", f"experiment key {key!r} is reserved for the global holdout")
        try:
            checked = tuple(replace(a, kind=ArmKind(a.kind)) for a in arms)
        except ValueError as exc:
            raise InvalidSetup("arms", f"experiment {key!r}: {exc}") from None
        try:
            checked_unit = RandomizationUnit(unit)
        except ValueError:
            raise InvalidSetup(
                "randomization_unit", f"experiment {key!r}: unknown randomization unit {unit!r}"
            ) from None
        keys = [a.key for a in checked]
        if any(not k for k in keys):
            raise InvalidSetup("arms", f"experiment {key!r}: every arm needs a key")
        if len(set(keys)) != len(keys):
            raise InvalidSetup("arms", f"experiment {key!r}: arm keys must be unique, got {keys}")
        for arm in checked:
            if arm.kind is ArmKind.VARIANT and not arm.variant_key:
                raise InvalidSetup(
                    "arms", f"experiment {key!r}: variant arm {arm.key!r} must name its variant_key"
                )
        spec = ExperimentSpec(
            key=key,
            seed=seed or key,
            arms=tuple(keys),
            weights=tuple(a.weight for a in checked),
            coverage=coverage,
            hash_version=hash_version,
            namespace=namespace,
        )
        return ExperimentDefinition(
            key,
            checked,
            spec,
            scope,
            targeting,
            primary_metric,
            tuple(secondary_metrics),
            checked_unit,
        )

    def arm_for(self, visitor_id: str) -> Arm | None:
        assignment = assign(self.spec, visitor_id)
        return self.arms[assignment.arm_index] if assignment else None


@dataclass(frozen=True, slots=True)
class Holdout:
    seed: str
    share: float

    def holds_out(self, visitor_id: str) -> bool:
        return self.share > 0 and holdout(self.seed, visitor_id, self.share)


@dataclass(frozen=True, slots=True)
class VisitorAssignment:
    """What holds for every block of one page view: decided once, before the blocks."""

    profile: VisitorProfile | None
    audience_keys: tuple[str, ...]
    experiments: tuple[ExperimentDefinition, ...] = ()
    held_out: bool = False
    bandits: tuple[RunningBandit, ...] = ()
    factorials: tuple[FactorialDefinition, ...] = ()
    # The visitor's account key ("" when unknown) and, per experiment key, the unit pinned
    # at their first exposure (docs/hashing.md, "Randomization unit").
    account_key: str = ""
    pinned_units: tuple[tuple[str, str], ...] = ()

    def unit_id_for(
        self, experiment: ExperimentDefinition | FactorialDefinition, visitor_id: str
    ) -> str:
        """What ``experiment`` hashes for this visitor (:func:`bucketing.unit_id`)."""
        pinned = dict(self.pinned_units).get(experiment.key, "")
        return unit_id(experiment.unit, visitor_id, self.account_key, pinned)


def assign_visitor(
    profile: VisitorProfile | None,
    experiments: Sequence[ExperimentDefinition] = (),
    global_holdout: Holdout | None = None,
    bandits: Sequence[RunningBandit] = (),
    factorials: Sequence[FactorialDefinition] = (),
) -> VisitorAssignment:
    """The visitor's audience keys and global-holdout membership (hashed once per page)."""
    if profile is None:
        return VisitorAssignment(None, ())
    return VisitorAssignment(
        profile,
        profile.audience_keys(),
        tuple(experiments),
        global_holdout is not None and global_holdout.holds_out(profile.visitor_id),
        tuple(bandits),
        tuple(factorials),
    )


def decide(
    profile: VisitorProfile | None,
    audience_keys: Sequence[str],
    available: Container[str],
    experiments: Sequence[ExperimentDefinition] = (),
    global_holdout: Holdout | None = None,
    block_type: str = "",
    page_id: str = "",
) -> Decision:
    """The decision for one block, with experiments and the holdout applied."""
    assignment = assign_visitor(profile, experiments, global_holdout)
    return decide_block(
        replace(assignment, audience_keys=tuple(audience_keys)), available, block_type, page_id
    )


def decide_block(
    visitor: VisitorAssignment,
    available: Container[str],
    block_type: str = "",
    page_id: str = "",
) -> Decision:
    """The decision for one block of a page whose visitor-level facts are already known."""
    profile = visitor.profile
    if profile is None or not visitor.audience_keys:
        return NO_PROFILE
    natural = select_variant(visitor.audience_keys, available)
    if visitor.held_out:
        return Decision(
            GENERIC,
            Reason.HOLDOUT,
            arm="holdout",
            experiment=HOLDOUT_EXPERIMENT,
            would_be=natural.variant_key,
        )
    for experiment in visitor.experiments:
        if not experiment.scope.covers(block_type, page_id):
            continue
        if not experiment.targeting.admits(profile):
            continue
        arm = experiment.arm_for(visitor.unit_id_for(experiment, profile.visitor_id))
        if arm is None:
            continue
        if arm.kind is ArmKind.GENERIC:
            return Decision(
                GENERIC,
                Reason.EXPERIMENT_CONTROL,
                arm=arm.key,
                experiment=experiment.key,
                would_be=natural.variant_key,
            )
        if (
            arm.kind is ArmKind.VARIANT
            and arm.variant_key
            and arm.variant_key in available
            and challenged_audience(arm.variant_key) in (None, natural.variant_key)
        ):
            return Decision(
                arm.variant_key,
                match_reason(arm.variant_key),
                arm=arm.key,
                experiment=experiment.key,
                would_be=natural.variant_key,
            )
        return Decision(
            natural.variant_key,
            natural.reason,
            arm=arm.key,
            experiment=experiment.key,
            would_be=natural.variant_key,
        )
    for factorial in visitor.factorials:
        if block_type not in factorial.factor_of:
            continue
        unit = visitor.unit_id_for(factorial, profile.visitor_id)
        decided = factorial.decide(block_type, profile, available, natural, unit)
        if decided is not None:
            return decided
    for bandit in visitor.bandits:
        if not bandit.covers(block_type, page_id, visitor.audience_keys, available):
            continue
        pick = choose(bandit.table, profile.visitor_id)
        if pick is None:
            continue
        return Decision(
            pick.arm,
            (Reason.BANDIT_HOLDBACK if pick.holdback else Reason.BANDIT),
            arm=pick.arm,
            experiment=holdback_key(bandit.key) if pick.holdback else bandit.key,
            would_be=natural.variant_key,
            allocation_version=pick.version,
        )
    return natural
