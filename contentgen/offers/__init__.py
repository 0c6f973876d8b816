"""Offers: rules a marketer edits in YAML, and the choice of one offer per shopper by expected value."""

from contentgen.offers.choice import (
    CampaignEstimate,
    OfferPlan,
    audience_from_profiles,
    check_audience,
    choose_offers,
    discount_cost,
    discount_cost_from_paid,
    lifted_propensity,
    offer_terms,
)
from contentgen.offers.planning import default_send_date, plan_shop_offers
from contentgen.offers.rules import (
    DEFAULT_RULES_PATH,
    SEGMENTS,
    OfferRule,
    OfferRules,
    load_offer_rules,
    margin_after_discount,
    parse_offer_rules,
)

__all__ = [
    "CampaignEstimate", "OfferPlan", "audience_from_profiles", "OfferRule", "OfferRules", "DEFAULT_RULES_PATH", "SEGMENTS",
    "check_audience", "choose_offers", "discount_cost", "discount_cost_from_paid", "lifted_propensity",
    "default_send_date", "plan_shop_offers", "load_offer_rules", "margin_after_discount", "offer_terms", "parse_offer_rules",
]
