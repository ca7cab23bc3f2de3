"""Contamination of an account-level experiment: visitors of one account shown different arms.

Account-level randomization keeps colleagues on one arm, but not always: a visitor exposed
before their company was known keeps the arm they were shown (their unit is pinned), and two
visitors linked to one account through different evidence may have hashed different units.
Each exposed visitor counts with the first arm they were shown and with their account under
the precedence of ``services.account_of_visitor``. An account is *split* when its visitors
were shown more than one arm; a visitor is *off the account's arm* when their arm is not
the one most of the account's visitors saw (ties: the arm first in alphabetical order).
Visitors without an account cannot be contaminated and are not counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from persx.accounts.models import VisitorAccountLink
from persx.accounts.services import accounts_of_visitors
from persx.events.event_types import EventType
from persx.events.models import Event


@dataclass(frozen=True, slots=True)
class Contamination:
    accounts: int  # accounts with at least one exposed visitor
    split_accounts: int  # of those, accounts whose visitors were shown more than one arm
    visitors_in_accounts: int  # exposed visitors with a known account
    visitors_in_split_accounts: int
    visitors_off_account_arm: int  # shown another arm than most of their account

    @property
    def split_account_share(self) -> float:
        return self.split_accounts / self.accounts if self.accounts else 0.0

    @property
    def off_arm_share(self) -> float:
        """Share of account visitors who saw another arm than their colleagues mostly did."""
        if not self.visitors_in_accounts:
            return 0.0
        return self.visitors_off_account_arm / self.visitors_in_accounts


def count_contamination(rows: Iterable[tuple[str, str, str]]) -> Contamination:
    """From ``(account, visitor, arm)`` rows, one per exposed visitor with an account."""
    arms_of: dict[str, Counter[str]] = defaultdict(Counter)
    for account, _visitor, arm in rows:
        arms_of[account][arm] += 1
    split = {account: arms for account, arms in arms_of.items() if len(arms) > 1}
    off_arm = 0
    for arms in split.values():
        majority = min(arms, key=lambda arm: (-arms[arm], arm))
        off_arm += sum(arms.values()) - arms[majority]
    return Contamination(
        accounts=len(arms_of),
        split_accounts=len(split),
        visitors_in_accounts=sum(sum(arms.values()) for arms in arms_of.values()),
        visitors_in_split_accounts=sum(sum(arms.values()) for arms in split.values()),
        visitors_off_account_arm=off_arm,
    )


def contamination_of(experiment_key: str) -> Contamination:
    """Count an experiment's contamination from its exposure events (only visitors with an
    account link are read)."""
    exposures = (
        Event.objects.filter(
            type=EventType.EXPOSURE,
            experiment=experiment_key,
            visitor_id__in=VisitorAccountLink.objects.values("visitor_id"),
        )
        .order_by("visitor_id", "occurred_at")
        .values_list("visitor_id", "arm")
    )
    first_arm: dict[str, str] = {}
    for visitor, arm in exposures.iterator():
        first_arm.setdefault(visitor, arm)
    accounts = accounts_of_visitors(first_arm)
    return count_contamination(
        (accounts[visitor].domain, visitor, arm)
        for visitor, arm in first_arm.items()
        if visitor in accounts
    )
