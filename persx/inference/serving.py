"""The ``inferred`` profile layer: the current model applied to the visitor's signals.

Called lazily by the profile middleware, only when no stated layer (explicit choice, cookie,
account) has a profile. No SQL: the model is a snapshot and the signals come from a cookie.
"""

from __future__ import annotations

from django.http import HttpRequest

from persx.config import config
from persx.engine.learning.inference import infer
from persx.engine.visitor.profile import Provenance, VisitorProfile
from persx.inference.repository import current_model
from persx.inference.visitor_signals import signals_of


def inferred_profile(request: HttpRequest) -> VisitorProfile | None:
    if not config().inference_enabled:
        return None
    state = signals_of(request)
    if state is None:
        return None
    model = current_model()
    if model is None:
        return None
    outcome = infer(model, state.signals)
    state.inference = outcome
    if outcome.industry is None:
        return None
    return VisitorProfile(
        state.visitor_id,
        industry=outcome.industry,
        persona=outcome.persona,
        persona_confidence=outcome.persona_probability if outcome.persona else 0.0,
        industry_source=Provenance.INFERRED,
        persona_source=Provenance.INFERRED if outcome.persona else None,
    )
