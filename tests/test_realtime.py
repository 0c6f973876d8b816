"""Live events folded into a built ContentService; and the segment-wide brief the HTTP service writes from."""

from __future__ import annotations

import pandas as pd
import pytest

from contentgen.errors import ConfigError
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.realtime import LiveEvent, shop_with_events
from contentgen.service import ContentService, ServiceSettings


@pytest.fixture(scope="module")
def service(demo_shop):
    return ContentService(demo_shop, ServiceSettings(variants=1, content=False), generator=EchoGenerator())


def test_a_purchase_updates_the_profile_and_the_next_recommendations(service):
    frame = service.profiles.frame
    lapsed = str(frame[(frame["segment"].astype(str) == "churned")].index[0])
    before = service.profile(lapsed)
    first = [r.product_id for r in service.recommend(lapsed, 5)]
    event = LiveEvent(lapsed, first[0], "purchase", service.profiles.as_of, quantity=2, value=12.5, order_id="live-1")
    result = service.record_event(event)
    after = service.profile(lapsed)
    assert result.known_product and not result.new_shopper
    assert after.n_orders == before.n_orders + 1
    assert after.monetary == pytest.approx(before.monetary + 12.5)
    assert after.recency_days == 0.0
    assert result.segment_before == "churned" and after.segment == result.segment_after != "churned"
    assert first[0] not in [r.product_id for r in service.recommend(lapsed, 5)]
    # a second line of the same order is not a second order
    service.record_event(LiveEvent(lapsed, first[1], "purchase", service.profiles.as_of, value=1.0, order_id="live-1"))
    assert service.profile(lapsed).n_orders == before.n_orders + 1


def test_a_shopper_first_seen_live_gets_a_profile_and_recommendations(service, demo_shop):
    product = str(demo_shop.purchases["product_id"].value_counts().index[0])
    with pytest.raises(ConfigError, match="not in shop"):
        service.profile("live-newcomer")
    service.record_event(LiveEvent("live-newcomer", product, "view", pd.Timestamp("2011-12-09")))
    assert service.profile("live-newcomer").segment == "cold_start"
    result = service.record_event(LiveEvent("live-newcomer", product, "purchase", pd.Timestamp("2011-12-09"), value=3.0))
    assert result.segment_after == "new"
    profile = service.profile("live-newcomer")
    assert profile.n_orders == 1 and profile.monetary == pytest.approx(3.0)
    recs = service.recommend("live-newcomer", 3)
    assert product not in {r.product_id for r in recs}
    assert service.brief("live-newcomer", "sms").products


def test_stored_events_join_the_shop_for_the_next_fit(demo_shop):
    events = pd.DataFrame({"shopper_id": ["x1"], "product_id": ["p"], "event_type": ["purchase"],
                           "timestamp": [pd.Timestamp("2011-12-09 10:00")], "quantity": [1.0], "value": [2.0],
                           "order_id": [""]})
    shop = shop_with_events(demo_shop, events)
    assert len(shop.events) == len(demo_shop.events) + 1
    assert shop.events["timestamp"].is_monotonic_increasing
    assert shop_with_events(demo_shop, events.iloc[:0]) is demo_shop


def test_a_segment_brief_has_no_name_and_real_products(service, demo_shop):
    brief = service.segment_brief("loyal", "email")
    assert brief.segment == "loyal" and not brief.first_name and not brief.shopper_id
    catalog = set(demo_shop.catalog["product_id"].astype(str))
    assert brief.products and {p.product_id for p in brief.products} <= catalog
    assert "loyal" not in brief.situation
    with pytest.raises(ConfigError, match="choose one of"):
        service.segment_brief("vip")
