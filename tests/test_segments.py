"""Lifecycle segments follow their explicit, configurable rules in order."""

from __future__ import annotations

import pandas as pd
import pytest

from contentgen.errors import ConfigError
from contentgen.profile import SEGMENTS, SegmentRules, assign_segments, segment_counts

AS_OF = pd.Timestamp("2024-06-01")


def _features(rows):
    frame = pd.DataFrame(rows, columns=["shopper_id", "n_orders", "monetary", "recency_days", "first_days_ago"])
    frame["first_purchase"] = AS_OF - pd.to_timedelta(frame["first_days_ago"], unit="D")
    return frame.set_index("shopper_id")


FEATURES = _features([
    ("never", 0, 0.0, float("nan"), float("nan")),
    ("gone", 20, 9000.0, 400.0, 700.0),  # loyal once, but churned rules come first
    ("slipping", 3, 300.0, 120.0, 300.0),
    ("fresh", 1, 50.0, 10.0, 10.0),
    ("fresh_but_quiet", 1, 50.0, 100.0, 100.0),  # first order 100 days ago: no longer new, at risk
    ("regular", 8, 2000.0, 20.0, 500.0),
    ("casual", 2, 100.0, 30.0, 200.0),
])


def test_default_rules():
    segments = assign_segments(FEATURES, AS_OF)
    assert segments.to_dict() == {
        "never": "cold_start",
        "gone": "churned",
        "slipping": "at_risk",
        "fresh": "new",
        "fresh_but_quiet": "at_risk",
        "regular": "loyal",
        "casual": "active",
    }
    assert list(segments.cat.categories) == list(SEGMENTS)


def test_rules_are_configurable():
    rules = SegmentRules(new_within_days=5, at_risk_after_days=25, churned_after_days=500, loyal_min_orders=2,
                         loyal_min_monetary=150.0)
    segments = assign_segments(FEATURES, AS_OF, rules)
    assert segments["gone"] == "at_risk"  # 400 days is no longer past the churn threshold
    assert segments["fresh"] == "active"  # 10 days ago is not within 5
    assert segments["casual"] == "at_risk"  # 30 days > 25
    assert segments["regular"] == "loyal"
    assert assign_segments(FEATURES.assign(monetary=100.0), AS_OF, rules)["regular"] == "active"  # under the spend floor


def test_boundaries_are_inclusive_of_the_threshold_day():
    frame = _features([("edge_new", 1, 10.0, 60.0, 60.0), ("edge_risk", 2, 10.0, 90.0, 400.0),
                       ("edge_churn", 2, 10.0, 270.0, 400.0)])
    assert assign_segments(frame, AS_OF).tolist() == ["new", "active", "at_risk"]


def test_segment_counts_in_lifecycle_order():
    counts = segment_counts(assign_segments(FEATURES, AS_OF))
    assert list(counts.index) == list(SEGMENTS)
    assert counts.loc["at_risk", "shoppers"] == 2 and counts["shoppers"].sum() == len(FEATURES)
    assert counts["share"].sum() == pytest.approx(1.0)


def test_invalid_rules_fail_with_the_fix():
    with pytest.raises(ConfigError, match="at_risk_after_days < churned_after_days, got 100 and 50: raise churned_after_days"):
        SegmentRules(at_risk_after_days=100, churned_after_days=50)


def test_missing_feature_columns_are_named():
    with pytest.raises(KeyError, match="recency_days"):
        assign_segments(FEATURES.drop(columns="recency_days"), AS_OF)


def test_segments_of_the_demo_shop(demo_shop):
    from contentgen.profile import build_profiles

    profiles = build_profiles(demo_shop, cluster=False)
    segments = profiles.frame["segment"]
    assert set(segments.unique()) <= set(SEGMENTS)
    frame = profiles.frame
    churned = frame[segments == "churned"]
    assert (churned["recency_days"] > 270).all()
    assert ((frame["n_orders"] == 0) == (segments == "cold_start")).all()
    # The demo slice spans two years and its shoppers are still buying: every live segment occurs.
    assert {"new", "active", "loyal", "at_risk", "churned"} <= set(segments.unique())


def test_rules_from_a_settings_table():
    import tomllib

    from contentgen.profile import ProfileConfig, from_mapping

    table = tomllib.loads("""
affinity_half_life_days = 60
windows_days = [30, 90]
[segments]
churned_after_days = 365
loyal_min_orders = 4
[clusters]
k_max = 5
""")
    config = from_mapping(ProfileConfig, table)
    assert config.segments == SegmentRules(churned_after_days=365, loyal_min_orders=4)
    assert config.clusters.k_max == 5 and config.windows_days == (30, 90)
    with pytest.raises(ConfigError, match=r"unknown SegmentRules setting\(s\) \['churn_days'\]; valid: "):
        from_mapping(ProfileConfig, {"segments": {"churn_days": 10}})
