"""Scoring exported models (``engine.inference``) and the calibration helpers
(``engine.calibration``).

Oracles are independent of the code: logistic values worked by hand (softmax of two logits
is the sigmoid of their difference), ECE of a table computed by hand, and published Wilson
interval bounds.
"""

from __future__ import annotations

import math

import pytest

from persx.engine.learning.calibration import (
    expected_calibration_error,
    reliability_table,
    threshold_for_precision,
    wilson_lower_bound,
)
from persx.engine.learning.inference import (
    Classifier,
    InferenceModel,
    Signals,
    describe_feature,
    features,
    infer,
    normalise_path,
)
from persx.engine.setup_errors import InvalidSetup

LN3 = math.log(3)

# Two industries. A SaaS CTA click adds ln 3 to SaaS's logit: with even intercepts that is
# odds 3:1, p = 0.75. A travel referrer adds ln 9 to travel's logit.
MODEL = InferenceModel(
    "m1",
    Classifier(
        classes=("saas", "travel"),
        intercepts=(0.0, 0.0),
        coefficients={"cta:saas": (LN3, 0.0), "referrer:skift.com": (0.0, math.log(9))},
        threshold=0.7,
    ),
    Classifier(
        classes=("saas-growth-lead", "travel-loyalty-crm"),
        intercepts=(0.0, 0.0),
        coefficients={"tag:persona:saas-growth-lead": (math.log(19), 0.0)},
        threshold=0.9,
    ),
    {"saas-growth-lead": "saas", "travel-loyalty-crm": "travel"},
)


def test_features_name_each_signal() -> None:
    signals = Signals(
        landing_path="/Industries/SaaS?utm_source=x",
        pages_viewed=("/pricing", "/pricing/", "/blog/a/"),
        tags_read=("industry:saas", "industry:saas", "Topic:AB"),
        cta_industries=("saas",),
        utm=(("utm_campaign", " SaaS-Q3 "), ("utm_unknown", "x"), ("utm_source", "")),
        referrer_host="www.Skift.com",
        firmographic_industry="travel",
    )
    assert features(signals) == {
        "landing:/industries/saas/": 1.0,
        "page:/pricing/": 1.0,
        "page:/blog/a/": 1.0,
        "tag:industry:saas": pytest.approx(math.log(3)),
        "tag:topic:ab": pytest.approx(math.log(2)),
        "cta:saas": pytest.approx(math.log(2)),
        "utm_campaign:saas-q3": 1.0,
        "referrer:skift.com": 1.0,
        "firmographic:travel": 1.0,
    }
    assert features(Signals()) == {}
    assert Signals().is_empty


def test_normalise_path() -> None:
    assert normalise_path("pricing") == "/pricing/"
    assert normalise_path("/A/b#x") == "/a/b/"


def test_probabilities_are_the_logistic_of_the_logit_difference() -> None:
    # One CTA click has value log(2); logit(saas) = log(2)·ln 3.
    probs = MODEL.industry.probabilities({"cta:saas": 1.0})
    assert probs == pytest.approx((0.75, 0.25))
    probs = MODEL.industry.probabilities({"cta:saas": 1.0, "referrer:skift.com": 1.0})
    assert probs == pytest.approx((0.25, 0.75))  # 3 : 9


def test_temperature_flattens_without_changing_the_ranking() -> None:
    hot = Classifier(("a", "b"), (0.0, 0.0), {"x": (LN3, 0.0)}, 0.5, temperature=2.0)
    p = hot.probabilities({"x": 1.0})
    assert p[0] == pytest.approx(math.sqrt(3) / (math.sqrt(3) + 1))  # odds 3^(1/2)


def test_confident_visitor_gets_the_industry_with_probability_and_top_signal() -> None:
    outcome = infer(MODEL, Signals(referrer_host="skift.com"))
    assert outcome.industry == "travel"
    assert outcome.probability == pytest.approx(0.9)
    assert [s.feature for s in outcome.top_signals] == ["referrer:skift.com"]
    assert outcome.model_version == "m1"


def test_unsure_visitor_stays_generic() -> None:
    # One CTA click: p(saas) = 1 / (1 + 3^-log 2) ≈ 0.68 < 0.7.
    outcome = infer(MODEL, Signals(cta_industries=("saas",)))
    assert outcome.abstained
    assert outcome.industry is None
    assert outcome.candidate == "saas"
    assert 0.5 < outcome.probability < 0.7


def test_a_visitor_with_no_known_signal_abstains_even_with_skewed_base_rates() -> None:
    skewed = InferenceModel(
        "m2", Classifier(("a", "b"), (5.0, 0.0), {"cta:a": (1.0, 0.0)}, threshold=0.6)
    )
    outcome = infer(skewed, Signals(landing_path="/never-seen/"))
    assert outcome.abstained
    assert outcome.probability > 0.99  # the base rate alone, not evidence


def test_persona_only_inside_the_inferred_industry_and_above_its_threshold() -> None:
    both = Signals(
        cta_industries=("saas", "saas", "saas"), tags_read=("persona:saas-growth-lead",) * 2
    )
    outcome = infer(MODEL, both)
    assert outcome.industry == "saas"
    assert outcome.persona == "saas-growth-lead"
    assert outcome.persona_probability == pytest.approx(1 / (1 + 19 ** -math.log(3)))
    # The same persona evidence with travel inferred names no persona.
    outcome = infer(
        MODEL,
        Signals(referrer_host="skift.com", tags_read=("persona:saas-growth-lead",) * 3),
    )
    assert outcome.industry == "travel"
    assert outcome.persona is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"classes": ("a",), "intercepts": (0.0,)}, "classes"),
        ({"classes": ("a", "a")}, "classes"),
        ({"intercepts": (0.0,)}, "intercepts"),
        ({"coefficients": {"x": (1.0,)}}, "coefficients"),
        ({"threshold": 0.0}, "threshold"),
        ({"temperature": -1.0}, "temperature"),
    ],
)
def test_malformed_models_are_refused_naming_the_field(
    change: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {
        "classes": ("a", "b"),
        "intercepts": (0.0, 0.0),
        "coefficients": {},
        "threshold": 0.5,
    }
    args.update(change)
    with pytest.raises(InvalidSetup) as caught:
        Classifier(**args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_reliability_table_and_ece_by_hand() -> None:
    probs = [0.95, 0.95, 0.95, 0.95, 0.65, 0.65]
    right = [True, True, True, False, True, False]
    table = reliability_table(probs, right, bins=10)
    assert [(b.lower, b.count) for b in table] == [(0.6, 2), (0.9, 4)]
    assert table[1].accuracy == 0.75
    # ECE = 4/6·|0.75 − 0.95| + 2/6·|0.5 − 0.65| = 0.1333… + 0.05
    assert expected_calibration_error(table) == pytest.approx(0.2 * 4 / 6 + 0.15 * 2 / 6)
    assert expected_calibration_error(()) == 0.0
    assert reliability_table([1.0], [True], bins=10)[0].lower == 0.9


def test_wilson_bounds_match_published_values() -> None:
    # Two-sided 95% Wilson interval for 5/10 is (0.2366, 0.7634) (Newcombe 1998, Table I
    # gives 81/263 → (0.2553, 0.3662)).
    assert wilson_lower_bound(5, 10) == pytest.approx(0.2366, abs=1e-4)
    assert wilson_lower_bound(81, 263) == pytest.approx(0.2553, abs=1e-4)
    assert wilson_lower_bound(0, 0) == 0.0


def test_threshold_is_the_lowest_cut_that_keeps_the_precision() -> None:
    # 300 predictions at 0.99 (all right), then 300 at 0.6 (half right).
    probs = [0.99] * 300 + [0.6] * 300
    right = [True] * 300 + [True, False] * 150
    choice = threshold_for_precision(probs, right, target=0.9)
    assert choice.threshold == 0.99
    assert choice.precision == 1.0
    assert choice.coverage == 0.5
    assert choice.found
    nothing = threshold_for_precision([0.6] * 100, [True, False] * 50, target=0.9)
    assert not nothing.found
    assert nothing.threshold == 1.0


def test_threshold_refuses_a_cut_whose_probabilities_promise_less_than_the_target() -> None:
    """Right by luck at p=0.5 is not a 90% promise: the mean probability must reach it."""
    choice = threshold_for_precision([0.5] * 500, [True] * 500, target=0.9)
    assert not choice.found


def test_features_are_described_in_words() -> None:
    assert describe_feature("referrer:skift.com") == "came from skift.com"
    assert describe_feature("tag:industry:saas") == "read content tagged industry:saas"
    assert describe_feature("utm_campaign:travel-q3") == "UTM campaign travel-q3"
    assert describe_feature("mystery") == "mystery"


def test_empty_values_and_unknown_features_are_ignored() -> None:
    assert features(Signals(tags_read=("",), cta_industries=("",))) == {}
    assert MODEL.industry.top_signals({"unknown": 1.0, "cta:saas": 1.0}, 0) == (
        MODEL.industry.top_signals({"cta:saas": 1.0}, 0)
    )


def test_a_model_without_a_persona_classifier_names_no_persona() -> None:
    industry_only = InferenceModel("m3", MODEL.industry)
    outcome = infer(industry_only, Signals(referrer_host="skift.com"))
    assert outcome.industry == "travel"
    assert outcome.persona is None
    assert outcome.persona_probability == 0.0


def test_calibration_helpers_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        reliability_table([0.5], [])
    with pytest.raises(ValueError, match="within"):
        reliability_table([1.5], [True])
    with pytest.raises(ValueError, match="bins"):
        reliability_table([0.5], [True], bins=0)
    with pytest.raises(ValueError, match="target"):
        threshold_for_precision([0.5], [True], target=1.0)


def test_precision_at_a_fixed_cut() -> None:
    from persx.engine.learning.calibration import precision_at

    assert precision_at([0.9, 0.8, 0.3], [True, False, True], 0.5) == (0.5, 2 / 3, 2)
    assert precision_at([], [], 0.5) == (0.0, 0.0, 0)
