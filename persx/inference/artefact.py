"""The JSON forms of engine inference objects: model artefacts and visitor signals.

One place converts both ways, so what the trainer stores is exactly what the request path
scores, and the signals a visitor carries in their cookie are exactly what a labelled
example stores.
"""

from __future__ import annotations

from typing import Any

from persx.engine.learning.inference import Classifier, InferenceModel, Signals

PAYLOAD_FORMAT = 1


def classifier_to_json(classifier: Classifier) -> dict[str, Any]:
    return {
        "classes": list(classifier.classes),
        "intercepts": list(classifier.intercepts),
        "coefficients": {k: list(v) for k, v in classifier.coefficients.items()},
        "threshold": classifier.threshold,
        "temperature": classifier.temperature,
    }


def classifier_from_json(data: dict[str, Any]) -> Classifier:
    return Classifier(
        classes=tuple(str(c) for c in data["classes"]),
        intercepts=tuple(float(b) for b in data["intercepts"]),
        coefficients={str(k): tuple(float(w) for w in v) for k, v in data["coefficients"].items()},
        threshold=float(data["threshold"]),
        temperature=float(data["temperature"]),
    )


def model_to_payload(model: InferenceModel) -> dict[str, Any]:
    return {
        "format": PAYLOAD_FORMAT,
        "industry": classifier_to_json(model.industry),
        "persona": classifier_to_json(model.persona) if model.persona else None,
        "persona_industries": dict(model.persona_industries),
    }


def payload_to_model(version: str, payload: dict[str, Any]) -> InferenceModel:
    """Raises ``KeyError``/``ValueError``/``InvalidSetup`` for a payload it cannot serve."""
    if payload.get("format") != PAYLOAD_FORMAT:
        raise ValueError(f"unknown inference payload format {payload.get('format')!r}")
    persona = payload.get("persona")
    return InferenceModel(
        version,
        classifier_from_json(payload["industry"]),
        classifier_from_json(persona) if persona else None,
        {str(k): str(v) for k, v in payload.get("persona_industries", {}).items()},
    )


def signals_to_json(signals: Signals) -> dict[str, Any]:
    """Short keys: this also travels in a cookie."""
    data: dict[str, Any] = {}
    if signals.landing_path:
        data["l"] = signals.landing_path
    if signals.pages_viewed:
        data["p"] = list(signals.pages_viewed)
    if signals.tags_read:
        data["t"] = list(signals.tags_read)
    if signals.cta_industries:
        data["c"] = list(signals.cta_industries)
    if signals.utm:
        data["u"] = [list(pair) for pair in signals.utm]
    if signals.referrer_host:
        data["r"] = signals.referrer_host
    if signals.firmographic_industry:
        data["f"] = signals.firmographic_industry
    return data


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(v)[:200] for v in value if isinstance(v, str))


def signals_from_json(data: Any) -> Signals:
    """Lenient: anything malformed is dropped, never raised (it came from a client)."""
    if not isinstance(data, dict):
        return Signals()
    utm = tuple(
        (str(pair[0])[:20], str(pair[1])[:100])
        for pair in data.get("u", [])
        if isinstance(pair, list) and len(pair) == 2
    )
    return Signals(
        landing_path=str(data.get("l", ""))[:200],
        pages_viewed=_strings(data.get("p")),
        tags_read=_strings(data.get("t")),
        cta_industries=_strings(data.get("c")),
        utm=utm,
        referrer_host=str(data.get("r", ""))[:100],
        firmographic_industry=str(data.get("f", ""))[:40],
    )
