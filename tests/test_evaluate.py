"""Temporal splits without leakage, the comparison table, and the MovieLens protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from contentgen.data.schema import Shop
from contentgen.errors import ConfigError
from contentgen.evaluate.compare import EvaluationConfig, evaluate_shop
from contentgen.evaluate.movielens import PUBLISHED_MSR, evaluate_movielens, load_movielens_100k, stratified_split
from contentgen.data.split import temporal_split
from contentgen.rank import Recommender, RecommenderConfig, build_interactions

MOVIELENS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "movielens-100k"
CUTOFF = pd.Timestamp("2011-06-01")
# Every signal that reads the purchase history, without EASE's dense solve (three fits below).
LIGHT = RecommenderConfig(signals=("itemknn", "popularity", "repeat"), weights_new={"itemknn": 1.0},
                          weights_all={"itemknn": 1.0, "repeat": 1.0})


def with_future_purchase(shop: Shop, shopper: str, product: str, when: pd.Timestamp) -> Shop:
    row = shop.events.iloc[[0]].copy()
    row["shopper_id"] = shopper
    row["product_id"] = product
    row["event_type"] = "purchase"
    row["timestamp"] = when
    row = row.astype(shop.events.dtypes.to_dict())
    events = pd.concat([shop.events, row], ignore_index=True)
    return Shop(shop.catalog, shop.shoppers, events, shop.currency, shop.name)


def test_split_keeps_the_future_out_of_training(demo_shop):
    split = temporal_split(demo_shop, CUTOFF)
    assert split.train.events["timestamp"].max() < CUTOFF
    # products first sold after the cutoff are not in the training catalog
    late = demo_shop.catalog.loc[demo_shop.catalog["first_seen"] >= CUTOFF, "product_id"]
    assert len(late) > 0 and not set(late) & set(split.train.catalog["product_id"])
    # truth is exactly the purchases in the window
    window = demo_shop.purchases[demo_shop.purchases["timestamp"] >= CUTOFF]
    assert set(split.truth) == set(window["shopper_id"].astype(str))
    for shopper in list(split.truth)[:20]:
        assert split.new_truth[shopper] | split.repeat_truth[shopper] == split.truth[shopper]
        assert not split.new_truth[shopper] & split.repeat_truth[shopper]
    assert split.warm_shoppers.isdisjoint(split.cold_shoppers)
    train_buyers = set(split.train.purchases["shopper_id"].astype(str))
    assert split.warm_shoppers <= train_buyers and not split.cold_shoppers & train_buyers


def test_a_future_interaction_never_reaches_the_model(demo_shop):
    """Add a purchase after the cutoff: the model fitted on the split must not change at all."""
    shopper = str(demo_shop.purchases["shopper_id"].iloc[0])
    bought = set(demo_shop.purchases.loc[demo_shop.purchases["shopper_id"] == shopper, "product_id"])
    product = next(p for p in demo_shop.catalog["product_id"] if p not in bought)
    leaky = with_future_purchase(demo_shop, shopper, product, CUTOFF + pd.Timedelta("1D"))

    clean_split = temporal_split(demo_shop, CUTOFF)
    leaky_split = temporal_split(leaky, CUTOFF)
    assert product in leaky_split.truth[shopper]
    matrix = build_interactions(leaky_split.train)
    if shopper in matrix.shopper_index and product in matrix.product_index:
        assert matrix.matrix[matrix.shopper_index[shopper], matrix.product_index[product]] == 0

    clean = Recommender(LIGHT).fit(clean_split.train)
    leaky_model = Recommender(LIGHT).fit(leaky_split.train)
    shoppers = sorted(clean_split.warm_shoppers)[:30] + [shopper]
    for name in clean.scorers:
        a = clean.signal_scores(shoppers)[name]
        b = leaky_model.signal_scores(shoppers)[name]
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"signal {name} saw the future")
    # and the same purchase *before* the cutoff does change the model: the test can fail
    past = with_future_purchase(demo_shop, shopper, product, CUTOFF - pd.Timedelta("1D"))
    changed = Recommender(LIGHT).fit(temporal_split(past, CUTOFF).train)
    for name in ("itemknn", "repeat"):
        assert not np.allclose(changed.signal_scores([shopper])[name], clean.signal_scores([shopper])[name])


def test_split_rejects_an_empty_window(demo_shop):
    with pytest.raises(ConfigError, match="must come after"):
        temporal_split(demo_shop, "2011-06-01", "2011-01-01")


def test_evaluate_table_on_the_demo_slice(demo_shop):
    config = EvaluationConfig(validation_cutoff="2011-03-01", test_cutoff="2011-06-01", baselines=(),
                              blend_signals=("itemknn", "popularity", "repeat"))
    report = evaluate_shop(demo_shop, config)
    table = report.table
    methods = {"itemknn", "popularity", "repeat", "blend"}
    assert set(table["method"]) == methods
    assert set(table["mode"]) == {"new", "all"} and set(table["shoppers"]) == {"warm", "cold"}
    assert len(table) == len(methods) * 4
    for column in ("recall", "ndcg", "precision", "map", "coverage"):
        assert table[column].between(0, 1).all()
    # on cold shoppers the blend is the popularity fallback
    cold = table[(table["shoppers"] == "cold") & (table["mode"] == "new")].set_index("method")
    assert cold.loc["blend", "ndcg"] == pytest.approx(cold.loc["popularity", "ndcg"])
    assert "| blend |" in report.to_markdown()
    assert set(report.weights) == {"new", "all"}


def test_movielens_loader_and_stratified_split():
    shop = load_movielens_100k(MOVIELENS)
    assert len(shop.events) == 100_000
    assert shop.events["shopper_id"].nunique() == 943 and len(shop.catalog) == 1682
    assert shop.catalog.loc[shop.catalog["product_id"] == "1", "title"].item() == "Toy Story (1995)"
    train, truth = stratified_split(shop, 0.75, seed=42)
    per_user_train = train.events.groupby("shopper_id").size()
    per_user_all = shop.events.groupby("shopper_id").size()
    share = (per_user_train / per_user_all).to_numpy()
    assert np.all(np.abs(share - 0.75) < 0.05)
    pairs = set(zip(train.events["shopper_id"], train.events["product_id"]))
    assert not any((u, i) in pairs for u, items in truth.items() for i in items)
    again, _ = stratified_split(shop, 0.75, seed=42)
    pd.testing.assert_frame_equal(train.events, again.events)


@pytest.mark.slow
def test_movielens_ease_beats_published_sar_under_the_same_protocol():
    result = evaluate_movielens(MOVIELENS, methods=("popularity", "ease"))
    ours = result.ours.set_index("method")
    assert ours.loc["ease", "ndcg"] > PUBLISHED_MSR["SAR"]["ndcg"]
    assert ours.loc["ease", "ndcg"] > ours.loc["popularity", "ndcg"] > 0.1
    assert "published (MSR)" in result.to_markdown()


@pytest.mark.slow
def test_blend_beats_every_single_method_on_the_real_shop(real_shop):
    report = evaluate_shop(real_shop, EvaluationConfig(baselines=()))
    for mode in ("new", "all"):
        assert report.blend_gain(mode) > 0, report.to_markdown()
    assert report.blend_gain("all") >= 0.05, report.to_markdown()
