"""Who a visitor probably is, from what they did: calibrated, and silent when unsure.

Signals (:class:`Signals`) become a sparse feature vector (:func:`features`); a multinomial
logistic model, trained elsewhere and exported as plain numbers (:class:`Classifier`),
turns it into one probability per class. Temperature scaling (one scalar, fitted on
held-out visitors at training time) calibrates the probabilities. :func:`infer` names an
industry only when the top probability clears the model's threshold (chosen at training
time for a target precision); otherwise it abstains and the visitor stays generic.

No numpy here: this runs on the request path, and a visitor has a handful of non-zero
features, so a dict walk is cheaper than any array setup.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from persx.engine.setup_errors import InvalidSetup

__all__ = [
    "MAX_LIST_SIGNALS",
    "UTM_KEYS",
    "Classifier",
    "Inference",
    "InferenceModel",
    "SignalWeight",
    "Signals",
    "describe_feature",
    "features",
    "infer",
    "normalise_path",
]

UTM_KEYS: tuple[str, ...] = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
MAX_LIST_SIGNALS = 20
"""At most this many pages, tags and CTA clicks are kept per visitor (most recent last)."""

_TOP_SIGNALS = 3


def normalise_path(path: str) -> str:
    """``/Pricing?x=1`` → ``/pricing/``: lower case, no query or fragment, trailing slash."""
    path = path.split("?", 1)[0].split("#", 1)[0].strip().lower()
    if not path.startswith("/"):
        path = "/" + path
    if not path.endswith("/"):
        path += "/"
    return path


def _host(referrer_host: str) -> str:
    host = referrer_host.strip().lower()
    return host[4:] if host.startswith("www.") else host


@dataclass(frozen=True, slots=True)
class Signals:
    """What a visitor did that may say who they are. Nothing here is asked of them.

    ``tags_read`` are the content tags of posts and test ideas they read (``industry:saas``,
    ``persona:…`` or topic tags); ``cta_industries`` the industries of industry-specific CTAs
    they clicked; ``utm`` the UTM parameters of the landing URL; ``firmographic_industry``
    the industry of the company their network belongs to, when a provider knows it.
    """

    landing_path: str = ""
    pages_viewed: tuple[str, ...] = ()
    tags_read: tuple[str, ...] = ()
    cta_industries: tuple[str, ...] = ()
    utm: tuple[tuple[str, str], ...] = ()
    referrer_host: str = ""
    firmographic_industry: str = ""

    @property
    def is_empty(self) -> bool:
        return not features(self)


def _counted(prefix: str, values: Iterable[str]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for value in values:
        if value:
            name = prefix + value
            counts[name] = counts.get(name, 0) + 1
    # log(1 + n): a second read of the same tag says more than nothing, a tenth little more.
    return {name: math.log1p(n) for name, n in counts.items()}


def features(signals: Signals) -> dict[str, float]:
    """The sparse feature vector of ``signals``: feature name → value (absent means 0).

    Names: ``landing:/path/``, ``page:/path/``, ``tag:<tag>``, ``cta:<industry>``,
    ``utm_source:<value>`` (each UTM key), ``referrer:<host>``, ``firmographic:<industry>``.
    """
    vector: dict[str, float] = {}
    if signals.landing_path:
        vector["landing:" + normalise_path(signals.landing_path)] = 1.0
    pages = {normalise_path(p) for p in signals.pages_viewed[-MAX_LIST_SIGNALS:] if p}
    for page in pages:
        vector["page:" + page] = 1.0
    vector.update(_counted("tag:", (t.lower() for t in signals.tags_read[-MAX_LIST_SIGNALS:])))
    vector.update(_counted("cta:", signals.cta_industries[-MAX_LIST_SIGNALS:]))
    for key, value in signals.utm:
        if key in UTM_KEYS and value.strip():
            vector[f"{key}:{value.strip().lower()}"] = 1.0
    host = _host(signals.referrer_host)
    if host:
        vector["referrer:" + host] = 1.0
    if signals.firmographic_industry:
        vector["firmographic:" + signals.firmographic_industry] = 1.0
    return vector


_FEATURE_WORDING = {
    "landing": "landed on {}",
    "page": "viewed {}",
    "tag": "read content tagged {}",
    "cta": "clicked a {} call to action",
    "referrer": "came from {}",
    "firmographic": "company network in {}",
    "utm_source": "UTM source {}",
    "utm_medium": "UTM medium {}",
    "utm_campaign": "UTM campaign {}",
    "utm_content": "UTM content {}",
    "utm_term": "UTM term {}",
}


def describe_feature(name: str) -> str:
    """A feature name in words, for editors: ``referrer:skift.com`` → ``came from skift.com``."""
    kind, _, value = name.partition(":")
    wording = _FEATURE_WORDING.get(kind)
    return wording.format(value) if wording else name


@dataclass(frozen=True, slots=True)
class Classifier:
    """A multinomial logistic model as plain numbers.

    ``coefficients[feature][k]`` is the weight of ``feature`` for ``classes[k]``; features the
    model never saw weigh nothing. Probabilities are ``softmax((intercepts + x·W) /
    temperature)``; ``threshold`` is the least top probability at which it speaks.
    """

    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    coefficients: Mapping[str, tuple[float, ...]]
    threshold: float
    temperature: float = 1.0

    def __post_init__(self) -> None:
        k = len(self.classes)
        if k < 2:
            raise InvalidSetup("classes", "a classifier needs at least two classes")
        if len(set(self.classes)) != k:
            raise InvalidSetup("classes", "class names must be unique")
        if len(self.intercepts) != k:
            raise InvalidSetup("intercepts", f"expected {k} intercepts")
        for name, weights in self.coefficients.items():
            if len(weights) != k:
                raise InvalidSetup("coefficients", f"feature {name!r}: expected {k} weights")
        if not 0.0 < self.threshold <= 1.0:
            raise InvalidSetup("threshold", "threshold must be within (0, 1]")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise InvalidSetup("temperature", "temperature must be a positive number")

    def logits(self, vector: Mapping[str, float]) -> list[float]:
        scores = list(self.intercepts)
        for name, value in vector.items():
            weights = self.coefficients.get(name)
            if weights is not None:
                for k, w in enumerate(weights):
                    scores[k] += value * w
        return scores

    def probabilities(self, vector: Mapping[str, float]) -> tuple[float, ...]:
        """Calibrated probability of each class, in ``classes`` order (they sum to 1)."""
        scaled = [s / self.temperature for s in self.logits(vector)]
        top = max(scaled)
        exps = [math.exp(s - top) for s in scaled]
        total = sum(exps)
        return tuple(e / total for e in exps)

    def top_signals(
        self, vector: Mapping[str, float], k: int, limit: int = _TOP_SIGNALS
    ) -> tuple[SignalWeight, ...]:
        """The features that pushed most towards class ``k`` (against the class average)."""
        pushes: list[SignalWeight] = []
        n = len(self.classes)
        for name, value in vector.items():
            weights = self.coefficients.get(name)
            if weights is None:
                continue
            push = value * (weights[k] - sum(weights) / n) / self.temperature
            if push > 0:
                pushes.append(SignalWeight(name, push))
        pushes.sort(key=lambda s: (-s.weight, s.feature))
        return tuple(pushes[:limit])


@dataclass(frozen=True, slots=True)
class SignalWeight:
    """One feature and how much it pushed the winning class's log-odds."""

    feature: str
    weight: float


@dataclass(frozen=True, slots=True)
class InferenceModel:
    """The industry classifier, an optional persona classifier, and the persona → industry
    map that keeps them consistent (a persona is inferred only inside the inferred industry)."""

    version: str
    industry: Classifier
    persona: Classifier | None = None
    persona_industries: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Inference:
    """The outcome for one visitor. ``industry`` is ``None`` when the model abstained;
    ``probability`` is the top industry probability either way."""

    model_version: str
    industry: str | None
    probability: float
    top_signals: tuple[SignalWeight, ...] = ()
    persona: str | None = None
    persona_probability: float = 0.0
    candidate: str = ""  # the top industry, also when abstaining

    @property
    def abstained(self) -> bool:
        return self.industry is None


def _argmax(values: tuple[float, ...]) -> int:
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best


def infer(model: InferenceModel, signals: Signals) -> Inference:
    """The visitor's industry (and persona) when the model is confident enough, else abstain.

    A visitor with no known signal always abstains: the intercepts alone only restate the
    base rates, which is not evidence about this visitor.
    """
    vector = features(signals)
    known = {name: v for name, v in vector.items() if name in model.industry.coefficients}
    probs = model.industry.probabilities(known)
    k = _argmax(probs)
    candidate, p = model.industry.classes[k], probs[k]
    if not known or p < model.industry.threshold:
        return Inference(model.version, None, p, candidate=candidate)
    persona, persona_p = _persona(model, vector, candidate)
    return Inference(
        model.version,
        candidate,
        p,
        model.industry.top_signals(known, k),
        persona,
        persona_p,
        candidate,
    )


def _persona(
    model: InferenceModel, vector: Mapping[str, float], industry: str
) -> tuple[str | None, float]:
    classifier = model.persona
    if classifier is None:
        return None, 0.0
    probs = classifier.probabilities(vector)
    k = _argmax(probs)
    slug, p = classifier.classes[k], probs[k]
    if p < classifier.threshold or model.persona_industries.get(slug) != industry:
        return None, p
    return slug, p
