"""Drop the cached running experiments whenever an experiment is saved or deleted."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments


def _invalidate(**_: Any) -> None:
    # Now (this process sees its own change at once) and again after commit, so a rebuild
    # by another request between the save and the commit cannot keep the old state cached.
    invalidate_experiments()
    transaction.on_commit(invalidate_experiments)


post_save.connect(_invalidate, sender=Experiment, dispatch_uid="experiments-save")
post_delete.connect(_invalidate, sender=Experiment, dispatch_uid="experiments-delete")
