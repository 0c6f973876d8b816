"""build_profiles and the Profiles object: one call, every shopper, readable answers."""

from __future__ import annotations

import pandas as pd
import pytest

from contentgen.profile import NOT_CLUSTERED, PropensityModel, build_profiles

from tests.test_profile_features import AS_OF, tiny_shop  # noqa: F401 - the hand-made shop fixture


def test_tiny_shop_profiles(tiny_shop):  # noqa: F811
    profiles = build_profiles(tiny_shop, AS_OF)
    assert profiles.clusters is None  # two buyers are too few to cluster
    assert (profiles.frame["cluster"] == NOT_CLUSTERED).all()
    assert profiles.frame["segment"].to_dict() == {"A": "new", "B": "churned", "C": "cold_start"}
    a = profiles.get("A")
    assert (a.segment, a.n_orders, a.known) == ("new", 3, True)
    assert a.monetary == pytest.approx(100.0) and a.recency_days == pytest.approx(30.0)
    assert a.top_products[0] == "P2" and a.top_categories[0] == "bags"
    assert a.first_purchase == pd.Timestamp("2024-01-01 10:00") and a.propensity is None
    assert "A" in profiles and "Z" not in profiles and len(profiles) == 3


def test_describe_reads_like_a_sentence(tiny_shop):  # noqa: F811
    text = build_profiles(tiny_shop, AS_OF).describe("A")
    assert text.splitlines()[0] == "Shopper A (United Kingdom): new"
    assert "3 orders, GBP 100.00 spent, average order GBP 33.33, returns 10% of spend" in text
    assert "first order 2024-01-01, last order 2024-01-31 (30 days before 2024-03-01)" in text
    assert "favourite derived categories: bags, kitchen & tableware, christmas" in text
    assert "JUMBO BAG RED RETROSPOT (P2)" in text


def test_unknown_and_cold_start_shoppers(tiny_shop):  # noqa: F811
    profiles = build_profiles(tiny_shop, AS_OF)
    unknown = profiles.get(404)
    assert (unknown.shopper_id, unknown.segment, unknown.known, unknown.top_products) == ("404", "cold_start", False, ())
    assert "never seen by this shop" in profiles.describe(404)
    assert "no purchase yet (cold start)" in profiles.describe("C")


def test_demo_profiles_match_the_raw_events(demo_shop):
    profiles = build_profiles(demo_shop, cluster=False)
    purchases = demo_shop.purchases
    orders = purchases.groupby("shopper_id")["order_id"].nunique()
    spend = purchases.groupby("shopper_id")["value"].sum()
    frame = profiles.frame
    pd.testing.assert_series_equal(frame.loc[orders.index, "n_orders"], orders, check_names=False, check_dtype=False,
                                   check_index_type=False)
    pd.testing.assert_series_equal(frame.loc[spend.index, "monetary"], spend, check_names=False, check_index_type=False)
    assert set(frame.index) == set(demo_shop.shoppers["shopper_id"])
    assert profiles.as_of == demo_shop.events["timestamp"].max().normalize() + pd.Timedelta(days=1)
    affinity_totals = profiles.category_affinity[frame["n_orders"] > 0].sum(axis=1)
    assert affinity_totals.round(9).eq(1.0).all()


def test_profiles_with_propensity(demo_shop):
    as_of = pd.Timestamp("2011-09-01")
    history = demo_shop.until(as_of)
    profiles = build_profiles(history, as_of, cluster=False, propensity=PropensityModel().fit(history, as_of))
    buyers = profiles.frame["n_orders"] > 0
    assert profiles.frame.loc[buyers, "propensity"].between(0, 1).all()
    assert profiles.frame.loc[~buyers, "propensity"].isna().all()
    shopper = profiles.frame.index[buyers][0]
    assert profiles.get(shopper).propensity == pytest.approx(profiles.frame.loc[shopper, "propensity"])
    assert "chance of buying in the next period" in profiles.describe(shopper)


@pytest.mark.slow
def test_real_shop_profiles_hand_checked_shopper(real_shop):
    profiles = build_profiles(real_shop)
    assert profiles.clusters is not None and profiles.clusters.silhouette > 0.2
    # 12347 (Iceland) ordered 8 times between 2010-10-31 and 2011-12-07, every order a purchase.
    p = profiles.get("12347")
    assert (p.country, p.n_orders, p.segment, p.rfm_score) == ("Iceland", 8, "loyal", "545")
    assert p.first_purchase == pd.Timestamp("2010-10-31 14:20") and p.last_purchase == pd.Timestamp("2011-12-07 15:52")
    assert p.monetary == pytest.approx(4921.53) and p.return_rate == 0.0
    counts = profiles.segment_counts()["shoppers"]
    assert counts.sum() == len(real_shop.shoppers) and (counts.drop("cold_start") > 300).all()


def test_segment_summary(tiny_shop):  # noqa: F811
    summary = build_profiles(tiny_shop, AS_OF).segment_summary()
    assert summary.loc["new", "shoppers"] == 1 and summary.loc["new", "median_orders"] == 3
    assert summary.loc["churned", "median_recency_days"] == pytest.approx(274.0)
    assert summary.loc["churned", "median_monetary"] == pytest.approx(500.0)
    assert pd.isna(summary.loc["cold_start", "median_orders"]) and summary.loc["cold_start", "shoppers"] == 1


def test_write_profiles(tiny_shop, tmp_path):  # noqa: F811
    from contentgen.errors import ConfigError

    profiles = build_profiles(tiny_shop, AS_OF)
    for name in ("p.csv", "p.parquet"):
        path = profiles.write(tmp_path / name)
        back = pd.read_csv(path, dtype={"shopper_id": str}) if name.endswith(".csv") else pd.read_parquet(path)
        assert back["shopper_id"].tolist() == ["A", "B", "C"]
        assert back["segment"].tolist() == ["new", "churned", "cold_start"]
        assert back.loc[0, "monetary"] == pytest.approx(100.0)
    with pytest.raises(ConfigError, match=r"cannot write profiles to 'p.xlsx': use a .csv or .parquet file name"):
        profiles.write(tmp_path / "p.xlsx")
