"""CF scorers, blending, diversity and rules on tiny synthetic shops with a known right answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from contentgen.data.schema import CATALOG_COLUMNS, EVENT_COLUMNS, SHOPPER_COLUMNS, Shop, conform
from contentgen.errors import ConfigError, NotFittedError
from contentgen.rank import (
    EASE,
    BusinessRules,
    EASEConfig,
    ItemKNN,
    ItemKNNConfig,
    build_interactions,
    create_scorer,
    fit_blend_weights,
    item_similarity,
    mmr_select,
    standardize_rows,
)
from contentgen.rank.blend import mean_ndcg, top_k_indices
from contentgen.rank.rules import allowed_mask


def make_shop(purchases: list[tuple[str, str]], start: str = "2021-01-01", catalog_extra: dict | None = None) -> Shop:
    """One purchase event per (shopper, product) pair, a day apart, in list order."""
    events = pd.DataFrame(purchases, columns=["shopper_id", "product_id"])
    events["event_type"] = "purchase"
    events["timestamp"] = pd.Timestamp(start) + pd.to_timedelta(np.arange(len(events)), unit="D")
    events["quantity"] = 1.0
    events["order_id"] = [f"o{i}" for i in range(len(events))]
    products = sorted({p for _, p in purchases} | set((catalog_extra or {}).get("product_id", [])))
    catalog = pd.DataFrame({"product_id": products, "title": [f"PRODUCT {p.upper()}" for p in products],
                            "price": 1.0})
    if catalog_extra:
        for column, values in catalog_extra.items():
            if column != "product_id":
                catalog[column] = catalog["product_id"].map(values)
    shoppers = pd.DataFrame({"shopper_id": sorted({s for s, _ in purchases}), "country": "United Kingdom"})
    return Shop(conform(catalog, CATALOG_COLUMNS), conform(shoppers, SHOPPER_COLUMNS), conform(events, EVENT_COLUMNS))


def two_tribes() -> Shop:
    """Tribe A buys a1..a5, tribe B buys b1..b5; shoppers 'a_probe'/'b_probe' lack their tribe's item 5."""
    purchases = []
    for i in range(8):
        purchases += [(f"a{i}", f"a{j}") for j in range(1, 6)]
        purchases += [(f"b{i}", f"b{j}") for j in range(1, 6)]
    purchases += [("a_probe", f"a{j}") for j in range(1, 5)]
    purchases += [("b_probe", f"b{j}") for j in range(1, 5)]
    return make_shop(purchases)


CF_NAMES = ("itemknn", "ease", "als", "bpr")
ALL_NAMES = ("popularity", "repeat") + CF_NAMES


@pytest.fixture(scope="module")
def tribes() -> Shop:
    return two_tribes()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_scorer_contract(name, tribes):
    scorer = create_scorer(name)
    with pytest.raises(NotFittedError):
        scorer.score(["a0"], ["a1"])
    scorer.fit(tribes)
    scores = scorer.score(["a_probe", "stranger"], ["a5", "b5", "no-such-product"])
    assert scores.shape == (2, 3)
    assert scores.dtype == np.float32
    assert np.all(scores[:, 2] == 0)  # a product outside the catalog scores 0
    if name != "popularity":
        assert np.all(scores[1] == 0)  # a cold shopper gets nothing personal


@pytest.mark.parametrize("name", ("itemknn", "ease", "als"))
def test_cf_finds_the_missing_tribe_item(name, tribes):
    scorer = create_scorer(name).fit(tribes)
    products = [f"a{j}" for j in range(1, 6)] + [f"b{j}" for j in range(1, 6)]
    scores = scorer.score(["a_probe", "b_probe"], products)
    seen = np.array([[p in {"a1", "a2", "a3", "a4"} for p in products],
                     [p in {"b1", "b2", "b3", "b4"} for p in products]])
    top = top_k_indices(scores, 1, seen)
    assert products[top[0, 0]] == "a5"
    assert products[top[1, 0]] == "b5"


def test_unknown_signal_lists_choices():
    with pytest.raises(ConfigError, match="choose one of.*ease"):
        create_scorer("svd++")


def test_item_similarity_matches_hand_computed_shrunk_cosine():
    # items 0 and 1 are co-bought by 2 shoppers; item 0 has 3 buyers, item 1 has 2
    matrix = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [1, 0, 1]], dtype=np.float32))
    sim = item_similarity(matrix, ItemKNNConfig(neighbors=5, shrinkage=1.0)).toarray()
    assert sim[0, 1] == pytest.approx(2 / (np.sqrt(3) * np.sqrt(2) + 1.0), rel=1e-5)
    assert sim[1, 2] == 0.0 and np.all(np.diag(sim) == 0)


def test_item_similarity_blocks_do_not_change_the_result():
    rng = np.random.default_rng(0)
    matrix = sp.csr_matrix((rng.random((40, 30)) < 0.2).astype(np.float32))
    small = item_similarity(matrix, ItemKNNConfig(neighbors=7, block_size=4)).toarray()
    large = item_similarity(matrix, ItemKNNConfig(neighbors=7, block_size=1000)).toarray()
    np.testing.assert_allclose(small, large, rtol=1e-6)
    assert (small > 0).sum(axis=0).max() <= 7  # top-k per column keeps memory bounded


def test_ease_matches_closed_form(tribes):
    model = EASE(EASEConfig(l2=3.0)).fit(tribes)
    x = build_interactions(tribes).matrix.toarray().astype(np.float64)
    p = np.linalg.inv(x.T @ x + 3.0 * np.eye(x.shape[1]))
    b = np.eye(x.shape[1]) - p / np.diag(p)
    np.testing.assert_allclose(model.item_weights.toarray(), b, atol=1e-4)
    assert np.allclose(np.diag(model.item_weights.toarray()), 0)


def test_ease_falls_back_to_sparse_knn_above_the_size_limit(tribes, caplog):
    fallback = ItemKNNConfig(neighbors=3)
    model = EASE(EASEConfig(max_dense_items=5, fallback=fallback)).fit(tribes)
    assert model.weights is None and model.fallback is not None
    assert "exceed max_dense_items" in caplog.text
    knn = ItemKNN(fallback).fit(tribes)
    ids = ["a_probe", "b_probe"]
    products = tribes.catalog["product_id"].tolist()
    np.testing.assert_allclose(model.score(ids, products), knn.score(ids, products))


def test_standardize_rows_zeroes_constant_rows():
    out = standardize_rows(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]))
    np.testing.assert_allclose(out[0], [-1.2247449, 0.0, 1.2247449], rtol=1e-5)
    assert np.all(out[1] == 0)


def test_blend_weights_never_lose_to_the_best_single_signal():
    rng = np.random.default_rng(1)
    relevant = sp.csr_matrix(rng.random((50, 40)) < 0.1)
    truth = relevant.toarray().astype(np.float32)
    signals = {
        "good": standardize_rows(truth + rng.normal(0, 0.8, truth.shape)),
        "other": standardize_rows(truth + rng.normal(0, 0.8, truth.shape)),
        "noise": standardize_rows(rng.normal(0, 1, truth.shape)),
    }
    fit = fit_blend_weights(signals, relevant, k=5)
    assert fit.ndcg >= max(fit.single.values())
    # two independent noisy views of the truth together beat either alone
    assert fit.ndcg > max(fit.single.values())
    assert fit.weights["good"] > 0 and fit.weights["other"] > 0


def test_blend_weights_move_only_for_gains_above_min_gain():
    """Each accepted change raises validation NDCG by more than ``min_gain`` of it: a blend gain of
    ~30 % is taken at min_gain 0.01 and refused when the bar is set above it."""
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 30, 200)
    relevant = sp.csr_matrix((np.ones(200, bool), (np.arange(200), truth)), shape=(200, 30))
    views = [rng.normal(size=(200, 30)) for _ in range(2)]
    for view in views:
        view[np.arange(200), truth] += 1.5  # two independent noisy views of the truth
    signals = {"a": standardize_rows(views[0]), "b": standardize_rows(views[1])}
    free = fit_blend_weights(signals, relevant, k=5, grid=(0.0, 0.5, 1.0, 2.0), min_gain=0.01)
    gain = free.ndcg / max(free.single.values()) - 1
    assert free.weights["a"] > 0 and free.weights["b"] > 0 and gain > 0.01
    strict = fit_blend_weights(signals, relevant, k=5, grid=(0.0, 0.5, 1.0, 2.0), min_gain=gain + 0.05)
    assert sorted(strict.weights.values()) == [0.0, 1.0] and strict.ndcg == max(strict.single.values())


def test_mean_ndcg_agrees_with_the_list_metric():
    from contentgen.evaluate.metrics import ndcg_at_k

    relevant = sp.csr_matrix(np.array([[0, 1, 0, 1], [1, 0, 0, 0]], dtype=bool))
    top = np.array([[0, 1, 3], [2, 3, 0]])
    expected = np.mean([ndcg_at_k(["0", "1", "3"], {"1", "3"}, 3), ndcg_at_k(["2", "3", "0"], {"0"}, 3)])
    assert mean_ndcg(top, relevant) == pytest.approx(expected)


def test_mmr_without_diversity_is_plain_top_k():
    similarity = sp.csr_matrix(np.ones((4, 4)))
    picks = mmr_select(np.array([0, 1, 2, 3]), np.array([0.1, 0.9, 0.5, 0.7]), similarity, 3, trade_off=1.0)
    assert picks.tolist() == [1, 3, 2]


def test_mmr_skips_a_near_duplicate():
    # 0 and 1 are near-identical and best; 2 is a bit less relevant but different
    similarity = sp.csr_matrix(np.array([[0, 0.95, 0], [0.95, 0, 0], [0, 0, 0]]))
    picks = mmr_select(np.array([0, 1, 2]), np.array([1.0, 0.98, 0.8]), similarity, 2, trade_off=0.5)
    assert picks.tolist() == [0, 2]


def test_rules_drop_out_of_stock_low_margin_and_excluded():
    catalog = pd.DataFrame({"product_id": ["p1", "p2", "p3", "p4", "p5"],
                            "stock": [0.0, np.nan, 5.0, 5.0, 5.0],
                            "margin": [0.5, 0.5, 0.05, np.nan, 0.4]})
    rules = BusinessRules(margin_floor=0.1, excluded=frozenset({"p5"}))
    assert allowed_mask(catalog, rules).tolist() == [False, True, False, True, False]
    assert allowed_mask(catalog, BusinessRules(exclude_out_of_stock=False)).tolist() == [True] * 5
