"""The Recommender on the demo slice (fast) and the full real shop (slow): picks, rules and reasons."""

from __future__ import annotations

from dataclasses import replace
import re
import time

import numpy as np
import pytest

from contentgen.data.text import display_title
from contentgen.errors import ConfigError, NotFittedError
from contentgen.rank import BusinessRules, Recommendation, Recommender, RecommenderConfig
from contentgen.rank import reasons as why


# Without EASE's dense solve: the rule and diversity tests refit several times.
LIGHT = RecommenderConfig(signals=("itemknn", "popularity", "repeat"),
                          weights_new={"itemknn": 1.0, "popularity": 0.25},
                          weights_all={"itemknn": 1.0, "popularity": 0.5, "repeat": 2.0})


@pytest.fixture(scope="module")
def fitted(demo_shop) -> Recommender:
    return Recommender().fit(demo_shop)


def busiest_shopper(shop) -> str:
    return str(shop.purchases["shopper_id"].value_counts().index[0])


def titles(shop) -> set[str]:
    return set(shop.catalog["title"].astype(str).map(display_title))


def named_products(reason: str) -> list[str]:
    for pattern in (r"^often bought with (.+)$", r"^similar to (.+) you bought$",
                    r"^you bought (.+?) (?:\d+ times before|before: time to restock\?)$"):
        match = re.match(pattern, reason)
        if match:
            return [match.group(1)]
    return []


def test_unfitted_recommender_says_what_to_do():
    with pytest.raises(NotFittedError, match="fit"):
        Recommender().recommend("x")


def test_config_rejects_weights_for_missing_signals():
    with pytest.raises(ConfigError, match="not in signals"):
        RecommenderConfig(signals=("popularity",), weights_new={"ease": 1.0})


def test_recommendations_are_new_products_with_reasons_naming_real_products(fitted, demo_shop):
    shopper = busiest_shopper(demo_shop)
    bought = set(demo_shop.purchases.loc[demo_shop.purchases["shopper_id"] == shopper, "product_id"].astype(str))
    recs = fitted.recommend(shopper, k=5)
    assert len(recs) == 5 and all(isinstance(r, Recommendation) for r in recs)
    assert len({r.product_id for r in recs}) == 5
    assert not {r.product_id for r in recs} & bought
    known = titles(demo_shop)
    named = [name for r in recs for reason in r.reasons for name in named_products(reason)]
    assert named, [r.reasons for r in recs]
    assert all(name in known for name in named)
    # the "often bought with" product really is in this shopper's history
    bought_titles = set(demo_shop.catalog[demo_shop.catalog["product_id"].isin(bought)]["title"].map(display_title))
    assert all(name in bought_titles for r in recs for reason in r.reasons
               if reason.startswith("often bought with") for name in named_products(reason))
    assert all(r.title in known and r.price > 0 for r in recs)
    assert set(recs[0].signal_scores) == set(fitted.config.signals)
    assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True) or fitted.config.diversity < 1


def test_buy_again_mode_can_repeat_purchases_and_says_so(fitted, demo_shop):
    shopper = busiest_shopper(demo_shop)
    recs = fitted.recommend(shopper, k=3, exclude_purchased=False)
    bought = set(demo_shop.purchases.loc[demo_shop.purchases["shopper_id"] == shopper, "product_id"].astype(str))
    assert any(r.product_id in bought for r in recs)
    assert any(reason.startswith("you bought") for r in recs for reason in r.reasons)


def test_cold_shopper_gets_bestsellers_with_a_cold_start_reason(fitted):
    recs = fitted.recommend("no-such-shopper", k=3)
    assert len(recs) == 3
    assert all(r.reasons == (why.COLD_START,) for r in recs)
    popularity = fitted.scorers["popularity"]
    best = popularity.scores.sort_values(ascending=False).index[:20]
    assert all(r.product_id in set(best) for r in recs)


def test_rules_pin_and_exclude(demo_shop):
    shopper = busiest_shopper(demo_shop)
    base = Recommender(LIGHT).fit(demo_shop).recommend(shopper, k=3)
    banned = base[0].product_id
    pinned = str(demo_shop.catalog["product_id"].iloc[0])
    config = replace(LIGHT, rules=BusinessRules(excluded=frozenset({banned}), pinned=(pinned,)))
    recs = Recommender(config).fit(demo_shop).recommend(shopper, k=3)
    ids = [r.product_id for r in recs]
    assert banned not in ids
    bought = set(demo_shop.purchases.loc[demo_shop.purchases["shopper_id"] == shopper, "product_id"].astype(str))
    if pinned not in bought:
        assert ids[0] == pinned and recs[0].reasons == (why.PINNED,)


def test_a_message_never_lists_two_products_under_one_name():
    # a shop sells colour variants under one name ("Metal Sign,Cupcake Single Hook", 82613A-D in the UCI
    # shop): the blend puts two of them first, a message's products hold one
    from contentgen.rank.diversity import title_key
    from tests.test_rank import make_shop

    purchases = [(f"s{i}", f"p{j}") for i in range(6) for j in range(1, 6)] + [("probe", f"p{j}") for j in range(1, 4)]
    purchases += [(f"t{i}", "q1") for i in range(3)]
    titles = {"p1": "JAM JAR", "p2": "TEA TOWEL", "p3": "CAKE TIN", "p4": "METAL SIGN,CUPCAKE SINGLE HOOK",
              "p5": "Metal Sign Cupcake Single Hook", "q1": "PAPER CHAIN KIT"}
    shop = make_shop(purchases, catalog_extra={"product_id": list(titles), "title": titles})
    model = Recommender(replace(LIGHT, diversity=1.0)).fit(shop)
    best = model.rank(["probe"], k=2)["probe"]
    assert sorted(best) == ["p4", "p5"]  # the blend alone lists both
    recs = model.recommend("probe", k=2)
    assert recs[0].product_id == best[0] and recs[1].product_id == "q1"
    assert len({title_key(r.title) for r in recs}) == len(recs) == 2


def test_diversity_off_gives_the_blend_order(demo_shop):
    shopper = busiest_shopper(demo_shop)
    model = Recommender(replace(LIGHT, diversity=1.0)).fit(demo_shop)
    recs = model.recommend(shopper, k=5)
    top = model.rank([shopper], k=5)[shopper]
    assert [r.product_id for r in recs] == top


@pytest.mark.slow
def test_fit_on_the_full_real_shop_is_fast_and_explains_with_real_products(real_shop):
    started = time.perf_counter()
    model = Recommender().fit(real_shop)  # tuned on its last 60 days first (about 3 untuned fits)
    elapsed = time.perf_counter() - started
    assert elapsed < 240, f"fit took {elapsed:.1f}s"
    assert model.tuned is not None and model.tuned.skipped is None and model.tuned.shoppers >= 500
    known = titles(real_shop)
    shoppers = real_shop.purchases["shopper_id"].drop_duplicates().sample(20, random_state=0).astype(str).tolist()
    batch = model.recommend_many(shoppers, k=3)
    for shopper in shoppers:
        recs = batch[shopper]
        assert len(recs) == 3
        assert all(r.reasons for r in recs)
        for r in recs:
            assert all(name in known for reason in r.reasons for name in named_products(reason))
    assert np.mean([any(named_products(x) for r in batch[s] for x in r.reasons) for s in shoppers]) > 0.8
