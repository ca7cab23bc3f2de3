"""A CUPED covariate predicted from pre-exposure attributes (docs/statistics.md).

CUPED (:mod:`.regression_adjustment`) needs, per unit, a number the treatment cannot have
moved. A returning visitor has history (pages viewed before their first exposure); a new
visitor has none, but does arrive with attributes fixed before exposure: industry, persona,
traffic source, landing page, firmographic size. Their outcome *predicted* from those
attributes is such a number (the "CUPAC" idea: any function of pre-exposure data is a valid
covariate). Here the predictor is plain engine maths, not a learned model in the request
path: **hierarchically shrunk cell means**.

Attributes are ordered (most predictive first, e.g. prior engagement band, industry,
persona, source, landing page, size). Level 0 is the grand mean ȳ; the prediction for the
cell of the first l attributes is

    m_l = (Σy_cell + s·m_{l−1}) / (n_cell + s),

the cell's mean shrunk toward its parent cell's prediction with a prior worth ``strength``
visitors (empirical-Bayes style: a sparse cell falls back on its parent, a full one speaks
for itself). The prediction of a unit is m_L of its full cell.

Guarding against leakage (the covariate must not carry the treatment's effect, nor the
unit's own outcome):

- the means are fitted on **control-arm outcomes only**: a model fitted on treated outcomes
  would carry the effect into the covariate and the adjustment would subtract part of it;
- **cross-fitting**: units are split into folds by a hash of their id; a unit in fold f
  gets the prediction of means fitted on the control units of the *other* folds. So no unit's
  own outcome enters its covariate (in-sample cell means would correlate the covariate with
  the control arm's noise and bias the adjusted control mean), and control and treatment
  units of one fold get the same prediction function, so randomisation keeps the covariate
  balanced between arms.

Inputs are *groups*: units sharing (fold, attribute levels, arm) can be aggregated, so the
report and the simulations pass per-group totals; ``fitting_visitors`` and
``fitting_outcome`` are the group's totals when it may be fitted on (a control group) and 0
otherwise. A leading axis of runs is allowed for simulations (one row per simulated
experiment, the same group structure).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from persx.engine.statistics._checks import FloatArray, as_float_array
from persx.engine.statistics.account_sums import AccountSums

__all__ = ["DEFAULT_STRENGTH", "cross_fitted_predictions", "group_sums"]

DEFAULT_STRENGTH = 20.0


def _prefix_codes(levels: npt.NDArray[np.int64], depth: int) -> npt.NDArray[np.int64]:
    """An integer per group naming its cell on the first ``depth`` attributes."""
    _, codes = np.unique(levels[:, :depth], axis=0, return_inverse=True)
    return np.asarray(codes, dtype=np.int64).reshape(-1)


def cross_fitted_predictions(
    levels: npt.ArrayLike,
    folds: npt.ArrayLike,
    fitting_visitors: npt.ArrayLike,
    fitting_outcome: npt.ArrayLike,
    strength: float = DEFAULT_STRENGTH,
) -> FloatArray:
    """Each group's predicted outcome per visitor, fitted on the other folds' fitting data.

    ``levels``: (G, A) integer codes of each group's A ordered attributes; ``folds``: (G,)
    fold of each group; ``fitting_visitors`` / ``fitting_outcome``: (G,) or (R, G) totals
    of the groups that may be fitted on (0 elsewhere). Returns the predictions in the shape
    of ``fitting_visitors``. A fold with nothing to fit on predicts NaN.

    >>> cross_fitted_predictions([[0], [1], [0], [1]], [0, 0, 1, 1],
    ...                          [10, 10, 10, 10], [1, 5, 3, 7], strength=10).tolist()
    [0.4, 0.6, 0.2, 0.4]
    """
    codes = np.asarray(levels, dtype=np.int64)
    fold = np.asarray(folds, dtype=np.int64).reshape(-1)
    visitors = as_float_array(fitting_visitors)
    outcome = as_float_array(fitting_outcome)
    if codes.ndim != 2 or codes.shape[0] != fold.shape[0]:
        raise ValueError("levels must be a (groups, attributes) array, one row per fold entry")
    if visitors.shape != outcome.shape or visitors.shape[-1] != fold.shape[0]:
        raise ValueError("fitting_visitors and fitting_outcome must have one entry per group")
    if strength <= 0:
        raise ValueError(f"strength must be positive, got {strength}")
    if np.any(visitors < 0):
        raise ValueError("fitting_visitors must be non-negative")
    runs = visitors.reshape(-1, fold.shape[0])
    sums = outcome.reshape(-1, fold.shape[0])
    prediction = np.full_like(runs, np.nan)
    cells = [_prefix_codes(codes, depth) for depth in range(1, codes.shape[1] + 1)]
    for f in np.unique(fold):
        other = fold != f
        n = runs * other
        s = sums * other
        with np.errstate(divide="ignore", invalid="ignore"):
            current = (s.sum(axis=1) / n.sum(axis=1))[:, None] * np.ones_like(n)
        for code in cells:
            width = int(code.max()) + 1
            onehot = np.zeros((code.shape[0], width))
            onehot[np.arange(code.shape[0]), code] = 1.0
            n_cell = (n @ onehot)[:, code]
            s_cell = (s @ onehot)[:, code]
            current = (s_cell + strength * current) / (n_cell + strength)
        prediction[:, fold == f] = current[:, fold == f]
    return prediction.reshape(visitors.shape)


def group_sums(
    visitors: npt.ArrayLike,
    outcome: npt.ArrayLike,
    outcome_sq: npt.ArrayLike,
    prediction: npt.ArrayLike,
) -> AccountSums:
    """One arm's visitor-level sums (every visitor an account of one) from its groups'
    visitors, Σy, Σy² and the groups' predicted covariate (the same for every visitor of a
    group), summed over the last axis: ΣX = Σn·x, ΣX² = Σn·x², ΣXY = Σx·Σy.

    >>> s = group_sums([2, 3], [1, 2], [1, 2], [0.5, 1.0])
    >>> (s.accounts, s.covariate, s.covariate_sq, s.covariate_outcome)
    (5.0, 4.0, 3.5, 2.5)
    """
    n = as_float_array(visitors)
    y = as_float_array(outcome)
    yy = as_float_array(outcome_sq)
    x = as_float_array(prediction)

    def add(values: FloatArray) -> npt.ArrayLike:
        summed = values.sum(axis=-1)
        return float(summed) if summed.ndim == 0 else summed

    return AccountSums(
        accounts=add(n),
        visitors=add(n),
        outcome=add(y),
        visitors_sq=add(n),
        outcome_sq=add(yy),
        outcome_visitors=add(y),
        covariate=add(n * x),
        covariate_sq=add(n * x * x),
        covariate_visitors=add(n * x),
        covariate_outcome=add(x * y),
    )
