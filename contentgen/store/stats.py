"""Small statistics for campaign reports: Wilson intervals and two-proportion tests."""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
from scipy import stats


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (nan, nan) when there are no trials.

    Chosen over the normal interval because campaign rates are small and groups are often
    small, where the normal interval leaves [0, 1] or collapses to zero width.
    """
    if trials <= 0:
        return (float("nan"), float("nan"))
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class ProportionTest:
    """Two-sided pooled two-proportion z-test of group b against group a."""

    rate_a: float
    rate_b: float
    lift: float  # (rate_b - rate_a) / rate_a; nan when rate_a is 0
    z: float
    p_value: float


def two_proportion_test(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> ProportionTest:
    """Pooled two-proportion z-test; p-value 1.0 when the pooled rate is 0 or 1 (no evidence)."""
    if trials_a <= 0 or trials_b <= 0:
        return ProportionTest(float("nan"), float("nan"), float("nan"), float("nan"), float("nan"))
    rate_a, rate_b = successes_a / trials_a, successes_b / trials_b
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    if se == 0:
        z, p_value = 0.0, 1.0
    else:
        z = (rate_b - rate_a) / se
        p_value = float(2 * stats.norm.sf(abs(z)))
    lift = (rate_b - rate_a) / rate_a if rate_a > 0 else float("nan")
    return ProportionTest(rate_a, rate_b, lift, z, p_value)


def chi_square_p(successes: np.ndarray, trials: np.ndarray) -> float:
    """p-value of the chi-square test that all groups share one rate (nan if undefined)."""
    successes = np.asarray(successes, dtype=float)
    failures = np.asarray(trials, dtype=float) - successes
    table = np.vstack([successes, failures])
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return float("nan")
    return float(stats.chi2_contingency(table, correction=False)[1])


def welch_p(values_a: np.ndarray, values_b: np.ndarray) -> float:
    """Welch t-test p-value for a difference in means (e.g. revenue per recipient)."""
    values_a, values_b = np.asarray(values_a, float), np.asarray(values_b, float)
    if len(values_a) < 2 or len(values_b) < 2 or (values_a.std() == 0 and values_b.std() == 0):
        return float("nan")
    return float(stats.ttest_ind(values_a, values_b, equal_var=False).pvalue)
