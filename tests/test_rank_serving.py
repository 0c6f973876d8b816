"""The per-request path (id maps, remembered catalog rows, CSR gathers) against straightforward
dense computations: serving fast must not change a single answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from contentgen.rank import reasons as why
from contentgen.rank.blend import standardize_rows
from contentgen.rank.ease import EASE
from contentgen.rank.popularity import Popularity, Repeat
from contentgen.rank.recommender import Recommender, RecommenderConfig
from contentgen.rank.tuning import TuningConfig


@pytest.fixture(scope="module")
def fitted(demo_shop) -> Recommender:
    # a history half-life, so scoring reads decayed rows (``history``), not the binary ones
    fit = Recommender(RecommenderConfig(tuning=TuningConfig.quick(half_life_days=(60.0,)))).fit(demo_shop)
    assert fit.scorers["ease"].history is not fit.scorers["ease"].interactions
    return fit


@pytest.fixture(scope="module")
def shoppers(fitted) -> list[str]:
    warm = [str(s) for s in fitted.history.shopper_ids]
    return warm[::7][:60] + ["never-seen-1", "never-seen-2"]


def dense_rows(interactions, shopper_ids) -> np.ndarray:
    full = interactions.matrix.toarray()
    out = np.zeros((len(shopper_ids), full.shape[1]), dtype=full.dtype)
    for r, s in enumerate(shopper_ids):
        if s in interactions.shopper_index:
            out[r] = full[interactions.shopper_index[s]]
    return out


def test_rows_for_gathers_the_same_rows_with_cold_ones_empty(fitted, shoppers):
    rows = fitted.history.rows_for(shoppers)
    assert rows.shape == (len(shoppers), len(fitted.product_ids))
    np.testing.assert_array_equal(rows.toarray(), dense_rows(fitted.history, shoppers))
    assert fitted.history.rows_for(["nobody"]).nnz == 0


def test_interaction_scores_match_dense_row_times_weights(fitted, shoppers):
    for name in ("ease", "itemknn"):
        scorer = fitted.scorers[name]
        weights = scorer.item_weights.toarray()
        expected = dense_rows(scorer.history, shoppers) @ weights
        got = scorer.score(shoppers, fitted.product_ids)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
        # another product order (and an unknown product) is honoured, not served from the memo
        shuffled = list(np.random.default_rng(1).permutation(fitted.product_ids)[:50]) + ["no-such-product"]
        reordered = scorer.score(shoppers, shuffled)
        column = {p: i for i, p in enumerate(fitted.product_ids)}
        np.testing.assert_allclose(reordered[:, :50], expected[:, [column[p] for p in shuffled[:50]]], rtol=1e-4, atol=1e-5)
        assert not reordered[:, 50].any()


def test_ease_drops_live_cells_on_products_inactive_at_fit(demo_shop):
    ease = EASE().fit(demo_shop)
    n = ease.interactions.shape[1]
    inactive = np.setdiff1d(np.arange(n), ease.active)
    active_col = int(ease.active[0])
    rows = sp.csr_matrix(([1.0, 1.0], ([0, 0], [active_col, int(inactive[0])])), shape=(1, n), dtype=np.float32) \
        if len(inactive) else sp.csr_matrix(([1.0], ([0], [active_col])), shape=(1, n), dtype=np.float32)
    expected = np.zeros((1, n), dtype=np.float32)
    expected[:, ease.active] = rows.toarray()[:, ease.active] @ ease.weights
    np.testing.assert_allclose(ease._score_rows(rows), expected, rtol=1e-5, atol=1e-6)


def test_popularity_row_is_remembered_per_catalog_and_refreshed_on_refit(demo_shop, fitted):
    popularity = Popularity().fit(demo_shop)
    expected = popularity.scores.reindex(list(fitted.product_ids)).fillna(0.0).to_numpy(np.float32)
    first = popularity.product_scores(fitted.product_ids)
    first[:] = -1  # a caller writing into its row does not change the next answer
    np.testing.assert_array_equal(popularity.product_scores(fitted.product_ids), expected)
    popularity.fit(demo_shop.until(demo_shop.events["timestamp"].quantile(0.5)))
    refit = popularity.scores.reindex(list(fitted.product_ids)).fillna(0.0).to_numpy(np.float32)
    np.testing.assert_array_equal(popularity.product_scores(fitted.product_ids), refit)


def repeat_by_table(table: pd.Series, shopper_ids, product_ids) -> np.ndarray:
    """Straight from the (shopper, product) → score table, cell by cell."""
    out = np.zeros((len(shopper_ids), len(product_ids)), dtype=np.float32)
    column = {p: j for j, p in enumerate(product_ids)}
    for r, s in enumerate(shopper_ids):
        for (shopper, product), value in table.items():
            if shopper == s and product in column:
                out[r, column[product]] = value
    return out


def test_repeat_scores_and_a_live_purchase_match_the_table(demo_shop, fitted):
    repeat = Repeat().fit(demo_shop)
    some = [str(s) for s in fitted.history.shopper_ids[:15]] + ["never-seen"]
    np.testing.assert_array_equal(repeat.score(some, fitted.product_ids),
                                  repeat_by_table(repeat.table, some, fitted.product_ids))
    before = repeat.table
    repeat.add_purchase(some[0], str(fitted.product_ids[3]))
    repeat.add_purchase("never-seen", str(fitted.product_ids[4]))
    assert before is not repeat.table  # copy-on-write: a reader's table is left as it was
    np.testing.assert_array_equal(repeat.score(some, fitted.product_ids),
                                  repeat_by_table(repeat.table, some, fitted.product_ids))
    assert repeat.score(["never-seen"], fitted.product_ids)[0, 4] == 1.0


def test_strongest_history_item_reads_the_same_from_csc(fitted, shoppers):
    similarity = fitted.neighbours.similarity
    by_column = similarity.tocsc()
    for shopper in shoppers[:20]:
        history = fitted.history.rows_for([shopper])
        for target in range(0, similarity.shape[0], 97):
            assert why.strongest_history_item(history, by_column, target) == \
                why.strongest_history_item(history, similarity, target)


def test_rank_matches_an_independent_dense_blend(fitted, shoppers):
    """Every signal computed densely from its fitted state, blended and banned by hand."""
    product_ids = fitted.product_ids
    raw = {}
    for name, scorer in fitted.scorers.items():
        if name in ("ease", "itemknn"):
            raw[name] = dense_rows(scorer.history, shoppers) @ scorer.item_weights.toarray()
        elif name in ("popularity", "trending"):
            row = scorer.scores.reindex(list(product_ids)).fillna(0.0).to_numpy(np.float32)
            raw[name] = np.tile(row, (len(shoppers), 1))
        elif name == "repeat":
            raw[name] = repeat_by_table(scorer.table, shoppers, product_ids)
        elif name == "new_arrivals":  # shop-wide newness times the shopper's share of the product's category
            newness = scorer.newness.reindex(list(product_ids)).fillna(0.0).to_numpy(np.float32)
            category = scorer.category.reindex(list(product_ids)).fillna("").to_numpy()
            raw[name] = np.array([[n * (scorer.shares.get(s, {}).get(c, 0.0) + scorer.config.category_prior)
                                   for n, c in zip(newness, category)] for s in shoppers], dtype=np.float32)
    assert set(raw) == set(fitted.scorers)
    for exclude in (True, False):
        weights = fitted.fitted_config.weights(exclude)
        standardized = {n: standardize_rows(v) for n, v in raw.items()}
        total = sum(np.float32(w) * standardized[n] for n, w in weights.items() if w)
        cold = np.array([s not in fitted.history.shopper_index for s in shoppers])
        total[cold] = standardized["popularity"][cold]
        total = total + fitted._boosts[None, :]
        banned = np.tile(~fitted._allowed, (len(shoppers), 1))
        if exclude:
            banned |= dense_rows(fitted.history, shoppers) > 0
        total[banned] = -np.inf
        got = fitted.rank(shoppers, k=10, exclude_purchased=exclude)
        for r, shopper in enumerate(shoppers):
            picked = [fitted.history.product_index[p] for p in got[shopper]]
            best = np.sort(total[r])[::-1][:10]
            # the same scores in the same order; products tied within float noise may swap
            np.testing.assert_allclose(total[r, picked], best, rtol=1e-4, atol=1e-4)


def test_recommend_after_a_fold_in_sees_the_event(fitted, demo_shop):
    shopper = str(fitted.history.shopper_ids[0])
    before = [r.product_id for r in fitted.recommend(shopper, 5)]
    column = fitted.history.product_index[before[0]]
    import copy

    live = copy.deepcopy(fitted)
    assert live.fold_in(shopper, before[0], "purchase")
    after = [r.product_id for r in live.recommend(shopper, 5)]
    assert before[0] not in after  # bought now: left out of "new" picks
    assert live.history.rows_for([shopper]).toarray()[0, column] == 1.0
    assert live.scorers["repeat"].score([shopper], live.product_ids)[0, column] >= 1.0
