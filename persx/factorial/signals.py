"""Drop the cached running factorial experiments whenever one changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from persx.experiments.repository import invalidate_factorials
from persx.factorial.models import FactorialExperiment


def _invalidate(**_: Any) -> None:
    # Now (this process) and after commit (a rebuild in between must not keep the old state).
    invalidate_factorials()
    transaction.on_commit(invalidate_factorials)


post_save.connect(_invalidate, sender=FactorialExperiment, dispatch_uid="factorial-save")
post_delete.connect(_invalidate, sender=FactorialExperiment, dispatch_uid="factorial-delete")
