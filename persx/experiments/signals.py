"""Drop the cached running experiments / bandits whenever one (or an allocation) changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from persx.experiments.models import Bandit, BanditAllocation, Experiment
from persx.experiments.repository import invalidate_bandits, invalidate_experiments


def _invalidate(**_: Any) -> None:
    # Now (this process sees its own change at once) and again after commit, so a rebuild
    # by another request between the save and the commit cannot keep the old state cached.
    invalidate_experiments()
    transaction.on_commit(invalidate_experiments)


def _invalidate_bandits(**_: Any) -> None:
    invalidate_bandits()
    transaction.on_commit(invalidate_bandits)


post_save.connect(_invalidate, sender=Experiment, dispatch_uid="experiments-save")
post_delete.connect(_invalidate, sender=Experiment, dispatch_uid="experiments-delete")
for _model in (Bandit, BanditAllocation):
    post_save.connect(_invalidate_bandits, sender=_model, dispatch_uid=f"bandits-save-{_model}")
    post_delete.connect(_invalidate_bandits, sender=_model, dispatch_uid=f"bandits-delete-{_model}")
