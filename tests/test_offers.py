"""Offer rules (YAML validation) and offer choice (expected value, budgets, windows, terms)."""

from __future__ import annotations

from datetime import date
import math

from hypothesis import given, settings, strategies as st
import numpy as np
import pandas as pd
import pytest

from contentgen.brief import OfferTerms
from contentgen.errors import ConfigError, DataError
from contentgen.offers import (
    SEGMENTS,
    choose_offers,
    discount_cost,
    discount_cost_from_paid,
    lifted_propensity,
    load_offer_rules,
    margin_after_discount,
    parse_offer_rules,
)

SEND = date(2011, 12, 1)


def _rules(*offers: dict, **top) -> object:
    return parse_offer_rules({"offers": list(offers), **top})


def _offer(**overrides) -> dict:
    base = {"id": "ten-off", "kind": "percent_off", "value": 10, "code": "TEN", "description": "10% off",
            "segments": ["at_risk"], "odds_lift": 2.0}
    return {**base, **overrides}


def _audience(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["shopper_id", "segment", "propensity", "avg_order_value"])


# -- rules ------------------------------------------------------------------------------------

def test_default_rules_load_and_cover_the_lifecycle_offers():
    rules = load_offer_rules()
    kinds = {offer.kind for offer in rules.offers}
    assert {"percent_off", "amount_off", "free_shipping"} <= kinds
    covered = {segment for offer in rules.offers for segment in offer.segments}
    assert {"new", "loyal", "at_risk", "churned"} <= covered
    assert any(offer.categories for offer in rules.offers)  # a category promotion
    assert rules.total_budget and all(offer.budget for offer in rules.offers)


def test_misspelt_key_is_rejected_with_offer_named(tmp_path):
    path = tmp_path / "offers.yaml"
    path.write_text("offers:\n  - id: vip\n    kind: free_shipping\n    value: 5\n    description: free shipping\n"
                    "    segments: [loyal]\n    budjet: 100\n")
    with pytest.raises(ConfigError) as error:
        load_offer_rules(path)
    message = str(error.value)
    assert str(path) in message and "offers[0] (vip).budjet" in message


def test_unknown_segment_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="unknown segment.*'vips'.*valid segments: new, active"):
        _rules(_offer(segments=["vips"]))


@pytest.mark.parametrize(
    ("overrides", "top", "fragment"),
    [
        ({"value": 150}, {}, "between 0 and 100"),
        ({"code": ""}, {}, "needs a coupon code"),
        ({"valid_from": "2011-12-10", "valid_until": "2011-12-01"}, {}, "is after valid_until"),
        ({"value": 45}, {"assumed_margin": 0.5, "margin_floor": 0.2}, "below the margin floor"),
        ({"kind": "bogus"}, {}, "kind"),
        ({"id": "Bad Id"}, {}, "lowercase"),
        ({"translations": {"fr": "10 % de réduction"}}, {}, "unknown languages \\['fr'\\]"),
        ({"translations": {"zh": " "}}, {}, "empty translation"),
        ({"translations": {"zh": "享 20% 折扣"}}, {}, "states the numbers \\[20.0\\]"),
    ],
)
def test_invalid_offers_fail_with_a_clear_reason(overrides, top, fragment):
    with pytest.raises(ConfigError, match=fragment):
        _rules(_offer(**overrides), **top)


def test_duplicate_ids_and_non_mapping_files_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match="duplicated: \\['ten-off'\\]"):
        _rules(_offer(), _offer())
    path = tmp_path / "offers.yaml"
    path.write_text("- just a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_offer_rules(path)
    with pytest.raises(ConfigError, match="not found"):
        load_offer_rules(tmp_path / "missing.yaml")


def test_margin_after_discount_by_hand():
    # 50% margin, 20% off: cost 0.5 of the old price, new price 0.8 -> margin 0.3 / 0.8 = 0.375
    assert margin_after_discount(0.5, 0.2) == pytest.approx(0.375)
    assert margin_after_discount(0.5, 1.0) == -math.inf


# -- the effect model and costs --------------------------------------------------------------

def test_lifted_propensity_multiplies_the_odds():
    # p = 0.2 -> odds 0.25; × 2 -> 0.5 -> p = 1/3
    assert lifted_propensity(0.2, 2.0) == pytest.approx(1 / 3)
    assert lifted_propensity(0.0, 3.0) == 0.0
    assert lifted_propensity(1.0, 3.0) == 1.0
    assert lifted_propensity(0.37, 1.0) == pytest.approx(0.37)


def test_discount_costs():
    assert discount_cost("percent_off", 10, 50.0) == pytest.approx(5.0)
    assert discount_cost("amount_off", 5, 3.0) == pytest.approx(3.0)  # never more than the order
    assert discount_cost("free_shipping", 6, 80.0) == pytest.approx(6.0)
    # a shopper paid 90 after 10% off: the list price was 100, the discount 10
    assert discount_cost_from_paid("percent_off", 10, 90.0) == pytest.approx(10.0)
    assert discount_cost_from_paid("amount_off", 5, 0.0) == 0.0


# -- choice ------------------------------------------------------------------------------------

def test_expected_value_and_roi_by_hand():
    rules = _rules(_offer(), cost_per_message=0.0)
    plan = choose_offers(_audience([("s1", "at_risk", 0.2, 100.0)]), rules, SEND)
    row = plan.assignments.iloc[0]
    p1 = 1 / 3  # odds 0.25 × 2
    assert row["offer_id"] == "ten-off"
    assert row["propensity_with_offer"] == pytest.approx(p1)
    assert row["expected_revenue"] == pytest.approx(p1 * 100)  # P(purchase | offer) × AOV
    assert row["expected_cost"] == pytest.approx(p1 * 10)  # paid only when redeemed
    assert row["incremental_value"] == pytest.approx(p1 * 100 - p1 * 10 - 0.2 * 100)
    incremental_revenue = (p1 - 0.2) * 100
    assert plan.estimate.incremental_revenue == pytest.approx(incremental_revenue)
    assert plan.estimate.roi == pytest.approx((incremental_revenue - p1 * 10) / (p1 * 10))
    assert plan.by_offer.set_index("offer_id").loc["ten-off", "recipients"] == 1


def test_no_offer_when_it_does_not_pay():
    # A near-certain buyer: the lift adds little revenue but the discount is paid on every order.
    rules = _rules(_offer(odds_lift=1.05))
    plan = choose_offers(_audience([("s1", "at_risk", 0.95, 100.0)]), rules, SEND)
    assert plan.assignments.loc[0, "offer_id"] == ""
    assert plan.terms_for("s1") is None
    assert plan.estimate.with_offer == 0


def test_each_shopper_gets_the_best_eligible_offer_for_its_segment():
    rules = _rules(
        _offer(id="small", value=5, code="FIVE", odds_lift=1.5, segments=["at_risk", "loyal"]),
        _offer(id="big", value=15, code="FIFTEEN", odds_lift=3.0, segments=["at_risk"]),
    )
    audience = _audience([("a", "at_risk", 0.2, 100.0), ("b", "loyal", 0.2, 100.0), ("c", "new", 0.2, 100.0)])
    plan = choose_offers(audience, rules, SEND).assignments.set_index("shopper_id")
    assert plan.loc["a", "offer_id"] == "big"  # 3× odds beats 1.5× despite the larger discount
    assert plan.loc["b", "offer_id"] == "small"  # "big" is not for loyal shoppers
    assert plan.loc["c", "offer_id"] == ""  # no offer for new shoppers


def test_budget_cap_goes_to_the_most_valuable_shoppers_first():
    rules = _rules(_offer(budget=10.0))
    # expected cost per shopper = p1 × 10% × AOV; with p0 0.2, p1 = 1/3
    audience = _audience([("low", "at_risk", 0.2, 60.0), ("high", "at_risk", 0.2, 200.0), ("mid", "at_risk", 0.2, 150.0)])
    plan = choose_offers(audience, rules, SEND)
    chosen = plan.assignments.set_index("shopper_id")["offer_id"]
    # high costs 6.67, mid 5.0 (would exceed 10), low 2.0 fits
    assert chosen.to_dict() == {"low": "ten-off", "high": "ten-off", "mid": ""}
    assert plan.assignments["expected_cost"].sum() <= 10.0


def test_recipient_cap_and_total_budget():
    audience = _audience([(f"s{i}", "at_risk", 0.2, 100.0 + i) for i in range(10)])
    capped = choose_offers(audience, _rules(_offer(max_recipients=3)), SEND)
    assert (capped.assignments["offer_id"] == "ten-off").sum() == 3
    assert set(capped.assignments.nlargest(3, "avg_order_value")["offer_id"]) == {"ten-off"}
    total = choose_offers(audience, _rules(_offer(), total_budget=7.0), SEND)
    assert total.assignments["expected_cost"].sum() <= 7.0
    assert (total.assignments["offer_id"] != "").sum() == 2  # ~3.4 each


def test_eligibility_window_and_category_promotions():
    rules = _rules(_offer(valid_from="2011-11-01", valid_until="2011-11-30"))
    plan = choose_offers(_audience([("s1", "at_risk", 0.2, 100.0)]), rules, SEND)
    assert plan.assignments.loc[0, "offer_id"] == "" and "not open on 2011-12-01" in plan.skipped["ten-off"]

    promo = _rules(_offer(categories=["Christmas"]))
    audience = _audience([("x", "at_risk", 0.2, 100.0), ("y", "at_risk", 0.2, 100.0)])
    assert "top_category" in choose_offers(audience, promo, SEND).skipped["ten-off"]
    audience["top_category"] = ["christmas", "candles"]
    chosen = choose_offers(audience, promo, SEND).assignments.set_index("shopper_id")["offer_id"]
    assert chosen.to_dict() == {"x": "ten-off", "y": ""}


def test_margin_floor_applies_per_shopper_for_fixed_amount_offers():
    rules = _rules(_offer(kind="amount_off", value=10, code="TENNER"), margin_floor=0.3, assumed_margin=0.5)
    # £10 off a £20 basket is 50% off: margin (0.5-0.5)/0.5 = 0 < 0.3; on £100 it is 10%: 0.44
    plan = choose_offers(_audience([("small", "at_risk", 0.2, 20.0), ("large", "at_risk", 0.2, 100.0)]), rules, SEND)
    chosen = plan.assignments.set_index("shopper_id")["offer_id"]
    assert chosen.to_dict() == {"small": "", "large": "ten-off"}


def test_terms_are_what_the_writer_needs():
    rules = _rules(_offer(expires_after_days=30, valid_until="2011-12-20", min_order_value=25, description="10% off orders over £25"))
    plan = choose_offers(_audience([("s1", "at_risk", 0.2, 100.0)]), rules, SEND)
    assert plan.terms_for("s1") == OfferTerms(offer_id="ten-off", kind="percent_off", value=10.0, code="TEN", expires="2011-12-20",
                                              description="10% off orders over £25", min_order_value=25.0)


def test_a_minimum_order_the_wording_leaves_out_is_refused_with_the_fix():
    with pytest.raises(ConfigError, match="at least 20.*does not say.*on orders over 20"):
        _rules(_offer(min_order_value=20, description="15% off when you come back"))
    # stated in any form the copy shows a number in: "£20", "20.00", "满 £20"
    assert _rules(_offer(min_order_value=20, description="15% off orders over £20.00")).offers[0].min_order_value == 20
    assert _rules(_offer(min_order_value=20, description="15% off orders over £20",
                         translations={"zh": "满 £20 享 15% 折扣"})).offers[0].translations["zh"] == "满 £20 享 15% 折扣"


def test_terms_carry_the_wording_for_other_languages():
    rules = _rules(_offer(translations={"zh": "享 10% 折扣"}))
    terms = choose_offers(_audience([("s1", "at_risk", 0.2, 100.0)]), rules, SEND).terms_for("s1")
    assert terms.in_language("zh").description == "享 10% 折扣"
    assert terms.in_language("en").description == terms.description == "10% off"


def test_bad_audiences_raise_data_errors():
    rules = _rules(_offer())
    with pytest.raises(DataError, match="lacks column.*propensity"):
        choose_offers(pd.DataFrame({"shopper_id": ["1"], "segment": ["new"], "avg_order_value": [1.0]}), rules, SEND)
    with pytest.raises(DataError, match="probability"):
        choose_offers(_audience([("s1", "at_risk", 1.5, 100.0)]), rules, SEND)
    with pytest.raises(DataError, match="more than once"):
        choose_offers(_audience([("s1", "at_risk", 0.5, 100.0), ("s1", "new", 0.5, 1.0)]), rules, SEND)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    budget=st.floats(1.0, 500.0),
    total=st.floats(1.0, 800.0),
)
def test_plans_respect_every_cap_and_only_add_value(seed, budget, total):
    rng = np.random.default_rng(seed)
    n = 60
    audience = pd.DataFrame({
        "shopper_id": [str(i) for i in range(n)],
        "segment": rng.choice(list(SEGMENTS), n),
        "propensity": rng.uniform(0, 1, n),
        "avg_order_value": rng.gamma(2.0, 30.0, n),
    })
    rules = _rules(
        _offer(id="a", segments=list(SEGMENTS), budget=budget),
        _offer(id="b", kind="free_shipping", value=4, code="", segments=["loyal", "active"], odds_lift=1.3),
        total_budget=total,
    )
    plan = choose_offers(audience, rules, SEND)
    table = plan.assignments
    assert len(table) == n and table["shopper_id"].is_unique
    assert table.loc[table["offer_id"] == "a", "expected_cost"].sum() <= budget + 1e-9
    assert table["expected_cost"].sum() <= total + 1e-9
    assert (table.loc[table["offer_id"] != "", "incremental_value"] > 0).all()
    assert (table.loc[table["offer_id"] == "b", "segment"].isin(["loyal", "active"])).all()
    assert choose_offers(audience, rules, SEND).assignments.equals(table)  # deterministic


def test_unscored_shoppers_get_the_stated_assumptions():
    rules = _rules(_offer(segments=["cold_start"]), missing_propensity=0.1)
    audience = _audience([("known", "cold_start", 0.3, 100.0), ("fresh", "cold_start", float("nan"), float("nan")),
                          ("other", "cold_start", 0.3, 300.0)])
    table = choose_offers(audience, rules, SEND).assignments.set_index("shopper_id")
    assert table.loc["fresh", "propensity"] == pytest.approx(0.1)
    assert table.loc["fresh", "avg_order_value"] == pytest.approx(200.0)  # the median of the known ones


def test_value_per_cost_ranking_gets_more_value_from_a_capped_budget():
    # One wholesaler (value 150, cost 100) against 50 small shoppers (value 6.36, cost 1.82 each):
    # the budget of 100 buys 150 of value on the whale, or ~318 spread over the small ones.
    rows = [("whale", "at_risk", 0.5, 1500.0)] + [(f"s{i}", "at_risk", 0.1, 100.0) for i in range(50)]
    audience = _audience(rows)
    by_ratio = choose_offers(audience, _rules(_offer(budget=100.0), rank_by="value_per_cost"), SEND)
    by_value = choose_offers(audience, _rules(_offer(budget=100.0), rank_by="value"), SEND)
    assert by_value.assignments.set_index("shopper_id").loc["whale", "offer_id"] == "ten-off"
    assert by_ratio.assignments.set_index("shopper_id").loc["whale", "offer_id"] == ""
    assert by_ratio.estimate.with_offer == 50
    assert by_ratio.assignments["incremental_value"].sum() > 2 * by_value.assignments["incremental_value"].sum()
    for plan in (by_ratio, by_value):
        assert plan.assignments["expected_cost"].sum() <= 100.0


def test_a_shopper_turned_away_by_a_full_offer_gets_its_next_best():
    rules = _rules(
        _offer(id="big", value=15, code="FIFTEEN", odds_lift=3.0, budget=20.0),
        _offer(id="small", value=5, code="FIVE", odds_lift=1.5),
    )
    audience = _audience([("a", "at_risk", 0.2, 100.0), ("b", "at_risk", 0.2, 200.0)])
    chosen = choose_offers(audience, rules, SEND).assignments.set_index("shopper_id")["offer_id"]
    # "big" costs 6.43 on a and 12.86 on b; a budget of 20 holds both.
    assert chosen.to_dict() == {"a": "big", "b": "big"}
    tight = _rules(
        _offer(id="big", value=15, code="FIFTEEN", odds_lift=3.0, budget=15.0),
        _offer(id="small", value=5, code="FIVE", odds_lift=1.5),
    )
    chosen = choose_offers(audience, tight, SEND).assignments.set_index("shopper_id")["offer_id"]
    # A budget of 15 holds one: both have the same value per pound, so the larger value (b) keeps
    # it and a falls back to its next best offer instead of getting nothing.
    assert chosen.to_dict() == {"a": "small", "b": "big"}


def test_segments_match_the_profile_stage():
    from contentgen.profile import SEGMENTS as PROFILE_SEGMENTS

    assert set(SEGMENTS) == set(PROFILE_SEGMENTS)


def test_audience_from_profiles_needs_a_propensity():
    from contentgen.offers import audience_from_profiles

    frame = pd.DataFrame({"segment": ["new"], "avg_order_value": [10.0], "top_category": ["bags"]},
                         index=pd.Index(["7"], name="shopper_id"))
    with pytest.raises(DataError, match="no propensity"):
        audience_from_profiles(frame)
    audience = audience_from_profiles(frame.assign(propensity=0.4))
    assert audience.to_dict("records") == [{"shopper_id": "7", "segment": "new", "propensity": 0.4,
                                            "avg_order_value": 10.0, "top_category": "bags"}]


@pytest.mark.slow
def test_plan_on_the_real_shop(real_shop):
    from contentgen.offers import plan_shop_offers

    rules = load_offer_rules()
    send = date(2011, 11, 1)
    plan = plan_shop_offers(real_shop, rules, send)
    table = plan.assignments
    assert table["shopper_id"].is_unique and len(table) > 5000
    assert plan.estimate.with_offer > 500
    assert table.loc[table["offer_id"] != "", "expected_cost"].sum() <= rules.total_budget + 1e-6
    for offer in rules.offers:
        mine = table[table["offer_id"] == offer.id]
        assert mine["segment"].isin(offer.segments).all()
        assert mine["expected_cost"].sum() <= offer.budget + 1e-6
    assert (table.loc[table["offer_id"] != "", "incremental_value"] > 0).all()
    assert plan.estimate.roi > 0  # under the configured lifts the plan pays for itself
    # Every offer sent has complete terms the writer can quote.
    for terms in plan.terms.values():
        assert terms.description and terms.expires >= send.isoformat()
