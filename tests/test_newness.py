"""The new_arrivals signal: lately launched products that sell, toward the shopper's categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from contentgen.data.schema import CATALOG_COLUMNS, EVENT_COLUMNS, SHOPPER_COLUMNS, Shop, conform
from contentgen.data.split import temporal_split
from contentgen.errors import ConfigError, NotFittedError
from contentgen.rank import Recommender, RecommenderConfig, create_scorer
from contentgen.rank.newness import NewArrivals, NewArrivalsConfig
from contentgen.rank.tuning import TuningConfig

END = pd.Timestamp("2021-06-30")


def shop(rows: list[tuple[str, str, str]], titles: dict[str, str]) -> Shop:
    """Purchases as (shopper, product, date); catalog titles decide the derived categories."""
    events = pd.DataFrame(rows, columns=["shopper_id", "product_id", "timestamp"])
    events["timestamp"] = pd.to_datetime(events["timestamp"])
    events["event_type"], events["quantity"] = "purchase", 1.0
    events["order_id"] = [f"o{i}" for i in range(len(events))]
    catalog = pd.DataFrame({"product_id": list(titles), "title": list(titles.values()), "price": 1.0})
    shoppers = pd.DataFrame({"shopper_id": sorted({r[0] for r in rows}), "country": "United Kingdom"})
    return Shop(conform(catalog, CATALOG_COLUMNS), conform(shoppers, SHOPPER_COLUMNS), conform(events, EVENT_COLUMNS))


TITLES = {"old": "OLD TEA MUG", "launch": "NEW TEA MUG", "lamp": "NEW NIGHT LAMP", "early": "EARLY TEA CUP"}


def launches() -> Shop:
    rows = [("s0", "early", "2021-01-02"), ("s0", "old", "2021-02-20")]  # the data starts 2021-01-02
    # "old" launched in February, "launch" and "lamp" in June; each sold to three shoppers in June
    for i, product in enumerate(["old", "launch", "lamp"]):
        rows += [(f"b{i}{k}", product, f"2021-06-{10 + k:02d}") for k in range(3)]
    rows += [("mugs", "old", "2021-03-01"), ("mugs", "early", "2021-03-02"), ("early_buyer", "early", END.strftime("%Y-%m-%d"))]
    return shop(rows, TITLES)


def test_a_lately_launched_product_outranks_an_old_one_with_as_many_recent_buyers():
    scorer = NewArrivals(NewArrivalsConfig(personal=False)).fit(launches())
    products = ["old", "launch", "lamp", "early"]
    row = scorer.score(["anyone"], products)[0]
    assert row[1] > row[0] > 0 and row[1] == pytest.approx(row[2])
    assert row[3] == 0  # first sold in the data's first warmup days: no known launch, not new


def test_the_shoppers_categories_steer_which_new_product_comes_first():
    scorer = NewArrivals(NewArrivalsConfig(category_prior=0.05)).fit(launches())
    launch, lamp = scorer.score(["mugs"], ["launch", "lamp"])[0]
    assert launch > lamp > 0  # a mug buyer: the new mug first, the new lamp still ranked (the prior)
    cold = scorer.score(["never_seen"], ["launch", "lamp"])[0]
    assert cold[0] == pytest.approx(cold[1])  # no history: the shop-wide order


def test_it_reads_only_the_data_it_is_fitted_on():
    """Newness is counted from the fitted events, never from a catalog date or later sales."""
    whole = launches()
    before_june = whole.until(pd.Timestamp("2021-06-01"))
    scorer = NewArrivals(NewArrivalsConfig(personal=False)).fit(before_june)
    assert scorer.score(["x"], ["launch", "lamp"]).max() == 0  # they launch after the cutoff


def test_it_needs_fitting_and_sane_settings():
    with pytest.raises(NotFittedError):
        NewArrivals().score(["a"], ["b"])
    with pytest.raises(ConfigError):
        NewArrivalsConfig(half_life_days=0)
    assert create_scorer("new_arrivals").name == "new_arrivals"


def test_its_half_life_is_tuned_and_carried_by_the_fitted_scorer(demo_shop):
    grid = (20.0, 200.0)
    config = RecommenderConfig(signals=("itemknn", "popularity", "new_arrivals", "repeat"),
                               tuning=TuningConfig.quick(new_arrivals_half_life_days=grid))
    fitted = Recommender(config).fit(temporal_split(demo_shop, pd.Timestamp("2011-09-01")).train)
    chosen = fitted.tuned.settings["new_arrivals"]["half_life_days"]
    assert chosen in grid and fitted.scorers["new_arrivals"].config.half_life_days == chosen
    scores = fitted.signal_scores(list(fitted.history.shopper_ids[:5]))["new_arrivals"]
    assert scores.shape == (5, len(fitted.product_ids)) and np.isfinite(scores).all()
