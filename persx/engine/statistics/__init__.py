"""Statistics for measuring personalization and experiments (see docs/statistics.md).

Pure functions over plain numbers (counts, sums) returning frozen dataclasses; numpy and
scipy only. One concept per module:

- :mod:`.lift` — relative lift (PLI) of two rates with Fieller, Katz and delta intervals;
- :mod:`.ttest` — Welch t-test on relative/absolute lift from sufficient statistics;
- :mod:`.sequential` — asymptotic confidence sequences (always-valid intervals);
- :mod:`.srm` — sample ratio mismatch check;
- :mod:`.bayes` — exact Bayesian chance to win, P(PLI < t);
- :mod:`.power` — sample sizes, MDE, visitors still needed, holdout MDE;
- :mod:`.pooling` — partial pooling of per-segment lifts (empirical Bayes);
- :mod:`.multiple_testing` — Benjamini-Hochberg;
- :mod:`.verdict` — the "underperforming / insufficient data" verdict;
- :mod:`.account_sums` — per-arm sufficient statistics of account-level (cluster) data;
- :mod:`.clustered` — account-level ratio of means, PLI and difference (delta method);
- :mod:`.regression_adjustment` — CUPED with a pre-exposure covariate, balance check.
"""

from persx.engine.statistics.account_sums import AccountSums, account_sums
from persx.engine.statistics.bayes import chance_to_win, prob_relative_lift_below
from persx.engine.statistics.clustered import (
    ClusteredLift,
    ComparisonArrays,
    RatioArrays,
    clustered_lift,
    compare_ratios_arrays,
    ratio_of_means_arrays,
)
from persx.engine.statistics.lift import (
    LiftInterval,
    LiftIntervalArrays,
    LiftMethod,
    delta_interval_arrays,
    fieller_interval_arrays,
    katz_interval_arrays,
    relative_lift,
    relative_lift_delta,
    relative_lift_katz,
)
from persx.engine.statistics.multiple_testing import BHResult, benjamini_hochberg
from persx.engine.statistics.pooling import (
    PartialPooling,
    PooledSegment,
    SegmentCounts,
    SegmentPooling,
    ShrunkEstimate,
    partial_pool,
    pool_relative_lifts,
)
from persx.engine.statistics.power import (
    MdeVariance,
    holdout_mde,
    minimum_detectable_effect,
    sample_size_per_arm,
    total_sample_size,
    visitors_still_needed,
)
from persx.engine.statistics.prediction_covariate import (
    DEFAULT_STRENGTH,
    cross_fitted_predictions,
    group_sums,
)
from persx.engine.statistics.regression_adjustment import (
    BALANCE_THRESHOLD,
    AdjustedArrays,
    AdjustedLift,
    BalanceCheck,
    adjusted_lift,
    adjusted_lift_arrays,
)
from persx.engine.statistics.sequential import (
    DEFAULT_MIN_CONVERSIONS,
    DEFAULT_TUNING_N,
    SequentialInterval,
    SequentialLift,
    SequentialLiftArrays,
    confidence_sequence,
    confidence_sequence_halfwidth_arrays,
    sequential_relative_lift,
    sequential_relative_lift_arrays,
)
from persx.engine.statistics.srm import SRM_THRESHOLD, SRMResult, srm_chi2_arrays, srm_test
from persx.engine.statistics.time_to_power import TimeToPower, time_to_power
from persx.engine.statistics.ttest import (
    TTestArrays,
    TTestResult,
    proportion_ttest,
    sample_variance,
    welch_ttest,
    welch_ttest_arrays,
)
from persx.engine.statistics.verdict import Verdict, VerdictStatus, underperformance_verdict

__all__ = [
    "BALANCE_THRESHOLD",
    "DEFAULT_MIN_CONVERSIONS",
    "DEFAULT_STRENGTH",
    "DEFAULT_TUNING_N",
    "SRM_THRESHOLD",
    "AccountSums",
    "AdjustedArrays",
    "AdjustedLift",
    "BHResult",
    "BalanceCheck",
    "ClusteredLift",
    "ComparisonArrays",
    "LiftInterval",
    "LiftIntervalArrays",
    "LiftMethod",
    "MdeVariance",
    "PartialPooling",
    "PooledSegment",
    "RatioArrays",
    "SRMResult",
    "SegmentCounts",
    "SegmentPooling",
    "SequentialInterval",
    "SequentialLift",
    "SequentialLiftArrays",
    "ShrunkEstimate",
    "TTestArrays",
    "TTestResult",
    "TimeToPower",
    "Verdict",
    "VerdictStatus",
    "account_sums",
    "adjusted_lift",
    "adjusted_lift_arrays",
    "benjamini_hochberg",
    "chance_to_win",
    "clustered_lift",
    "compare_ratios_arrays",
    "confidence_sequence",
    "confidence_sequence_halfwidth_arrays",
    "cross_fitted_predictions",
    "delta_interval_arrays",
    "fieller_interval_arrays",
    "group_sums",
    "holdout_mde",
    "katz_interval_arrays",
    "minimum_detectable_effect",
    "partial_pool",
    "pool_relative_lifts",
    "prob_relative_lift_below",
    "proportion_ttest",
    "ratio_of_means_arrays",
    "relative_lift",
    "relative_lift_delta",
    "relative_lift_katz",
    "sample_size_per_arm",
    "sample_variance",
    "sequential_relative_lift",
    "sequential_relative_lift_arrays",
    "srm_chi2_arrays",
    "srm_test",
    "time_to_power",
    "total_sample_size",
    "underperformance_verdict",
    "visitors_still_needed",
    "welch_ttest",
    "welch_ttest_arrays",
]
