"""Lifecycle segments from explicit, configurable rules (see ``SegmentRules``).

The rules are applied in a fixed order, first match wins: a shopper with no purchase is
``cold_start``; then ``churned`` and ``at_risk`` by days since the last purchase; then ``new``
by days since the first; then ``loyal`` by order count (and optional spend); the rest ``active``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contentgen.profile.config import SEGMENTS, SegmentRules

REQUIRED = ("n_orders", "monetary", "recency_days", "first_purchase")


def assign_segments(features: pd.DataFrame, as_of: pd.Timestamp, rules: SegmentRules = SegmentRules()) -> pd.Series:
    """The lifecycle segment of every row of ``features`` (a categorical Series, same index)."""
    missing = [column for column in REQUIRED if column not in features.columns]
    if missing:
        raise KeyError(f"assign_segments needs feature columns {missing}; build them with compute_features")
    recency = features["recency_days"]
    days_since_first = (pd.Timestamp(as_of) - features["first_purchase"]) / pd.Timedelta(days=1)
    conditions = [
        features["n_orders"] <= 0,
        recency > rules.churned_after_days,
        recency > rules.at_risk_after_days,
        days_since_first <= rules.new_within_days,
        (features["n_orders"] >= rules.loyal_min_orders) & (features["monetary"] >= rules.loyal_min_monetary),
    ]
    labels = ["cold_start", "churned", "at_risk", "new", "loyal"]
    segment = np.select(conditions, labels, default="active")
    return pd.Series(pd.Categorical(segment, categories=SEGMENTS), index=features.index, name="segment")


def segment_counts(segments: pd.Series) -> pd.DataFrame:
    """Shoppers per segment, in lifecycle order, with their share."""
    counts = segments.value_counts().reindex(list(SEGMENTS), fill_value=0)
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({"shoppers": counts.astype("int64"), "share": counts / total}).rename_axis("segment")
