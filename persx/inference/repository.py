"""The current inference model, as an in-process snapshot (no SQL on the request path)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from persx.caching.snapshot import Snapshot
from persx.engine.learning.inference import InferenceModel
from persx.inference.artefact import payload_to_model
from persx.inference.models import InferenceModelVersion

logger = logging.getLogger("persx.inference")


@dataclass(frozen=True, slots=True)
class CurrentModel:
    """Wraps the model so "no model yet" is a cached answer too (not a query per request)."""

    model: InferenceModel | None


def _load() -> CurrentModel:
    row = InferenceModelVersion.objects.filter(is_current=True).first()
    if row is None:
        return CurrentModel(None)
    try:
        return CurrentModel(payload_to_model(row.version, row.payload))
    except (KeyError, TypeError, ValueError):  # InvalidSetup is a ValueError
        logger.exception("inference model %s cannot be served; inference is off", row.version)
        return CurrentModel(None)


_current: Snapshot[CurrentModel] = Snapshot("inference-model", _load)


def current_model() -> InferenceModel | None:
    return _current.get().model


def invalidate_model() -> None:
    _current.invalidate()
