"""Per-shopper features on a tiny hand-made shop whose answers were worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from contentgen.data.schema import CATALOG_COLUMNS, EVENT_COLUMNS, SHOPPER_COLUMNS, Shop, conform
from contentgen.errors import ConfigError, DataError
from contentgen.profile import DERIVED_KEYWORDS, GIVEN, ProfileConfig, compute_features, keyword_category, product_categories

AS_OF = pd.Timestamp("2024-03-01")


def _event(shopper, product, kind, when, value, order, quantity=1.0):
    return {"shopper_id": shopper, "product_id": product, "event_type": kind, "timestamp": pd.Timestamp(when),
            "quantity": quantity, "value": value, "order_id": order}


@pytest.fixture()
def tiny_shop() -> Shop:
    catalog = pd.DataFrame({
        "product_id": ["P1", "P2", "P3"],
        "title": ["CHRISTMAS TREE DECORATION", "JUMBO BAG RED RETROSPOT", "WHITE TEA CUP"],
        "price": [1.0, 2.0, 3.0],
    })
    shoppers = pd.DataFrame({
        "shopper_id": ["A", "B", "C"],
        "country": ["United Kingdom", "France", "Spain"],
        "signup_date": pd.to_datetime(["2023-12-01", "2023-06-01", "2024-02-20"]),
    })
    events = pd.DataFrame([
        # A: three orders (the first has two lines), a return, and one order after as_of.
        _event("A", "P1", "purchase", "2024-01-01 10:00", 10.0, "o1"),
        _event("A", "P2", "purchase", "2024-01-01 10:00", 20.0, "o1"),
        _event("A", "P2", "purchase", "2024-01-11 10:00", 30.0, "o2"),
        _event("A", "P3", "purchase", "2024-01-31 00:00", 40.0, "o3"),
        _event("A", "P2", "return", "2024-02-05 12:00", 10.0, "c1"),
        _event("A", "P3", "purchase", "2024-03-05 09:00", 999.0, "o9"),
        # B: one order long ago, plus an order in the same season a year before as_of.
        _event("B", "P3", "purchase", "2023-03-10 00:00", 100.0, "o4"),
        _event("B", "P3", "purchase", "2023-06-01 00:00", 400.0, "o5"),
    ])
    return Shop(conform(catalog, CATALOG_COLUMNS), conform(shoppers, SHOPPER_COLUMNS), conform(events, EVENT_COLUMNS),
                "GBP", "tiny")


def test_hand_checked_shopper_a(tiny_shop):
    frame = compute_features(tiny_shop, AS_OF).frame
    a = frame.loc["A"]
    assert a["n_orders"] == 3
    assert a["monetary"] == pytest.approx(100.0)  # the 999 order on 2024-03-05 is after as_of
    assert a["recency_days"] == pytest.approx(30.0)  # 2024-01-31 -> 2024-03-01 (leap year)
    assert a["avg_order_value"] == pytest.approx(100.0 / 3)
    assert a["return_value"] == pytest.approx(10.0)
    assert a["return_rate"] == pytest.approx(0.1)
    # gaps 2024-01-01 10:00 -> 01-11 10:00 = 10 days, 01-11 10:00 -> 01-31 00:00 = 19.583 days
    assert a["mean_interpurchase_days"] == pytest.approx((10 + 19 + 14 / 24) / 2)
    assert a["tenure_days"] == pytest.approx(91.0)  # signup 2023-12-01 -> 2024-03-01
    assert a["n_purchase"] == 4 and a["n_return"] == 1 and a["n_view"] == 0
    assert a["n_products"] == 3 and a["n_categories"] == 3
    assert a["orders_30d"] == 1 and a["spend_30d"] == pytest.approx(40.0)  # 2024-01-31 is within 30 days
    assert a["orders_90d"] == 3 and a["spend_90d"] == pytest.approx(100.0)
    assert a["last_active"] == pd.Timestamp("2024-02-05 12:00")
    assert a["country"] == "United Kingdom"


def test_hand_checked_shopper_b_and_cold_start(tiny_shop):
    frame = compute_features(tiny_shop, AS_OF).frame
    b = frame.loc["B"]
    assert b["n_orders"] == 2 and b["monetary"] == pytest.approx(500.0)
    assert b["recency_days"] == pytest.approx(274.0)  # 2023-06-01 -> 2024-03-01
    assert b["tenure_days"] == pytest.approx(357.0)  # first event 2023-03-10 precedes the signup date
    # season window: [2023-03-02, 2023-05-31) holds the 2023-03-10 order only
    assert b["orders_season_last_year"] == 1
    assert b["return_rate"] == 0.0
    c = frame.loc["C"]
    assert c["n_orders"] == 0 and c["monetary"] == 0.0
    assert math.isnan(c["recency_days"]) and math.isnan(c["avg_order_value"])
    assert c["rfm_score"] == "" and c["r_score"] == 0 and c["top_category"] == ""
    assert c["tenure_days"] == pytest.approx(10.0)  # signup 2024-02-20


def test_rfm_scores_rank_buyers_only(tiny_shop):
    frame = compute_features(tiny_shop, AS_OF).frame
    # Two buyers: the better one of each pair gets 5, the other the median quintile 3.
    assert (frame.loc["A", ["r_score", "f_score", "m_score"]].tolist()) == [5, 5, 3]
    assert (frame.loc["B", ["r_score", "f_score", "m_score"]].tolist()) == [3, 3, 5]
    assert frame.loc["A", "rfm_score"] == "553" and frame.loc["A", "rfm_total"] == 13


def test_category_affinity_decays_by_half_life(tiny_shop):
    config = ProfileConfig(affinity_half_life_days=30.0)
    features = compute_features(tiny_shop, pd.Timestamp("2024-01-31"), config)
    # Before 2024-01-31 A has o1 (P1 christmas 10, P2 bags 20, both 30 days old) and o2 (bags 30, 20 days old).
    christmas = 10 * 0.5 ** (30 / 30)
    bags = 20 * 0.5 ** (30 / 30) + 30 * 0.5 ** (20 / 30)
    row = features.category_affinity.loc["A"]
    assert row["christmas"] == pytest.approx(christmas / (christmas + bags))
    assert row["bags"] == pytest.approx(bags / (christmas + bags))
    assert features.frame.loc["A", "top_category"] == "bags"
    assert features.category_source == DERIVED_KEYWORDS
    products = features.product_affinity[features.product_affinity["shopper_id"] == "A"]
    assert products["product_id"].tolist() == ["P2", "P1"]
    assert products["affinity"].sum() == pytest.approx(1.0)


def test_features_never_see_the_future(tiny_shop):
    early = compute_features(tiny_shop, pd.Timestamp("2024-01-05")).frame
    assert early.loc["A", "n_orders"] == 1 and early.loc["A", "monetary"] == pytest.approx(30.0)
    assert early.loc["A", "return_value"] == 0.0


def test_default_as_of_is_the_day_after_the_last_event(tiny_shop):
    assert compute_features(tiny_shop).as_of == pd.Timestamp("2024-03-06")
    empty = Shop(tiny_shop.catalog, tiny_shop.shoppers, tiny_shop.events.iloc[:0], "GBP", "empty")
    with pytest.raises(DataError, match="no events.*pass as_of explicitly"):
        compute_features(empty)


def test_keyword_categories():
    assert keyword_category("CHRISTMAS T-LIGHT HOLDER") == "christmas"
    assert keyword_category("LUNCH BAG RED RETROSPOT") == "bags"
    assert keyword_category("WHITE HANGING HEART T-LIGHT HOLDER") == "candles & lights"
    assert keyword_category("REGENCY CAKESTAND 3 TIER") == "kitchen & tableware"
    assert keyword_category("ZZZ") == "other"


def test_given_categories_win_when_complete(tiny_shop):
    catalog = tiny_shop.catalog.assign(category=["Decor", "Bags", "Kitchen"])
    categories, source = product_categories(catalog)
    assert source == GIVEN and categories["P2"] == "Bags"
    # One missing category: derive all, never mix two taxonomies.
    partial = tiny_shop.catalog.assign(category=["Decor", "", "Kitchen"])
    categories, source = product_categories(partial)
    assert source == DERIVED_KEYWORDS and categories["P1"] == "christmas"


def test_config_errors_name_the_fix():
    with pytest.raises(ConfigError, match="affinity_half_life_days must be > 0"):
        ProfileConfig(affinity_half_life_days=0)
