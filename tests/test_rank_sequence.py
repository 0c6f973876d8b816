"""The basket-sequence model (GRU4Rec over baskets) trains and scores on the demo slice in seconds."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from contentgen.data.split import temporal_split
from contentgen.rank import create_scorer
from contentgen.rank.blend import mean_ndcg, top_k_indices
from contentgen.rank.sequence import SequenceConfig, SequenceScorer, basket_sequences
from contentgen.rank.tuning import _relevance

SMALL = SequenceConfig(dim=32, epochs=3, max_baskets=10)


@pytest.fixture(scope="module")
def split(demo_shop):
    return temporal_split(demo_shop, "2011-09-01", "2011-12-01")


@pytest.fixture(scope="module")
def fitted(split):
    return SequenceScorer(SMALL).fit(split.train)


def test_a_basket_is_one_step_holding_its_products_as_a_set(demo_shop):
    index = {p: i for i, p in enumerate(demo_shop.catalog["product_id"].astype(str))}
    shoppers, sequences = basket_sequences(demo_shop, index, max_baskets=1000)
    purchases = demo_shop.purchases
    shopper = str(purchases["shopper_id"].value_counts().index[0])
    mine = purchases[purchases["shopper_id"] == shopper]
    seq = sequences[list(shoppers).index(shopper)]
    assert len(seq) == mine["order_id"].nunique()
    orders = mine.groupby("order_id")["timestamp"].min().sort_values(kind="stable")
    first = mine[mine["order_id"] == orders.index[0]]["product_id"].astype(str).map(index)
    assert sorted(seq[0].tolist()) == sorted(set(first.tolist()))
    _, latest = basket_sequences(demo_shop, index, max_baskets=3)
    assert len(latest[list(shoppers).index(shopper)]) == 3
    assert [b.tolist() for b in latest[list(shoppers).index(shopper)]] == [b.tolist() for b in seq[-3:]]


def test_sequence_model_trains_scores_and_is_seeded(fitted, split):
    assert fitted.losses[-1] < fitted.losses[0]
    shoppers = sorted(s for s in split.warm_shoppers if split.new_truth.get(s))
    products = list(split.train.catalog["product_id"].astype(str))
    scores = fitted.score(shoppers + ["nobody"], products)
    assert scores.shape == (len(shoppers) + 1, len(products)) and scores.dtype == np.float32
    assert not scores[-1].any()  # a cold shopper: no say
    # it learned something: far better than chance on the next three months' new products
    relevant = _relevance(shoppers, split.new_truth, {p: i for i, p in enumerate(products)}, len(products))
    from contentgen.rank import Recommender, RecommenderConfig
    from contentgen.rank.tuning import TuningConfig

    banned = Recommender(RecommenderConfig(signals=("popularity",), weights_new={"popularity": 1.0},
                                           weights_all={"popularity": 1.0}, tuning=TuningConfig.off())
                         ).fit(split.train).ban_mask(shoppers, True)
    ours = mean_ndcg(top_k_indices(scores[:-1], 10, banned), relevant)
    chance = mean_ndcg(top_k_indices(np.random.default_rng(0).random(scores[:-1].shape), 10, banned), relevant)
    assert ours > 3 * chance, (ours, chance)
    # seeded: a second fit learns exactly the same vectors
    again = create_scorer("sequence", config=SMALL).fit(split.train)
    np.testing.assert_array_equal(again.shopper_vectors, fitted.shopper_vectors)
    np.testing.assert_array_equal(again.item_vectors, fitted.item_vectors)
    # fitted state is numpy only: it pickles and scores the same without torch at hand
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.score(shoppers[:20], products), fitted.score(shoppers[:20], products))
    assert "torch" not in repr(vars(restored))
