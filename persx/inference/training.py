"""Train the inference model with scikit-learn and export it as plain numbers for the engine.

Imported only by the training command and tests, never on the request path (scikit-learn
is imported inside :func:`train`). Visitors who answered the start form are the examples:
their answer is the label, what they did before answering is the input.

Steps (the split is seeded, so a retrain on the same data gives the same model):

1. 60% fit a multinomial logistic regression (L2, ``C``) on the engine's own features;
2. 20% (calibration) fit one temperature by minimising the negative log-likelihood, then
   choose the threshold for the target precision — both from the *engine's* scoring of
   the exported model, so what is measured is what is served;
3. 20% (held out) measure: reliability table, ECE, precision and coverage at the threshold.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from persx.engine.learning.calibration import (
    ReliabilityBin,
    ThresholdChoice,
    expected_calibration_error,
    reliability_table,
    threshold_for_precision,
)
from persx.engine.learning.inference import Classifier, InferenceModel, Signals, features, infer

__all__ = ["Evaluation", "LabelledVisitor", "TrainingError", "TrainingResult", "train"]


class TrainingError(ValueError):
    """Not enough labelled visitors to train (the message says what is missing)."""


@dataclass(frozen=True, slots=True)
class LabelledVisitor:
    signals: Signals
    industry: str
    persona: str = ""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How the served model did on visitors it never saw (the held-out fifth)."""

    visitors: int
    reliability: tuple[ReliabilityBin, ...]
    ece: float
    precision: float
    coverage: float  # share of held-out visitors given an industry


@dataclass(frozen=True, slots=True)
class TrainingResult:
    model: InferenceModel
    threshold: ThresholdChoice
    evaluation: Evaluation
    train_visitors: int
    calibration_visitors: int


MIN_VISITORS = 50


def _split(n: int, seed: int) -> tuple[list[int], list[int], list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    a, b = int(n * 0.6), int(n * 0.8)
    return order[:a], order[a:b], order[b:]


def _fit(
    vectors: Sequence[dict[str, float]],
    labels: Sequence[str],
    c: float,
) -> tuple[tuple[str, ...], tuple[float, ...], dict[str, tuple[float, ...]]]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform(vectors)
    fitted = LogisticRegression(C=c, max_iter=2000).fit(x, list(labels))
    classes = tuple(str(k) for k in fitted.classes_)
    names = vectorizer.get_feature_names_out()
    if len(classes) == 2:  # sklearn keeps one weight row; softmax(-z/2, z/2) = sigmoid(z)
        row, b = fitted.coef_[0], float(fitted.intercept_[0])
        intercepts: tuple[float, ...] = (-b / 2, b / 2)
        coefficients: dict[str, tuple[float, ...]] = {
            str(name): (-float(w) / 2, float(w) / 2)
            for name, w in zip(names, row, strict=True)
            if w != 0
        }
    else:
        intercepts = tuple(float(b) for b in fitted.intercept_)
        coefficients = {
            str(name): tuple(float(w) for w in fitted.coef_[:, j])
            for j, name in enumerate(names)
            if any(fitted.coef_[:, j] != 0)
        }
    return classes, intercepts, coefficients


def _temperature(
    draft: Classifier, vectors: Sequence[dict[str, float]], labels: Sequence[str]
) -> float:
    from scipy.optimize import minimize_scalar

    index = {k: i for i, k in enumerate(draft.classes)}
    logits = [draft.logits(v) for v in vectors]
    truth = [index.get(label) for label in labels]

    def nll(t: float) -> float:
        total = 0.0
        for scores, k in zip(logits, truth, strict=True):
            if k is None:
                continue
            scaled = [s / t for s in scores]
            top = max(scaled)
            log_z = top + math.log(sum(math.exp(s - top) for s in scaled))
            total += log_z - scaled[k]
        return total

    result = minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded")
    return float(result.x)


def _top(classifier: Classifier, vector: dict[str, float]) -> tuple[str, float]:
    probs = classifier.probabilities(vector)
    k = max(range(len(probs)), key=probs.__getitem__)
    return classifier.classes[k], probs[k]


def _classifier(
    vectors: Sequence[dict[str, float]],
    labels: Sequence[str],
    seed: int,
    target_precision: float,
    c: float,
) -> tuple[Classifier, ThresholdChoice, list[int], list[int], list[int]]:
    fit_i, cal_i, test_i = _split(len(labels), seed)
    if len({labels[i] for i in fit_i}) < 2:
        raise TrainingError("the training visitors need answers for at least two classes")
    classes, intercepts, coefficients = _fit(
        [vectors[i] for i in fit_i], [labels[i] for i in fit_i], c
    )
    draft = Classifier(classes, intercepts, coefficients, threshold=1.0)
    t = _temperature(draft, [vectors[i] for i in cal_i], [labels[i] for i in cal_i])
    scaled = Classifier(classes, intercepts, coefficients, threshold=1.0, temperature=t)
    probs, right = [], []
    for i in cal_i:
        known = {n: v for n, v in vectors[i].items() if n in coefficients}
        if not known:  # infer() abstains on these whatever the threshold
            continue
        label, p = _top(scaled, known)
        probs.append(p)
        right.append(label == labels[i])
    choice = threshold_for_precision(probs, right, target_precision)
    final = Classifier(classes, intercepts, coefficients, choice.threshold, t)
    return final, choice, fit_i, cal_i, test_i


def train(
    visitors: Sequence[LabelledVisitor],
    version: str,
    target_precision: float = 0.9,
    persona_target_precision: float = 0.9,
    persona_industries: dict[str, str] | None = None,
    seed: int = 0,
    c: float = 1.0,
) -> TrainingResult:
    """Fit, calibrate, choose the threshold and evaluate; see the module docstring."""
    if len(visitors) < MIN_VISITORS:
        raise TrainingError(
            f"{len(visitors)} labelled visitors; at least {MIN_VISITORS} are needed"
        )
    vectors = [features(v.signals) for v in visitors]
    labels = [v.industry for v in visitors]
    industry, choice, _, cal_i, test_i = _classifier(vectors, labels, seed, target_precision, c)

    persona: Classifier | None = None
    with_persona = [i for i, v in enumerate(visitors) if v.persona]
    if len(with_persona) >= MIN_VISITORS and len({visitors[i].persona for i in with_persona}) > 1:
        persona, _, _, _, _ = _classifier(
            [vectors[i] for i in with_persona],
            [visitors[i].persona for i in with_persona],
            seed,
            persona_target_precision,
            c,
        )
    model = InferenceModel(version, industry, persona, dict(persona_industries or {}))
    held_out = [visitors[i] for i in test_i]
    n_fit = len(labels) - len(cal_i) - len(test_i)
    return TrainingResult(model, choice, evaluate(model, held_out), n_fit, len(cal_i))


def evaluate(model: InferenceModel, visitors: Sequence[LabelledVisitor]) -> Evaluation:
    """Reliability and ECE of the top industry probability over every visitor, and the
    precision and coverage of what :func:`infer` actually says (abstentions excluded)."""
    probs, right, spoke = [], [], []
    for v in visitors:
        outcome = infer(model, v.signals)
        probs.append(outcome.probability)
        right.append(outcome.candidate == v.industry)
        spoke.append(not outcome.abstained)
    table = reliability_table(probs, right)
    said = [ok for ok, s in zip(right, spoke, strict=True) if s]
    precision = sum(said) / len(said) if said else 0.0
    coverage = len(said) / len(visitors) if visitors else 0.0
    return Evaluation(len(visitors), table, expected_calibration_error(table), precision, coverage)
