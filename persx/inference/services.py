"""Writes of the inference app: labelled examples and trained model versions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from persx.engine.visitor.profile import ConsentState, VisitorProfile
from persx.inference.artefact import model_to_payload, signals_to_json
from persx.inference.models import InferenceExample, InferenceModelVersion, LabelSource
from persx.inference.repository import invalidate_model
from persx.inference.training import TrainingResult
from persx.inference.visitor_signals import signals_of


def record_example(request: HttpRequest, profile: VisitorProfile, source: LabelSource) -> bool:
    """The visitor stated who they are: keep it, with the signals they had, as a label.

    Nothing is stored for a visitor who declined consent or carries no signals. Returns
    whether an example was stored.
    """
    state = signals_of(request)
    if state is None or profile.industry is None or profile.consent is ConsentState.DENIED:
        return False
    if state.signals.is_empty:
        return False
    guess = state.inference.candidate if state.inference and not state.inference.abstained else ""
    InferenceExample.objects.create(
        visitor_id=profile.visitor_id[:32],
        answered_at=timezone.now(),
        industry=profile.industry,
        persona=profile.persona or "",
        source=source,
        inferred_industry=guess,
        signals=signals_to_json(state.signals),
    )
    return True


def forget_examples(visitor_ids: set[str]) -> int:
    """Delete the labelled examples of these visitors (forget-me)."""
    if not visitor_ids:
        return 0
    return InferenceExample.objects.filter(visitor_id__in=visitor_ids).delete()[0]


def _evaluation_json(result: TrainingResult) -> dict[str, object]:
    ev = result.evaluation
    return {
        "visitors": ev.visitors,
        "ece": ev.ece,
        "precision": ev.precision,
        "coverage": ev.coverage,
        "reliability": [asdict(b) for b in ev.reliability],
        "threshold": asdict(result.threshold),
        "train_visitors": result.train_visitors,
        "calibration_visitors": result.calibration_visitors,
    }


def store_model(
    result: TrainingResult, target_precision: float, labelled: int, now: datetime | None = None
) -> InferenceModelVersion:
    """Save a trained model and make it the current one (atomically); other processes
    drop their snapshot through the shared cache."""
    with transaction.atomic():
        InferenceModelVersion.objects.filter(is_current=True).update(is_current=False)
        row = InferenceModelVersion.objects.create(
            version=result.model.version,
            created_at=now or timezone.now(),
            is_current=True,
            target_precision=target_precision,
            labelled_visitors=labelled,
            payload=model_to_payload(result.model),
            evaluation=_evaluation_json(result),
        )
    transaction.on_commit(invalidate_model)
    return row
