"""Plan offers for a whole shop: profile its shoppers, score their propensity, choose offers.

The one place where the offers stage reaches into the profile stage; ``choose_offers`` itself
takes a plain frame.
"""

from __future__ import annotations

from datetime import date, timedelta
import logging

import pandas as pd

from contentgen.offers.choice import OfferPlan, audience_from_profiles, choose_offers
from contentgen.offers.rules import OfferRules, load_offer_rules

logger = logging.getLogger(__name__)


def default_send_date(shop) -> date:
    """The day after the shop's last event: the first day a campaign could go out."""
    last = pd.Timestamp(shop.events["timestamp"].max())
    return (last + timedelta(days=1)).date()


def plan_shop_offers(shop, rules: OfferRules | None = None, send_date: date | None = None) -> OfferPlan:
    """Profiles as of ``send_date`` (default: the day after the last event), a propensity model
    trained on the history before it, then one offer per shopper."""
    from contentgen.profile import PropensityModel, build_profiles

    rules = rules or load_offer_rules()
    send_date = send_date or default_send_date(shop)
    as_of = pd.Timestamp(send_date)
    history = shop.until(as_of)
    logger.info("fitting the propensity model on history before %s", as_of.date())
    model = PropensityModel().fit(history, as_of)
    profiles = build_profiles(history, as_of=as_of, cluster=False, propensity=model)
    return choose_offers(audience_from_profiles(profiles), rules, send_date)
