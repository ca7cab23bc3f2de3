"""Pipeline metrics of an experiment as sufficient statistics per arm and segment, for the
reports (docs/outcomes.md, docs/statistics.md).

Call :func:`pipeline_cells` with the experiment's :class:`Exposures` (the analytics
rollup's, :class:`persx.analytics.pipeline_exposures.RolledUpExposures`) and a date; it
answers, per arm and per segment (each industry, and :data:`ALL` for the whole arm):

- ``visitors``: units whose attribution window has closed (first exposure + N days ≤ as_of);
- ``maturing``: units whose window is still open. They are in no sum (their pipeline may
  still come), never counted as zeros; reports show them beside the numbers;
- per visitor (n, Σy, Σy²) of: ``qualified_leads`` and ``opportunities`` (0/1: the visitor
  has an outcome at least at that stage), ``pipeline_value`` (amounts of opportunity, won
  and lost outcomes), ``pipeline_value_capped`` (the same, capped at the
  ``cap_percentile``-th percentile of the positive values, pooled over arms) and
  ``won_revenue``: what :func:`persx.engine.statistics.ttest.welch_ttest` takes;
- per account: :class:`~persx.engine.statistics.account_sums.AccountSums` of pipeline value
  (raw and capped at the same percentile of the positive account totals), for
  :func:`persx.engine.statistics.clustered.clustered_lift`. A visitor's account is its
  account in ``persx.accounts`` (the most authoritative link), else the work domain of its
  leads; a visitor without one is an account of one.

An outcome counts for a unit when it is matched to the unit's visitor, or only to the
unit's account (it then goes to the account's earliest-exposed unit in the experiment),
and happened within [first exposure, first exposure + N days] and by ``as_of``. N is the
experiment's :class:`~persx.outcomes.models.AttributionWindow` (default 30 days).
Amounts count in one currency: ``currency`` (default: the currency most of the counted
amounts are in); outcomes in other currencies still count for the rates and are reported
as ``other_currency_outcomes``. Several outcomes of one CRM record (its stages, see
``record_id``) count the record's amount once, at its furthest stage (qualified lead <
opportunity < won or lost; the latest when tied).

Most visitors have no outcome and no account: their values are all zero and each is an
account of one, so they enter the sums as counts. The exposures give the counts per arm and
industry (matured and maturing, counted by the database) and, one by one, only the units
the CRM knows something about (:mod:`persx.outcomes.crm_visitors`: an account link, a lead
or a matched outcome); the outcomes read are theirs and their accounts'. Python work and
queries follow those units, not the experiment's visitors.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from persx.accounts.services import accounts_of_visitors
from persx.engine.statistics.account_sums import AccountSums, account_sums
from persx.engine.statistics.clustered import ClusteredLift, clustered_lift
from persx.engine.statistics.ttest import TTestResult, welch_ttest
from persx.engine.statistics.winsorize import (
    ValueSums,
    capped,
    positive_percentile_cap,
    value_sums,
)
from persx.leads.models import Lead
from persx.outcomes.matching import work_domain
from persx.outcomes.models import MatchStatus, Outcome
from persx.outcomes.services import attribution_days
from persx.outcomes.vocabulary import (
    PIPELINE_STAGES,
    REACHED_OPPORTUNITY,
    REACHED_QUALIFIED_LEAD,
    REVENUE_STAGES,
    STAGE_ORDER,
)

ALL = ""  # the segment of the whole arm
DEFAULT_CAP_PERCENTILE = 99.0
VISITOR_METRICS = (
    "qualified_leads",
    "opportunities",
    "pipeline_value",
    "pipeline_value_capped",
    "won_revenue",
)


class ExposedUnit(Protocol):
    """A visitor's first exposure to the experiment (``ExperimentVisitor`` fits)."""

    @property
    def visitor_id(self) -> str: ...
    @property
    def arm(self) -> str: ...
    @property
    def industry(self) -> str: ...
    @property
    def first_exposed_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class ExposureCount:
    """The units of one arm and industry first exposed by ``as_of``: those whose window
    closed (``matured``) and the others (``maturing``)."""

    arm: str
    industry: str
    matured: int
    maturing: int


class Exposures(Protocol):
    """An experiment's exposed units, as counts plus the few the CRM knows about."""

    def counts(self, as_of: datetime, matured_by: datetime) -> Iterable[ExposureCount]:
        """Per arm and industry with a unit exposed by ``as_of``: units first exposed by
        ``matured_by`` (matured) and after it (maturing)."""
        ...

    def with_crm_facts(self, as_of: datetime) -> Iterable[ExposedUnit]:
        """The units exposed by ``as_of`` that may have an account or outcomes: at least
        every one with an account link, a lead or a matched outcome (more is harmless)."""
        ...


@dataclass(frozen=True, slots=True)
class PipelineCell:
    arm: str
    segment: str  # an industry slug, or ALL
    visitors: int  # matured units (in the sums)
    maturing: int  # units whose window is open (in no sum)
    qualified_leads: ValueSums
    opportunities: ValueSums
    pipeline_value: ValueSums
    pipeline_value_capped: ValueSums
    won_revenue: ValueSums
    accounts: AccountSums | None  # pipeline value per account (None without 1 matured unit)
    accounts_capped: AccountSums | None

    def metric(self, name: str) -> ValueSums:
        if name not in VISITOR_METRICS:
            raise ValueError(f"unknown pipeline metric {name!r}; one of {VISITOR_METRICS}")
        sums: ValueSums = getattr(self, name)
        return sums


@dataclass(frozen=True, slots=True)
class MaturedUnit:
    """One matured visitor's pipeline metrics (what the sums of its cells add up), for
    analyses that need per-visitor values such as regression adjustment."""

    visitor_id: str
    arm: str
    industry: str
    account: str | None
    values: dict[str, float]  # each of VISITOR_METRICS


@dataclass(frozen=True, slots=True)
class PipelineCells:
    experiment: str
    as_of: datetime
    window_days: int
    currency: str  # "" when no amount counted
    cap_percentile: float
    visitor_cap: float  # the cap of pipeline value per visitor
    account_cap: float  # the cap of pipeline value per account
    other_currency_outcomes: int
    cells: list[PipelineCell]
    # The matured units the CRM knows about (Exposures.with_crm_facts), ordered by visitor
    # id: every matured unit with an account or a value other than zero is among them; the
    # other matured units of a cell (cell.visitors minus these) are all zeros, without account.
    matured_units: tuple[MaturedUnit, ...] = ()

    def cell(self, arm: str, segment: str = ALL) -> PipelineCell | None:
        return next((c for c in self.cells if c.arm == arm and c.segment == segment), None)

    @property
    def maturing(self) -> int:
        return sum(c.maturing for c in self.cells if c.segment == ALL)


@dataclass
class _Unit:
    visitor_id: str
    arm: str
    industry: str
    exposed_at: datetime
    account: str | None
    matured: bool
    reached_ql: bool = False
    reached_opportunity: bool = False
    pipeline: float = 0.0
    revenue: float = 0.0


def _progress(outcome: Outcome) -> tuple[int, datetime]:
    """How far a record got: its furthest stage, then its latest outcome."""
    return (STAGE_ORDER[outcome.stage], outcome.occurred_at)


def _accounts_of_visitors(visitor_ids: Iterable[str]) -> dict[str, str]:
    """Each visitor's account: its account in ``persx.accounts`` (the most authoritative
    link), else the work domain of its earliest lead with one."""
    ids = sorted(set(visitor_ids))
    accounts = {v: a.domain for v, a in accounts_of_visitors(ids).items()}
    rows = (
        Lead.objects.filter(visitor_id__in=ids)
        .order_by("created_at", "pk")
        .values_list("visitor_id", "email")
    )
    for visitor_id, email in rows:
        domain = work_domain(email)
        if domain:
            accounts.setdefault(visitor_id, domain)
    return accounts


def _chunks(items: list[str], size: int = 900) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


CREDITED_FIELDS = (
    "integration_id",
    "outcome_id",
    "record_id",
    "stage",
    "amount",
    "currency",
    "occurred_at",
    "visitor_id",
    "account",
)


def _outcomes_of(units: dict[str, _Unit], accounts: set[str]) -> list[Outcome]:
    visitor_ids = sorted(units)
    found: dict[int, Outcome] = {}
    matched = Outcome.objects.filter(match_status=MatchStatus.MATCHED).only(
        *CREDITED_FIELDS  # what crediting reads: no emails, keys or receipt times
    )
    for chunk in _chunks(visitor_ids):
        found |= {o.pk: o for o in matched.filter(visitor_id__in=chunk)}
    for chunk in _chunks(sorted(accounts)):
        found |= {o.pk: o for o in matched.filter(visitor_id="", account__in=chunk)}
    return sorted(found.values(), key=lambda o: o.pk)


def pipeline_cells(
    experiment_key: str,
    as_of: datetime,
    exposures: Exposures,
    *,
    currency: str | None = None,
    cap_percentile: float = DEFAULT_CAP_PERCENTILE,
) -> PipelineCells:
    """Per arm and segment, the pipeline metrics' sufficient statistics (see the module)."""
    days = attribution_days(experiment_key)
    window = timedelta(days=days)
    matured_by = as_of - window  # exposed at t: matured when t + window <= as_of
    counts = list(exposures.counts(as_of, matured_by))
    units: dict[str, _Unit] = {}
    for e in exposures.with_crm_facts(as_of):
        if e.visitor_id and e.first_exposed_at <= as_of:
            units[e.visitor_id] = _Unit(
                e.visitor_id,
                e.arm,
                e.industry,
                e.first_exposed_at,
                None,
                e.first_exposed_at <= matured_by,
            )
    for visitor_id, account in _accounts_of_visitors(units).items():
        units[visitor_id].account = account
    earliest_of_account: dict[str, _Unit] = {}
    for unit in sorted(units.values(), key=lambda u: (u.exposed_at, u.visitor_id)):
        if unit.account:
            earliest_of_account.setdefault(unit.account, unit)

    credited: list[tuple[_Unit, Outcome]] = []
    for outcome in _outcomes_of(units, set(earliest_of_account)):
        credit = (
            units.get(outcome.visitor_id)
            if outcome.visitor_id
            else earliest_of_account.get(outcome.account)
        )
        if credit is None or not credit.matured:
            continue
        unit = credit
        if unit.exposed_at <= outcome.occurred_at <= min(unit.exposed_at + window, as_of):
            credited.append((unit, outcome))

    amounts = Counter(o.currency for _, o in credited if o.amount is not None)
    chosen = currency or (amounts.most_common(1)[0][0] if amounts else "")
    other_currency = sum(n for code, n in amounts.items() if code != chosen)
    furthest: dict[tuple[int, str], tuple[_Unit, Outcome]] = {}
    for unit, outcome in credited:
        unit.reached_ql |= outcome.stage in REACHED_QUALIFIED_LEAD
        unit.reached_opportunity |= outcome.stage in REACHED_OPPORTUNITY
        key = (outcome.integration_id, outcome.record)
        earlier = furthest.get(key)
        if earlier is None or _progress(outcome) > _progress(earlier[1]):
            furthest[key] = (unit, outcome)
    for unit, outcome in furthest.values():  # a record's amount counts once
        if outcome.amount is None or outcome.currency != chosen:
            continue
        amount = float(outcome.amount)
        if outcome.stage in PIPELINE_STAGES:
            unit.pipeline += amount
        if outcome.stage in REVENUE_STAGES:
            unit.revenue += amount

    # The caps are percentiles of the positive values: the units counted only (all zeros,
    # no account) cannot move them.
    matured = [u for u in units.values() if u.matured]
    visitor_cap = positive_percentile_cap([u.pipeline for u in matured] or [0.0], cap_percentile)
    account_totals: dict[str, float] = defaultdict(float)
    for unit in matured:  # a visitor without an account is an account of its own
        account_totals[unit.account or f"visitor:{unit.visitor_id}"] += unit.pipeline
    account_cap = positive_percentile_cap(list(account_totals.values()) or [0.0], cap_percentile)

    counted: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for count in counts:
        for segment in (ALL, count.industry):
            counted[(count.arm, segment)][0] += count.matured
            counted[(count.arm, segment)][1] += count.maturing
    members: dict[tuple[str, str], list[_Unit]] = defaultdict(list)
    for unit in matured:
        members[(unit.arm, ALL)].append(unit)
        members[(unit.arm, unit.industry)].append(unit)
    cells = [
        _cell(arm, segment, n, n_maturing, members[(arm, segment)], visitor_cap, account_cap)
        for (arm, segment), (n, n_maturing) in sorted(counted.items())
    ]
    return PipelineCells(
        experiment=experiment_key,
        as_of=as_of,
        window_days=days,
        currency=chosen,
        cap_percentile=cap_percentile,
        visitor_cap=visitor_cap,
        account_cap=account_cap,
        other_currency_outcomes=other_currency,
        cells=cells,
        matured_units=tuple(
            MaturedUnit(
                u.visitor_id,
                u.arm,
                u.industry,
                u.account,
                {
                    "qualified_leads": float(u.reached_ql),
                    "opportunities": float(u.reached_opportunity),
                    "pipeline_value": u.pipeline,
                    "pipeline_value_capped": min(u.pipeline, visitor_cap),
                    "won_revenue": u.revenue,
                },
            )
            for u in sorted(matured, key=lambda u: u.visitor_id)
        ),
    )


def _with_zeros(values: list[float], n: int) -> ValueSums:
    """The sums of ``values`` and ``n - len(values)`` zeros."""
    sums = value_sums(values)
    return ValueSums(n, sums.total, sums.total_sq)


def _accounts_with_zeros(
    account_ids: list[str | None], values: list[float], zeros: int
) -> AccountSums:
    """:func:`account_sums` of the listed visitors and ``zeros`` visitors without account
    and value (each an account of one visitor: k, ΣN and ΣN² grow by one each)."""
    if not account_ids:
        return AccountSums(zeros, float(zeros), 0.0, float(zeros), 0.0, 0.0)
    listed = account_sums(account_ids, values)
    k, n, y, nn, yy, ny, x, xx, nx, xy = (float(a) for a in listed.arrays())
    return AccountSums(int(k) + zeros, n + zeros, y, nn + zeros, yy, ny, x, xx, nx, xy)


def _cell(
    arm: str,
    segment: str,
    visitors: int,
    maturing: int,
    listed: list[_Unit],
    visitor_cap: float,
    account_cap: float,
) -> PipelineCell:
    """One cell's sums: ``visitors`` matured units, of which ``listed`` are known one by one
    and the others count zero in every metric, each an account of its own."""
    visitors = max(visitors, len(listed))  # a unit rolled up between the two reads
    zeros = visitors - len(listed)
    pipeline = [u.pipeline for u in listed]
    account_ids = [u.account for u in listed]
    accounts = _accounts_with_zeros(account_ids, pipeline, zeros) if visitors else None
    accounts_capped = None
    if visitors:
        totals: dict[str | None, float] = defaultdict(float)
        for unit in listed:
            if unit.account:
                totals[unit.account] += unit.pipeline
        # Capping an account's total: scale its visitors' values so the total is the cap.
        capped_values = [
            u.pipeline * min(1.0, account_cap / totals[u.account])
            if u.account and totals[u.account] > account_cap
            else min(u.pipeline, account_cap)
            for u in listed
        ]
        accounts_capped = _accounts_with_zeros(account_ids, capped_values, zeros)
    return PipelineCell(
        arm=arm,
        segment=segment,
        visitors=visitors,
        maturing=maturing,
        qualified_leads=_with_zeros([float(u.reached_ql) for u in listed], visitors),
        opportunities=_with_zeros([float(u.reached_opportunity) for u in listed], visitors),
        pipeline_value=_with_zeros(pipeline, visitors),
        pipeline_value_capped=_with_zeros(
            [float(v) for v in capped(pipeline, visitor_cap)] if listed else [], visitors
        ),
        won_revenue=_with_zeros([u.revenue for u in listed], visitors),
        accounts=accounts,
        accounts_capped=accounts_capped,
    )


def visitor_lift(
    control: PipelineCell, treatment: PipelineCell, metric: str, alpha: float = 0.05
) -> TTestResult:
    """Relative lift of a per-visitor pipeline metric (Welch t-test on the sums; visitors
    treated as independent: use :func:`account_lift` when visitors share accounts)."""
    c, t = control.metric(metric), treatment.metric(metric)
    return welch_ttest(c.total, c.total_sq, c.n, t.total, t.total_sq, t.n, alpha)


def account_lift(
    control: PipelineCell, treatment: PipelineCell, capped_values: bool = False, alpha: float = 0.05
) -> ClusteredLift:
    """Cluster-aware lift of pipeline value per visitor (accounts as the independent unit)."""
    c = control.accounts_capped if capped_values else control.accounts
    t = treatment.accounts_capped if capped_values else treatment.accounts
    if c is None or t is None:
        raise ValueError("both arms need matured visitors")
    return clustered_lift(c, t, alpha)
