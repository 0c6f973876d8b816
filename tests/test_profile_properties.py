"""Properties of the feature and segment logic on random shops (hypothesis)."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contentgen.data.schema import CATALOG_COLUMNS, EVENT_COLUMNS, SHOPPER_COLUMNS, Shop, conform
from contentgen.profile import SEGMENTS, assign_segments, compute_features

START = pd.Timestamp("2023-01-01")
AS_OF = pd.Timestamp("2023-07-01")

event = st.tuples(
    st.sampled_from(["s1", "s2", "s3", "s4"]),
    st.sampled_from(["P1", "P2", "P3"]),
    st.sampled_from(["purchase", "purchase", "return", "view"]),
    st.integers(min_value=0, max_value=300),  # day offset from START: some fall after AS_OF
    st.floats(min_value=0.5, max_value=500, allow_nan=False),
    st.sampled_from(["o1", "o2", "o3", "o4", "o5"]),
)


def _shop(rows) -> Shop:
    events = pd.DataFrame(
        [{"shopper_id": s, "product_id": p, "event_type": t, "timestamp": START + pd.Timedelta(days=d),
          "quantity": 1.0, "value": v if t != "view" else 0.0, "order_id": f"{s}-{o}"} for s, p, t, d, v, o in rows]
    )
    catalog = pd.DataFrame({"product_id": ["P1", "P2", "P3"], "title": ["JUMBO BAG", "TEA CUP", "CHRISTMAS STAR"]})
    shoppers = pd.DataFrame({"shopper_id": ["s1", "s2", "s3", "s4", "s5"]})
    return Shop(conform(catalog, CATALOG_COLUMNS), conform(shoppers, SHOPPER_COLUMNS), conform(events, EVENT_COLUMNS))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(event, min_size=1, max_size=40))
def test_features_agree_with_the_events_before_as_of(rows):
    shop = _shop(rows)
    features = compute_features(shop, AS_OF)
    frame = features.frame
    seen = shop.events[shop.events["timestamp"] < AS_OF]
    bought = seen[seen["event_type"] == "purchase"]
    assert abs(frame["monetary"].sum() - bought["value"].sum()) < 1e-6
    assert frame["n_orders"].sum() == bought.groupby("shopper_id")["order_id"].nunique().sum()
    assert (frame["n_orders"] <= frame["n_purchase"]).all()
    buyers = frame[frame["n_orders"] > 0]
    assert (buyers["recency_days"] > 0).all() and (buyers["recency_days"] <= buyers["tenure_days"] + 1e-9).all()
    assert frame["return_rate"].between(0, 1).all()
    assert ((frame["orders_30d"] <= frame["orders_90d"]) & (frame["orders_90d"] <= frame["orders_365d"])).all()
    shares = features.category_affinity.loc[buyers.index].sum(axis=1)
    assert (shares.sub(1.0).abs() < 1e-9).all()
    segments = assign_segments(frame, AS_OF)
    assert segments.notna().all() and set(segments) <= set(SEGMENTS)
    assert ((segments == "cold_start") == (frame["n_orders"] == 0)).all()
