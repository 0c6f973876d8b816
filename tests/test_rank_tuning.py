"""Per-shop tuning at fit: it never sees past the data it is given, and a saved tuned model reloads identically."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from contentgen.data.schema import Shop
from contentgen.errors import ConfigError
from contentgen.data.split import temporal_split
from contentgen.rank import Recommender, RecommenderConfig, build_interactions
from contentgen.rank.tuning import TuningConfig, tune, validation_window

CUTOFF = pd.Timestamp("2011-09-01")
# No EASE dense solve (several tuned fits below); item-kNN's shrinkage and decay are still tuned.
LIGHT = RecommenderConfig(
    signals=("itemknn", "popularity", "repeat"), weights_new={"itemknn": 1.0, "popularity": 0.25},
    weights_all={"itemknn": 1.0, "popularity": 0.5, "repeat": 2.0},
    tuning=TuningConfig.quick(itemknn_shrinkage=(5.0, 50.0), half_life_days=(None, 60.0)),
)


def shuffled_after(shop: Shop, cutoff: pd.Timestamp, seed: int = 0) -> Shop:
    """The same shop with every purchase from ``cutoff`` on given another (random) product."""
    events = shop.events.copy()
    late = (events["timestamp"] >= cutoff).to_numpy()
    products = shop.catalog["product_id"].astype(str).to_numpy()
    picks = np.random.default_rng(seed).choice(products, int(late.sum()))
    events.loc[late, "product_id"] = pd.array(picks, dtype=events["product_id"].dtype)
    return Shop(shop.catalog, shop.shoppers, events, shop.currency, shop.name)


def test_validation_window_is_the_end_of_the_data_given(demo_shop):
    train = temporal_split(demo_shop, CUTOFF).train
    start, end = validation_window(train, 60)
    last = train.purchases["timestamp"].max()
    assert last < CUTOFF and start == (last - pd.Timedelta(days=60)).normalize() and end <= CUTOFF


def test_tuning_never_sees_the_test_window(demo_shop):
    """Scrambling everything after the cutoff changes a tuning that could see it, and not ours."""
    scrambled = shuffled_after(demo_shop, CUTOFF)
    clean = tune(Recommender, temporal_split(demo_shop, CUTOFF).train, LIGHT, LIGHT.tuning)
    blind = tune(Recommender, temporal_split(scrambled, CUTOFF).train, LIGHT, LIGHT.tuning)
    assert clean.skipped is None and clean.validation_end <= CUTOFF
    assert clean == blind
    # The same tuning run on data reaching past the cutoff does react to the scrambled window,
    # so the equality above is not vacuous.
    cheap = replace(LIGHT, signals=("popularity", "repeat"), weights_new={"popularity": 1.0},
                    weights_all={"popularity": 1.0, "repeat": 1.0})
    leaky_clean = tune(Recommender, demo_shop, cheap, cheap.tuning)
    leaky_scrambled = tune(Recommender, scrambled, cheap, cheap.tuning)
    assert leaky_clean.validation_end > CUTOFF
    assert leaky_clean.validation != leaky_scrambled.validation


def test_fit_tunes_on_its_own_data_and_saved_model_reloads_identically(demo_shop, tmp_path):
    train = temporal_split(demo_shop, CUTOFF).train
    model = Recommender(LIGHT).fit(train)
    tuned = model.tuned
    assert tuned is not None and tuned.skipped is None and tuned.validation_end <= CUTOFF
    assert model.fitted_config.weights_new == tuned.weights_new
    assert model.fitted_config.signal_options["itemknn"]["config"].shrinkage == tuned.settings["itemknn"]["shrinkage"]
    assert model.scorers["itemknn"].config.half_life_days == tuned.settings["itemknn"]["half_life_days"]
    # tuning starts from the configured weights too: it never validates below them
    assert tuned.validation["new"]["tuned"] >= tuned.validation["new"]["defaults"] - 1e-9

    path = model.save(tmp_path / "model.pkl")
    again = Recommender.load(path, train)
    shoppers = sorted(train.purchases["shopper_id"].astype(str).unique())[:40] + ["nobody"]
    for name, scores in model.signal_scores(shoppers).items():
        np.testing.assert_array_equal(scores, again.signal_scores(shoppers)[name], err_msg=name)
    assert model.rank(shoppers, k=10) == again.rank(shoppers, k=10)
    assert model.recommend(shoppers[0], k=5) == again.recommend(shoppers[0], k=5)
    assert again.tuned == tuned and again.data_checksum == model.data_checksum

    with pytest.raises(ConfigError, match="other data"):
        Recommender.load(path, shuffled_after(demo_shop, pd.Timestamp("2011-08-01")))


def test_tuning_off_keeps_the_configured_weights(demo_shop):
    config = replace(LIGHT, tuning=TuningConfig.off())
    model = Recommender(config).fit(demo_shop)
    assert model.tuned is None and model.fitted_config == config


def test_tuning_skips_a_shop_too_small_to_validate(demo_shop):
    few = demo_shop.until(pd.Timestamp("2010-01-15"))
    params = tune(Recommender, few, LIGHT, replace(LIGHT.tuning, min_shoppers=10_000))
    assert params.skipped and params.weights_new == LIGHT.weights_new


def test_history_decay_weighs_recent_purchases_more(demo_shop):
    plain = build_interactions(demo_shop)
    decayed = build_interactions(demo_shop, half_life_days=30.0)
    assert (plain.matrix != 0).sum() == (decayed.matrix != 0).sum()
    assert decayed.matrix.max() <= 1.0 + 1e-6 and decayed.matrix.data.min() < 0.01
    # a shopper's last-day purchases keep weight ~1
    last = demo_shop.purchases.sort_values("timestamp").iloc[-1]
    row, col = decayed.shopper_index[str(last["shopper_id"])], decayed.product_index[str(last["product_id"])]
    assert decayed.matrix[row, col] == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ConfigError, match="positive"):
        build_interactions(demo_shop, half_life_days=0.0)


def test_trending_half_life_is_tuned_by_its_own_validation_ndcg_and_applied(demo_shop):
    """The trending signal's half-life is picked from the grid on the validation window, the one that
    ranks that window best on its own, and the fitted scorer carries it."""
    from contentgen.data.split import temporal_split as split_at
    from contentgen.rank.blend import mean_ndcg, top_k_indices
    from contentgen.rank.popularity import PopularityConfig, Trending

    grid = (2.0, 60.0)
    config = replace(LIGHT, signals=("itemknn", "popularity", "trending", "repeat"),
                     tuning=TuningConfig.quick(trending_half_life_days=grid))
    train = temporal_split(demo_shop, CUTOFF).train
    fitted = Recommender(config).fit(train)
    chosen = fitted.tuned.settings["trending"]["half_life_days"]
    assert chosen in grid and fitted.scorers["trending"].config.half_life_days == chosen

    # recomputed by hand on the same window and shoppers: the chosen half-life scores at least as well
    start, end = validation_window(train, config.tuning.validation_days)
    window = split_at(train, start, end)
    base = Recommender(replace(config, tuning=TuningConfig.off())).fit(window.train)
    shoppers = sorted(s for s in window.warm_shoppers if window.new_truth.get(s))
    assert len(shoppers) <= config.tuning.max_shoppers  # tuning scored these very shoppers (no sample drawn)
    columns = base.history.product_index
    rows, cols = zip(*[(r, columns[p]) for r, s in enumerate(shoppers) for p in window.new_truth[s] if p in columns])
    import scipy.sparse as sp

    relevant = sp.csr_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(len(shoppers), len(base.product_ids)))
    banned = base.ban_mask(shoppers, True)
    score = {h: mean_ndcg(top_k_indices(Trending(PopularityConfig(half_life_days=h)).fit(window.train)
                                        .score(shoppers, list(base.product_ids)), 10, banned), relevant) for h in grid}
    assert score[chosen] >= max(score.values()) - 1e-9
