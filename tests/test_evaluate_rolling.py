"""Rolling evaluation on the demo slice: cutoffs, methods, modes, and the spread table."""

from __future__ import annotations

import pandas as pd

from contentgen.evaluate.rolling import BLEND_DEFAULT, BLEND_TUNED, RollingConfig, monthly_cutoffs, rolling_evaluation
from contentgen.rank.tuning import TuningConfig


def test_monthly_cutoffs_leave_a_full_test_month(demo_shop):
    cutoffs = monthly_cutoffs(demo_shop, 4)
    assert [f"{c:%Y-%m-%d}" for c in cutoffs] == ["2011-08-01", "2011-09-01", "2011-10-01", "2011-11-01"]
    assert monthly_cutoffs(demo_shop, 2, months=None)[-1] == pd.Timestamp("2011-12-01")


def test_rolling_table_has_every_method_mode_and_cutoff(demo_shop):
    config = RollingConfig(cutoffs=("2011-11-01",), signals=("itemknn", "popularity", "repeat"),
                           tuning=TuningConfig.quick(half_life_days=(None, 90.0)), max_shoppers=150)
    report = rolling_evaluation(demo_shop, config)
    table = report.table
    assert set(table["mode"]) == {"new", "all"} and set(table["cutoff"]) == {"2011-11-01"}
    methods = set(table["method"])
    assert {"itemknn", "popularity", "repeat", BLEND_TUNED, BLEND_DEFAULT} <= methods
    assert table["ndcg"].between(0, 1).all() and (table["n"] > 0).all()
    summary = report.summary()
    assert {"mean", "std", "min", "max"} <= set(summary.columns)
    ratios = report.ratios("new")
    assert ratios.loc[0, "best_single"] in {"itemknn", "popularity", "repeat", "itemknn (no decay)"}
    text = report.to_markdown()
    assert "new to the shopper" in text and "with repurchase" in text and "| blend tuned |" in text
    assert "2011-11-01" in report.tuned
