"""The account (company) of each visitor, for the reports' account-level analyses.

Reads :func:`persx.accounts.services.accounts_of_visitors` when the accounts app is
installed (the most authoritative link of each visitor, docs/accounts.md); without it
every visitor is an account of their own (None), and the reports stay visitor-level.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps


@dataclass(frozen=True, slots=True)
class AccountOfVisitor:
    account: str  # the account's id, as text
    size: str  # its firmographic size band ("" when unknown)


def accounts_of(visitor_ids: Iterable[str]) -> dict[str, AccountOfVisitor]:
    """Each visitor's account; visitors without one are absent."""
    if not apps.is_installed("persx.accounts"):
        return {}
    services = importlib.import_module("persx.accounts.services")
    found = services.accounts_of_visitors(visitor_ids)
    return {
        visitor: AccountOfVisitor(str(account.pk), str(getattr(account, "size", "") or ""))
        for visitor, account in found.items()
    }
