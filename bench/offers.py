"""Offer targeting on the real shop: expected-value choice vs blanket offers, same rules and budgets.

Profiles and propensity as of 2011-11-01 (model trained only on the history before it), the
packaged default_offers.yaml. Values are EXPECTED under the rules' assumed odds lifts (no
offer was ever sent in this data, so uplift cannot be measured here); the last columns are
real: the share of each policy's recipients who actually bought in the 90 days after the send
date, against the mean predicted baseline propensity of the same shoppers.

    PYTHONPATH=. python bench/offers.py
"""

from __future__ import annotations

from datetime import date
import time

import numpy as np
import pandas as pd

from contentgen.data import load_real_shop
from contentgen.offers import audience_from_profiles, choose_offers, discount_cost, lifted_propensity, load_offer_rules
from contentgen.offers.rules import margin_after_discount

SEND = date(2011, 11, 1)
HORIZON_DAYS = 90


def blanket(audience: pd.DataFrame, rules, budgeted: bool, seed: int = 0) -> pd.DataFrame:
    """Every shopper gets the first open offer for its segment (file order); optionally in random
    order until each offer's budget and the total budget run out."""
    rows = []
    for rule in rules.offers:
        if not rule.open_on(SEND) or rule.categories:
            continue
        mine = audience[audience["segment"].isin(rule.segments)]
        p0 = mine["propensity"].to_numpy()
        aov = mine["avg_order_value"].to_numpy()
        p1 = lifted_propensity(p0, rule.odds_lift)
        cost = discount_cost(rule.kind, rule.value, aov)
        ok = margin_after_discount(rules.assumed_margin, np.where(aov > 0, cost / np.maximum(aov, 1e-9), 1.0)) >= rules.margin_floor
        rows.append(pd.DataFrame({"shopper_id": mine["shopper_id"], "offer_id": rule.id, "propensity": p0,
                                  "inc_rev": (p1 - p0) * aov, "cost": p1 * cost, "ok": ok}))
    pairs = pd.concat(rows).query("ok").drop_duplicates("shopper_id")
    if budgeted:
        pairs = pairs.sample(frac=1.0, random_state=seed)
        left = {r.id: r.budget or np.inf for r in rules.offers}
        total = rules.total_budget or np.inf
        keep = []
        for offer_id, cost in zip(pairs["offer_id"], pairs["cost"]):
            fits = cost <= left[offer_id] and cost <= total
            keep.append(fits)
            if fits:
                left[offer_id] -= cost
                total -= cost
        pairs = pairs[keep]
    return pairs


def main() -> None:
    from contentgen.profile import PropensityModel, build_profiles

    start = time.perf_counter()
    shop = load_real_shop()
    as_of = pd.Timestamp(SEND)
    history = shop.until(as_of)
    model = PropensityModel().fit(history, as_of)
    audience = audience_from_profiles(build_profiles(history, as_of=as_of, cluster=False, propensity=model))
    audience["propensity"] = audience["propensity"].fillna(0.05)
    audience["avg_order_value"] = audience["avg_order_value"].fillna(audience["avg_order_value"].median())
    future = shop.purchases
    future = future[(future["timestamp"] >= as_of) & (future["timestamp"] < as_of + pd.Timedelta(days=HORIZON_DAYS))]
    bought = set(future["shopper_id"].astype(str))
    setup_s = time.perf_counter() - start

    rules = load_offer_rules()
    results = []

    def row(name: str, ids: pd.Series, p0: pd.Series, inc_rev: float, cost: float, seconds: float) -> None:
        cost += len(audience) * rules.cost_per_message
        results.append({"policy": name, "with offer": len(ids), "exp. incremental revenue": inc_rev,
                        "exp. cost": cost, "exp. ROI": (inc_rev - cost) / cost,
                        "real 90d buy rate": ids.isin(bought).mean(), "mean p0": p0.mean(), "s": seconds})

    for budgeted in (False, True):
        t = time.perf_counter()
        pairs = blanket(audience, rules, budgeted)
        row("blanket per segment" + (", random until budget" if budgeted else ", no budget"), pairs["shopper_id"],
            pairs["propensity"], pairs["inc_rev"].sum(), pairs["cost"].sum(), time.perf_counter() - t)
    for rank_by in ("value", "value_per_cost"):
        t = time.perf_counter()
        plan = choose_offers(audience, rules.model_copy(update={"rank_by": rank_by}), SEND)
        chosen = plan.assignments[plan.assignments["offer_id"] != ""]
        row(f"expected value, rank_by={rank_by}" + (" (default)" if rank_by == "value_per_cost" else ""),
            chosen["shopper_id"], chosen["propensity"], plan.estimate.incremental_revenue,
            plan.estimate.expected_cost - len(audience) * rules.cost_per_message, time.perf_counter() - t)
    print(f"real shop, send date {SEND}, {len(audience):,} shoppers, default_offers.yaml (total budget "
          f"{rules.total_budget:,.0f} GBP); setup (load + propensity + profiles) {setup_s:.1f}s")
    print(pd.DataFrame(results).to_string(index=False, float_format="{:,.2f}".format))


if __name__ == "__main__":
    main()
