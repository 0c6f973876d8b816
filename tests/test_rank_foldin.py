"""Folding live events into a fitted recommender: the matrix edit, and what the next answer shows."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from contentgen.rank import Recommender, RecommenderConfig, build_interactions
from contentgen.rank import reasons as why
from contentgen.rank.foldin import FOLD_IN_WEIGHTS, event_update, with_cell
from contentgen.rank.interactions import Interactions

LIGHT = RecommenderConfig(signals=("ease", "itemknn", "popularity", "repeat"))


def tiny() -> Interactions:
    matrix = sp.csr_matrix(np.array([[1, 0, 0, 1], [0, 1, 0, 0]], dtype=np.float32))
    ids = np.array(["a", "b"], dtype=object)
    products = np.array(["p0", "p1", "p2", "p3"], dtype=object)
    return Interactions(matrix, ids, products, {"a": 0, "b": 1}, {p: i for i, p in enumerate(products)})


def test_with_cell_inserts_raises_and_adds_rows_without_touching_the_original():
    base = tiny()
    before = base.matrix.toarray().copy()
    inserted = with_cell(base, "a", 2, event_update("view", "binary"))
    expected = before.copy()
    expected[0, 2] = FOLD_IN_WEIGHTS["view"]
    assert np.array_equal(inserted.matrix.toarray(), expected)
    assert inserted.matrix.has_sorted_indices
    bought = with_cell(inserted, "a", 2, event_update("purchase", "binary"))
    assert bought.matrix[0, 2] == 1.0
    # a view never lowers a purchase
    assert with_cell(bought, "a", 2, event_update("view", "binary")).matrix[0, 2] == 1.0
    new = with_cell(base, "c", 1, event_update("purchase", "binary"))
    assert new.shape == (3, 4) and new.shopper_index["c"] == 2 and list(new.shopper_ids) == ["a", "b", "c"]
    assert np.array_equal(new.matrix.toarray()[2], [0, 1, 0, 0])
    assert np.array_equal(base.matrix.toarray(), before) and "c" not in base.shopper_index


def test_log_count_purchases_count_up():
    update = event_update("purchase", "log_count")
    assert update(0.0) == pytest.approx(np.log1p(1))
    assert update(np.log1p(3)) == pytest.approx(np.log1p(4))
    assert update(FOLD_IN_WEIGHTS["cart"]) == pytest.approx(np.log1p(1))  # a cart is not a purchase


def test_unknown_event_type_is_refused():
    with pytest.raises(Exception, match="choose one of"):
        event_update("return", "binary")


@pytest.fixture(scope="module")
def fitted(demo_shop) -> Recommender:
    # fitted once (EASE's solve is the slow part); each test folds events into a shopper of its own
    return Recommender(LIGHT).fit(demo_shop)


def buyer(shop, rank: int) -> str:
    return str(shop.purchases["shopper_id"].value_counts().index[rank])


def test_folded_scores_equal_the_row_times_the_fitted_weights(fitted, demo_shop):
    shopper = buyer(demo_shop, 10)
    recs = fitted.recommend(shopper, k=1)
    product = recs[0].product_id
    column = fitted.history.product_index[product]
    # the reference: the shopper's purchase row as built from the shop (with the history decay
    # tuning chose for the scorer, if any), plus the new purchase at weight 1, times W
    rows = {name: build_interactions(demo_shop, half_life_days=fitted.scorers[name].history_half_life_days)
            .rows_for([shopper]).toarray()[0] for name in ("ease", "itemknn")}
    assert fitted.fold_in(shopper, product, "purchase")
    for name in ("ease", "itemknn"):
        scorer = fitted.scorers[name]
        row = rows[name]
        row[column] = 1.0
        expected = row @ scorer.item_weights.toarray()
        assert np.allclose(scorer.score_all([shopper])[0], expected, atol=1e-4), name


def test_a_purchase_changes_the_next_answer_at_once(fitted, demo_shop):
    shopper = buyer(demo_shop, 5)
    first = [r.product_id for r in fitted.recommend(shopper, k=5)]
    assert fitted.fold_in(shopper, first[0], "purchase")
    second = [r.product_id for r in fitted.recommend(shopper, k=5)]
    assert first[0] not in second  # bought now, so no longer a "new" pick
    # and it is a repeat now, for buy-again picks
    assert fitted.scorers["repeat"].score([shopper], [first[0]])[0, 0] >= 1.0


def test_a_cold_shopper_turns_warm_with_reasons_naming_the_purchase(fitted, demo_shop):
    product = str(demo_shop.purchases["product_id"].value_counts().index[0])
    assert fitted.is_cold(["newcomer-1"])[0]
    cold = fitted.recommend("newcomer-1", k=3)
    assert all(r.reasons == (why.COLD_START,) for r in cold)
    fitted.fold_in("newcomer-1", product, "purchase")
    assert not fitted.is_cold(["newcomer-1"])[0]
    warm = fitted.recommend("newcomer-1", k=3)
    assert product not in {r.product_id for r in warm}
    assert any(r.reasons[0].startswith("often bought with") for r in warm)


def test_a_view_stays_recommendable_and_an_unknown_product_changes_nothing(fitted, demo_shop):
    shopper = buyer(demo_shop, 20)
    product = fitted.recommend(shopper, k=1)[0].product_id
    before = fitted.scorers["itemknn"].interactions
    assert not fitted.fold_in(shopper, "no-such-product", "view")
    assert fitted.scorers["itemknn"].interactions is before
    fitted.fold_in(shopper, product, "view")
    assert not fitted.purchased_mask([shopper]).toarray()[0, fitted.history.product_index[product]]
    assert product in {r.product_id for r in fitted.recommend(shopper, k=5)}
