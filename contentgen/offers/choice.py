"""Offer choice: which offer (if any) each shopper gets, and what the campaign should return.

Inputs are plain frames so this stage does not depend on how profiles are built. The audience
frame has one row per shopper with ``shopper_id``, ``segment``, ``propensity`` (P(purchase) in
the campaign horizon without an offer) and ``avg_order_value``; optional ``margin`` (gross
margin fraction) and ``top_category`` (for category promotions).

The model of an offer's effect is an assumption, kept as a per-offer setting: the offer
multiplies the purchase *odds* by ``odds_lift``. The propensity model is a logistic regression,
so this is the same as adding a constant log(odds_lift) to its logit, which keeps probabilities
in (0, 1) and gives the largest absolute lift to undecided shoppers rather than to those who
would buy anyway. Replace the lifts with measured ones once A/B results exist.

Per shopper and eligible offer, with p0 the baseline and p1 the lifted propensity:
    expected value        = p1 × AOV − p1 × discount cost     (the issue's P(purchase | offer) × AOV − cost;
                                                               a coupon costs only when redeemed)
    incremental value     = expected value − p0 × AOV          (what the offer adds over sending no offer)
Each shopper gets at most one offer with positive incremental value: its most valuable one
unless that offer's budget or recipient cap is taken by shoppers who make better use of it
(value per unit of expected cost by default, see ``OfferRules.rank_by``); see ``_allocate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
import logging

import numpy as np
import pandas as pd

from contentgen.brief import OfferTerms
from contentgen.errors import DataError
from contentgen.offers.rules import OfferRule, OfferRules, margin_after_discount

logger = logging.getLogger(__name__)

AUDIENCE_COLUMNS: tuple[str, ...] = ("shopper_id", "segment", "propensity", "avg_order_value")

ASSIGNMENT_COLUMNS: tuple[str, ...] = (
    "shopper_id", "segment", "offer_id", "propensity", "propensity_with_offer", "avg_order_value",
    "expected_revenue", "expected_cost", "incremental_value",
)


@dataclass(frozen=True)
class CampaignEstimate:
    """What a planned campaign is expected to return, before sending.

    ``roi`` = (incremental revenue − cost) / cost, where incremental revenue is the revenue the
    offers add over the baseline propensity and cost is the expected discount cost plus sending.
    """

    recipients: int
    with_offer: int
    expected_revenue: float
    incremental_revenue: float
    expected_cost: float
    roi: float


@dataclass(frozen=True)
class OfferPlan:
    """The chosen offer per shopper, a summary per offer, and the campaign estimate."""

    assignments: pd.DataFrame  # ASSIGNMENT_COLUMNS; offer_id "" means no offer
    by_offer: pd.DataFrame  # one row per offer: recipients, expected cost, incremental revenue, roi, budget
    estimate: CampaignEstimate
    terms: dict[str, OfferTerms]
    skipped: dict[str, str] = field(default_factory=dict)  # offer id -> why it was not used at all

    def terms_for(self, shopper_id: str) -> OfferTerms | None:
        """The offer terms a message to this shopper may promise, or None."""
        row = self.assignments.loc[self.assignments["shopper_id"] == str(shopper_id), "offer_id"]
        if row.empty or not row.iloc[0]:
            return None
        return self.terms[row.iloc[0]]


def lifted_propensity(propensity: np.ndarray | float, odds_lift: float) -> np.ndarray:
    """P(purchase | offer): the baseline with its odds multiplied by ``odds_lift``."""
    p = np.clip(np.asarray(propensity, dtype=float), 0.0, 1.0)
    odds = p / np.maximum(1.0 - p, 1e-12)
    lifted = odds * odds_lift
    return np.where(p >= 1.0, 1.0, lifted / (1.0 + lifted))


def discount_cost(kind: str, value: float, order_value: np.ndarray | float) -> np.ndarray:
    """What redeeming the offer costs the shop on an order of ``order_value`` (before discount)."""
    order_value = np.asarray(order_value, dtype=float)
    if kind == "percent_off":
        return order_value * value / 100.0
    if kind == "amount_off":
        return np.minimum(value, order_value)
    return np.full_like(order_value, value)  # free_shipping: a fixed cost per order


def discount_cost_from_paid(kind: str, value: float, paid: np.ndarray | float) -> np.ndarray:
    """The discount given on an order, from what the shopper paid after it (as email exports report revenue)."""
    paid = np.asarray(paid, dtype=float)
    if kind == "percent_off":
        return paid * value / (100.0 - value)
    return np.where(paid > 0, value, 0.0)


def offer_terms(rule: OfferRule, send_date: date) -> OfferTerms:
    """The terms a message sent on ``send_date`` may promise: wording, code, expiry, value."""
    expires = send_date + timedelta(days=rule.expires_after_days)
    if rule.valid_until is not None:
        expires = min(expires, rule.valid_until)
    return OfferTerms(
        offer_id=rule.id,
        kind=rule.kind,
        value=float(rule.value),
        code=rule.code,
        expires=expires.isoformat(),
        description=rule.description,
        min_order_value=float(rule.min_order_value),
        translations=tuple(sorted(rule.translations.items())),
    )


def check_audience(audience: pd.DataFrame, missing_propensity: float = 0.05) -> pd.DataFrame:
    """Validate and normalise the audience frame; raises DataError naming the column and fix.

    A missing propensity (a shopper the model cannot score) becomes ``missing_propensity``; a
    missing average order value becomes the audience's median, so cold-start shoppers can get
    a welcome offer on a typical basket.
    """
    missing = [c for c in AUDIENCE_COLUMNS if c not in audience.columns]
    if missing:
        raise DataError(
            f"audience frame lacks column(s) {missing}; it needs {list(AUDIENCE_COLUMNS)} "
            "(build it from the shopper profiles: segment, propensity, average order value)",
            column=missing[0],
        )
    out = audience.copy()
    out["shopper_id"] = out["shopper_id"].astype(str)
    for column in ("propensity", "avg_order_value"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    unscored = audience["propensity"].isna().to_numpy()
    out.loc[unscored, "propensity"] = missing_propensity
    bad = out["propensity"].isna() | (out["propensity"] < 0) | (out["propensity"] > 1)
    if bad.any():
        first = out.loc[bad].iloc[0]
        raise DataError(
            f"propensity must be a probability in [0, 1]; shopper {first['shopper_id']} has {first['propensity']!r}",
            column="propensity", value=first["propensity"],
        )
    if out["shopper_id"].duplicated().any():
        dup = out.loc[out["shopper_id"].duplicated(), "shopper_id"].iloc[0]
        raise DataError(f"audience lists shopper {dup} more than once; keep one row per shopper", column="shopper_id", value=dup)
    known = out["avg_order_value"].dropna()
    typical = float(known.median()) if len(known) else 0.0
    out["avg_order_value"] = out["avg_order_value"].fillna(typical).clip(lower=0.0)
    return out.reset_index(drop=True)


def audience_from_profiles(profiles) -> pd.DataFrame:
    """The audience frame from a ``contentgen.profile.Profiles`` (its frame, indexed by shopper_id)."""
    frame = profiles.frame if hasattr(profiles, "frame") else profiles
    if "propensity" not in frame.columns:
        raise DataError("profiles have no propensity: build them with build_profiles(..., propensity=PropensityModel().fit(...))",
                        column="propensity")
    columns = [c for c in (*AUDIENCE_COLUMNS[1:], "top_category", "margin") if c in frame.columns]
    out = frame[columns].reset_index()
    out = out.rename(columns={out.columns[0]: "shopper_id"})
    out["segment"] = out["segment"].astype(str)
    return out


def choose_offers(audience: pd.DataFrame, rules: OfferRules, send_date: date) -> OfferPlan:
    """Pick at most one offer per shopper, maximising incremental value under the budget caps."""
    audience = check_audience(audience, rules.missing_propensity)
    margin = (
        pd.to_numeric(audience["margin"], errors="coerce").fillna(rules.assumed_margin).to_numpy(float)
        if "margin" in audience.columns
        else np.full(len(audience), rules.assumed_margin)
    )
    p0 = audience["propensity"].to_numpy(float)
    aov = audience["avg_order_value"].to_numpy(float)

    skipped: dict[str, str] = {}
    candidates = []
    for rule in rules.offers:
        if not rule.open_on(send_date):
            skipped[rule.id] = f"not open on {send_date} (window {rule.valid_from} .. {rule.valid_until})"
            continue
        eligible = np.array(audience["segment"].isin(rule.segments), dtype=bool)
        if rule.categories:
            if "top_category" not in audience.columns:
                skipped[rule.id] = "a category promotion, but the audience has no top_category column"
                continue
            wanted = {c.lower() for c in rule.categories}
            eligible &= audience["top_category"].fillna("").astype(str).str.lower().isin(wanted).to_numpy()
        p1 = lifted_propensity(p0, rule.odds_lift)
        cost = discount_cost(rule.kind, rule.value, aov)
        with np.errstate(divide="ignore", invalid="ignore"):
            kept_margin = margin_after_discount(margin, np.where(aov > 0, cost / aov, 1.0))
        eligible &= (aov > 0) & (kept_margin >= rules.margin_floor)
        if not eligible.any():
            skipped.setdefault(rule.id, "no eligible shopper in the audience")
            continue
        index = np.flatnonzero(eligible)
        candidates.append(pd.DataFrame({
            "row": index,
            "offer_id": rule.id,
            "p1": p1[index],
            "expected_revenue": p1[index] * aov[index],
            "expected_cost": p1[index] * cost[index],
            "incremental_value": p1[index] * (aov[index] - cost[index]) - p0[index] * aov[index],
        }))

    chosen = _allocate(candidates, rules)

    assignments = pd.DataFrame({
        "shopper_id": audience["shopper_id"],
        "segment": audience["segment"].astype(str),
        "offer_id": "",
        "propensity": p0,
        "propensity_with_offer": p0,
        "avg_order_value": aov,
        "expected_revenue": p0 * aov,
        "expected_cost": 0.0,
        "incremental_value": 0.0,
    })
    if not chosen.empty:
        rows = chosen["row"].to_numpy()
        assignments.loc[rows, "offer_id"] = chosen["offer_id"].to_numpy()
        assignments.loc[rows, "propensity_with_offer"] = chosen["p1"].to_numpy()
        for column in ("expected_revenue", "expected_cost", "incremental_value"):
            assignments.loc[rows, column] = chosen[column].to_numpy()
    assignments["offer_id"] = assignments["offer_id"].astype(str)

    by_offer = _summarise(assignments, rules)
    estimate = _estimate(assignments, rules)
    terms = {rule.id: offer_terms(rule, send_date) for rule in rules.offers if rule.id in set(assignments["offer_id"])}
    for rule_id, reason in skipped.items():
        logger.info("offer %s not used: %s", rule_id, reason)
    return OfferPlan(assignments=assignments, by_offer=by_offer, estimate=estimate, terms=terms, skipped=skipped)


def _allocate(candidates: list[pd.DataFrame], rules: OfferRules) -> pd.DataFrame:
    """One offer per shopper under the caps, by deferred acceptance.

    Each shopper asks for its most valuable offer first; each offer keeps the requests that
    rank best (by value per unit of cost by default, see ``OfferRules.rank_by``) while its
    budget and recipient cap last, and turns the rest away; a shopper turned away asks for its
    next offer. When nothing binds, everyone gets their most valuable offer; when a budget
    binds, it goes where it buys the most. The campaign's total budget is applied last, best
    ranked first (those it drops get no offer).
    """
    columns = ["row", "offer_id", "p1", "expected_revenue", "expected_cost", "incremental_value"]
    if not candidates:
        return pd.DataFrame(columns=columns)
    pairs = pd.concat(candidates, ignore_index=True)
    pairs = pairs[pairs["incremental_value"] > 0].reset_index(drop=True)
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    ratio = pairs["incremental_value"] / pairs["expected_cost"].clip(lower=1e-9)
    # Rounded so float noise does not decide ties; ties then go to the larger value, then row order.
    rank = np.round(ratio if rules.rank_by == "value_per_cost" else pairs["incremental_value"], 9).to_numpy()
    value = pairs["incremental_value"].to_numpy()
    cost = pairs["expected_cost"].to_numpy()
    rows = pairs["row"].to_numpy()
    offer_of = pairs["offer_id"].to_numpy()

    preference = pairs.sort_values(["row", "incremental_value", "offer_id"], ascending=[True, False, True], kind="mergesort")
    wishes: dict[int, list[int]] = {}
    for row, position in zip(preference["row"].to_numpy(), preference.index.to_numpy()):
        wishes.setdefault(int(row), []).append(int(position))
    next_wish = dict.fromkeys(wishes, 0)
    budgets = {r.id: (r.budget if r.budget is not None else np.inf) for r in rules.offers}
    caps = {r.id: (r.max_recipients if r.max_recipients is not None else np.inf) for r in rules.offers}
    held: dict[str, list[int]] = {r.id: [] for r in rules.offers}
    asking = sorted(wishes)
    while asking:
        requests: dict[str, list[int]] = {}
        for row in asking:
            if next_wish[row] < len(wishes[row]):
                position = wishes[row][next_wish[row]]
                requests.setdefault(offer_of[position], []).append(position)
        asking = []
        for offer_id, new in requests.items():
            pool = sorted(held[offer_id] + new, key=lambda p: (-rank[p], -value[p], rows[p]))
            left, room, kept = budgets[offer_id], caps[offer_id], []
            for position in pool:
                if cost[position] <= left and room >= 1:
                    kept.append(position)
                    left -= cost[position]
                    room -= 1
                else:
                    next_wish[int(rows[position])] += 1
                    asking.append(int(rows[position]))
            held[offer_id] = kept
        asking = sorted(set(asking))

    chosen = sorted((p for kept in held.values() for p in kept), key=lambda p: (-rank[p], -value[p], rows[p]))
    total_left = rules.total_budget if rules.total_budget is not None else np.inf
    final = []
    for position in chosen:
        if cost[position] <= total_left:
            final.append(position)
            total_left -= cost[position]
    return pairs.loc[sorted(final), columns].reset_index(drop=True)


def _roi(incremental_revenue: float, cost: float) -> float:
    return (incremental_revenue - cost) / cost if cost > 0 else float("nan")


def _summarise(assignments: pd.DataFrame, rules: OfferRules) -> pd.DataFrame:
    rows = []
    for rule in rules.offers:
        mine = assignments[assignments["offer_id"] == rule.id]
        incremental_revenue = float((mine["expected_revenue"] - mine["propensity"] * mine["avg_order_value"]).sum())
        cost = float(mine["expected_cost"].sum()) + len(mine) * rules.cost_per_message
        rows.append({
            "offer_id": rule.id,
            "recipients": len(mine),
            "expected_revenue": float(mine["expected_revenue"].sum()),
            "incremental_revenue": incremental_revenue,
            "expected_cost": cost,
            "roi": _roi(incremental_revenue, cost),
            "budget": rule.budget if rule.budget is not None else float("nan"),
        })
    return pd.DataFrame(rows, columns=[
        "offer_id", "recipients", "expected_revenue", "incremental_revenue", "expected_cost", "roi", "budget",
    ])


def _estimate(assignments: pd.DataFrame, rules: OfferRules) -> CampaignEstimate:
    incremental_revenue = float((assignments["expected_revenue"] - assignments["propensity"] * assignments["avg_order_value"]).sum())
    cost = float(assignments["expected_cost"].sum()) + len(assignments) * rules.cost_per_message
    return CampaignEstimate(
        recipients=len(assignments),
        with_offer=int((assignments["offer_id"] != "").sum()),
        expected_revenue=float(assignments["expected_revenue"].sum()),
        incremental_revenue=incremental_revenue,
        expected_cost=cost,
        roi=_roi(incremental_revenue, cost),
    )
