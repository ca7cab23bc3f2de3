"""The personalization context of one request: built once, before the view runs.

``PersonalizationMiddleware`` builds it eagerly from the visitor's profile (or the staff
preview), the running-experiments snapshot, the decision budget and the global holdout
(hashed once). Pages decide all their blocks in one pass (:meth:`decide_page`) before any
block renders, so a page is consistent: every block is decided for the visitor, or, when
the budget runs out, none is. Blocks then ask :meth:`choose` with the variants they hold.
No SQL: variants come from the page's StreamField value, experiments and bandits (their
current allocation tables) from snapshots.
Scheduled variants (``live_from``/``live_until``) are judged against the context's wall
clock (a port, injected in tests), read once per page.

Read it with :func:`personalization_of`; replace it (Wagtail's preview modes) with
:func:`use_preview`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Generic, TypeVar, cast

from django.http import HttpRequest

from persx.accounts.services import VisitorUnits, units_of_visitor
from persx.config import config
from persx.engine.deciding.bandit_arms import RunningBandit
from persx.engine.deciding.bucketing import RandomizationUnit
from persx.engine.deciding.decision import (
    DISABLED,
    ERROR,
    NO_PROFILE,
    Decision,
    ServedBlock,
)
from persx.engine.deciding.decision_budget import DecisionBudget
from persx.engine.deciding.experiments import (
    ExperimentDefinition,
    Holdout,
    VisitorAssignment,
    assign_visitor,
    decide_block,
)
from persx.engine.deciding.factorial_cells import FactorialDefinition
from persx.engine.deciding.schedule import Window, availability, decide_scheduled_block
from persx.engine.ports import WallClock
from persx.engine.visitor.profile import VisitorProfile
from persx.experiments.repository import (
    running_bandits,
    running_experiments,
    running_factorials,
)
from persx.observability import metrics
from persx.personalization.preview import Preview, audience_preview, staff_preview
from persx.visitors.state import VisitorRequest, visitor

logger = logging.getLogger("persx.personalization")

T = TypeVar("T")

NO_WINDOWS: Mapping[str, Window] = MappingProxyType({})


def utc_now() -> datetime:
    """The production wall clock (tests inject their own into the context)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Choice(Generic[T]):
    """What a block shows (the base or one variant's content) and why."""

    content: T
    decision: Decision


@dataclass(frozen=True, slots=True)
class PageBlock:
    """One personalizable block of a page, as :meth:`PersonalizationContext.decide_page`
    needs it: ``key`` identifies the block's value within the page (the same key is passed
    to :meth:`PersonalizationContext.choose` when the block renders)."""

    key: Hashable
    block_type: str
    variants: Mapping[str, object]
    # Only the variants that carry a live_from/live_until window (most blocks: none).
    windows: Mapping[str, Window] = field(default_factory=lambda: NO_WINDOWS)


@dataclass
class PersonalizationContext:
    visitor: VisitorAssignment
    enabled: bool
    budget: DecisionBudget
    preview: str | None = None
    # The running experiments could not be loaded: every block serves generic (reason
    # ``error``) rather than risk showing personalized content to a control arm.
    experiments_unavailable: bool = False
    served: list[ServedBlock] = field(default_factory=list)
    # Something on the page used personalization (a block or a "for you" ranking): the
    # page view is measured.
    consulted: bool = False
    # Scheduled variants are judged against this clock, read at most once per page.
    clock: WallClock = utc_now
    _decided: dict[Hashable, Decision] = field(default_factory=dict)
    _now: datetime | None = None

    @property
    def profile(self) -> VisitorProfile | None:
        return self.visitor.profile

    @property
    def held_out(self) -> bool:
        """This visitor is in the global holdout: everything personal is switched off."""
        return self.visitor.held_out

    def ranking_profile(self) -> VisitorProfile | None:
        """The profile to order tagged content by: none when switched off or held out."""
        self.consulted = True
        return self.profile if self.enabled and not self.held_out else None

    def _fixed_decision(self) -> Decision | None:
        """The decision every block gets whatever its variants (None: decide each)."""
        if not self.enabled:
            return DISABLED
        if not self.visitor.audience_keys:
            return NO_PROFILE
        if self.experiments_unavailable:
            return ERROR
        return None

    def decide_page(self, blocks: Sequence[PageBlock], page_id: str = "") -> None:
        """Decide every block of a page in one pass, inside the decision budget.

        Runs before the page renders. An exception in one block's decision serves that
        block generic (``error``); running over the budget serves the whole page generic
        (``timeout``), never half of it.
        """
        if self._fixed_decision() is not None or not blocks:
            return
        started = time.perf_counter()
        outcomes = self.budget.run_all(
            [self._decider(b.variants, b.block_type, page_id, b.windows) for b in blocks]
        )
        metrics.observe_decision_seconds(time.perf_counter() - started)
        for block, (decision, error) in zip(blocks, outcomes, strict=True):
            if error is not None:
                _log_failure(block.block_type, error)
            self._decided[block.key] = decision

    def choose(
        self,
        block_type: str,
        base: T,
        variants: Mapping[str, T],
        page_id: str = "",
        key: Hashable | None = None,
        windows: Mapping[str, Window] = NO_WINDOWS,
    ) -> Choice[T]:
        """The content this visitor sees for one block (the base or a variant) and why.

        Uses the page's one-pass decision when :meth:`decide_page` saw this block
        (``key``); otherwise decides now, inside what is left of the budget.
        """
        self.consulted = True
        decision = self._fixed_decision()
        if decision is None:
            decided = self._decided.get(key) if key is not None else None
            if decided is None:
                decided, error = self.budget.run(
                    self._decider(variants, block_type, page_id, windows)
                )
                if error is not None:
                    _log_failure(block_type, error)
            decision = decided
        content = variants.get(decision.variant_key, base) if decision.is_personalized else base
        self.served.append(ServedBlock(block_type, decision))
        return Choice(content, decision)

    def now(self) -> datetime:
        """The instant this request judges schedules at (the clock is read once)."""
        if self._now is None:
            self._now = self.clock()
        return self._now

    def _decider(
        self,
        variants: Mapping[str, object],
        block_type: str,
        page_id: str,
        windows: Mapping[str, Window] = NO_WINDOWS,
    ) -> Callable[[], Decision]:
        visitor_assignment = self.visitor
        if windows:
            now = self.now

            def decide_scheduled() -> Decision:
                available = availability(variants, windows, now())
                return decide_scheduled_block(visitor_assignment, available, block_type, page_id)

            return decide_scheduled

        def decide() -> Decision:
            return decide_block(visitor_assignment, variants, block_type, page_id)

        return decide

    def as_log(self) -> list[dict[str, str]]:
        lines = []
        for s in self.served:
            line = {"block": s.block_type, "variant": s.variant_key, "reason": s.reason}
            if s.experiment is not None:
                line.update(experiment=s.experiment, arm=s.arm or "", would_be=s.would_be or "")
            lines.append(line)
        return lines


def _log_failure(block_type: str, error: BaseException) -> None:
    logger.warning(
        "personalization failed for %s block; serving generic", block_type, exc_info=error
    )


class PersonalizedRequest(VisitorRequest):
    """The typed view of a request that went through ``PersonalizationMiddleware``."""

    persx: PersonalizationContext


def build_context(request: HttpRequest) -> PersonalizationContext:
    """The request's context: the visitor's profile, or the staff preview, with the
    running experiments and the holdout for a real (not previewed) profiled visitor."""
    preview = staff_preview(request)
    profile = preview.profile if preview is not None else visitor(request).profile
    return _new_context(profile, preview)


def visitor_context(profile: VisitorProfile | None) -> PersonalizationContext:
    """The context of a real visitor with ``profile`` (never a staff preview), built as
    :func:`build_context` builds a page view's: the headless decisions API's app callers,
    whose visitor is stated in the request body instead of a cookie."""
    return _new_context(profile, None)


def use_preview(request: HttpRequest, audience: str) -> PersonalizationContext:
    """Render the rest of this request for ``audience`` (``generic``, ``industry:<slug>``,
    ``persona:<slug>``) without touching anyone's profile: Wagtail's preview modes and the
    studio's side-by-side panes. No experiments, no holdout, nothing measured."""
    context = _new_context(None, audience_preview(audience))
    cast(PersonalizedRequest, request).persx = context
    return context


def personalization_of(request: HttpRequest | None) -> PersonalizationContext:
    """The request's context (a generic one when personalization never ran for it)."""
    if request is None:
        return _new_context(None, None)
    typed = cast(PersonalizedRequest, request)
    context = getattr(typed, "persx", None)
    if context is None:
        context = typed.persx = _new_context(None, None)
    return context


def _new_context(profile: VisitorProfile | None, preview: Preview | None) -> PersonalizationContext:
    conf = config()
    if preview is not None:
        profile = preview.profile
    experiments: tuple[ExperimentDefinition, ...] = ()
    bandits: tuple[RunningBandit, ...] = ()
    factorials: tuple[FactorialDefinition, ...] = ()
    holdout: Holdout | None = None
    units = VisitorUnits()
    unavailable = False
    measured = profile is not None and preview is None and conf.personalization_enabled
    if measured:
        if conf.holdout_share > 0:
            holdout = Holdout(conf.holdout_seed, conf.holdout_share)
        try:
            experiments = running_experiments()
            bandits = running_bandits()
            factorials = running_factorials()
            units_in_use = [e.unit for e in experiments] + [f.unit for f in factorials]
            if profile is not None and RandomizationUnit.ACCOUNT in units_in_use:
                # Only while an account-level experiment runs: two indexed reads.
                units = units_of_visitor(profile.visitor_id)
        except Exception:
            logger.exception("running experiments unavailable; serving generic")
            unavailable = True
    return PersonalizationContext(
        visitor=replace(
            assign_visitor(profile, experiments, holdout, bandits, factorials),
            account_key=units.account_key,
            pinned_units=units.pinned,
        ),
        enabled=conf.personalization_enabled,
        # Thread CPU time: time this thread waits for a core (or the GIL) under load is
        # not spent by personalization, so it must not exhaust the budget.
        budget=DecisionBudget(time.thread_time, conf.decision_budget_ms / 1000.0),
        preview=preview.key if preview is not None else None,
        experiments_unavailable=unavailable,
    )
