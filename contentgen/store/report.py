"""The campaign report: rates with confidence intervals, revenue, ROI and A/B tests (pure logic).

``build_report`` takes the campaign's messages and outcome events as frames (``Store.messages``
and ``Store.outcomes``) and returns tables plus matplotlib figures; writing files is the
caller's job, so the CLI and the web UI show the same report.

Definitions (per recipient, so variants compare on the same base):
    sent        messages stored for the campaign
    CTR         messages with at least one click / sent
    CVR         messages with at least one conversion / sent
    revenue     sum of revenue on "converted" and "revenue" events
    cost        sent × cost per message + the discount given on converted orders with an offer
    ROI         (revenue − cost) / cost
A click implies an open and a delivery (open pixels are often blocked), so the funnel is monotone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import math

import numpy as np
import pandas as pd

from contentgen.errors import DataError
from contentgen.offers.choice import discount_cost_from_paid
from contentgen.store.stats import chi_square_p, two_proportion_test, welch_p, wilson_interval

METRICS: dict[str, str] = {"ctr": "clicked", "cvr": "converted"}


@dataclass(frozen=True)
class CampaignReport:
    """Tables and figures for one campaign. Figures are ``matplotlib.figure.Figure`` objects."""

    campaign_id: str
    by_variant: pd.DataFrame
    by_segment: pd.DataFrame
    by_variant_segment: pd.DataFrame
    ab_tests: pd.DataFrame  # each variant against the control, per metric
    totals: dict[str, float]
    control: str
    confidence: float
    alpha: float
    omnibus_p: dict[str, float] = field(default_factory=dict)  # chi-square across all variants, per metric
    figures: dict[str, object] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        """A few sentences a marketer can read without the tables."""
        lines = [
            f"campaign {self.campaign_id}: {int(self.totals['sent'])} sent, CTR {self.totals['ctr']:.2%}, "
            f"CVR {self.totals['cvr']:.2%}, revenue {self.totals['revenue']:.2f}, ROI {_fmt_roi(self.totals['roi'])}"
        ]
        for row in self.ab_tests.itertuples(index=False):
            verdict = "significant" if row.significant else "not significant"
            if row.metric == "revenue_per_recipient":
                label, values = "revenue per recipient", f"{row.rate_variant:.2f} vs {row.rate_control:.2f}"
            else:
                label, values = row.metric.upper(), f"{row.rate_variant:.2%} vs {row.rate_control:.2%}"
            lines.append(f"{label} {row.variant} vs {row.control}: {values} "
                         f"(lift {_fmt_pct(row.lift)}, p={row.p_value:.3g}, {verdict} at {self.alpha:g})")
        return lines


def per_message_outcomes(messages: pd.DataFrame, outcomes: pd.DataFrame, cost_per_message: float = 0.0) -> pd.DataFrame:
    """One row per message: funnel flags, revenue and cost."""
    for column in ("message_id", "variant", "segment"):
        if column not in messages.columns:
            raise DataError(f"messages frame lacks column {column!r} (use Store.messages)", column=column)
    frame = messages[["message_id", "variant", "segment"]].copy()
    frame["variant"] = frame["variant"].fillna("").astype(str).replace("", "(none)")
    frame["segment"] = frame["segment"].fillna("").astype(str).replace("", "(none)")
    events = outcomes[outcomes["message_id"].isin(frame["message_id"])]
    flags = pd.crosstab(events["message_id"], events["event_type"]).gt(0)
    for name in ("sent", "delivered", "opened", "clicked", "converted", "unsubscribed"):
        column = flags[name] if name in flags.columns else pd.Series(False, index=flags.index)
        frame[name] = frame["message_id"].isin(column.index[column.to_numpy(bool)])
    frame["opened"] |= frame["clicked"]
    frame["delivered"] |= frame["opened"]
    money = events[events["event_type"].isin(["converted", "revenue"])].groupby("message_id")["revenue"].sum()
    frame["revenue"] = frame["message_id"].map(money).fillna(0.0).astype(float)
    frame["cost"] = float(cost_per_message)
    if {"offer_kind", "offer_value"} <= set(messages.columns):
        kinds = messages["offer_kind"].fillna("").astype(str).to_numpy()
        values = messages["offer_value"].fillna(0.0).astype(float).to_numpy()
        redeemed = frame["converted"].to_numpy()
        discount = np.zeros(len(frame))
        for kind in set(kinds) - {""}:
            mask = (kinds == kind) & redeemed
            discount[mask] = discount_cost_from_paid(kind, values[mask], frame["revenue"].to_numpy()[mask])
        frame["cost"] += discount
    return frame


def aggregate(per_message: pd.DataFrame, keys: list[str], confidence: float = 0.95) -> pd.DataFrame:
    """Counts, rates with Wilson intervals, revenue and ROI per group of ``keys``."""
    grouped = per_message.groupby(keys, sort=True) if keys else per_message.groupby(lambda _: "all")
    table = grouped.agg(
        sent=("message_id", "size"), delivered=("delivered", "sum"), opened=("opened", "sum"),
        clicked=("clicked", "sum"), converted=("converted", "sum"), unsubscribed=("unsubscribed", "sum"),
        revenue=("revenue", "sum"), cost=("cost", "sum"),
    ).reset_index()
    for metric, event in METRICS.items():
        table[metric] = table[event] / table["sent"]
        bounds = [wilson_interval(int(s), int(n), confidence) for s, n in zip(table[event], table["sent"])]
        table[f"{metric}_low"] = [b[0] for b in bounds]
        table[f"{metric}_high"] = [b[1] for b in bounds]
    table["open_rate"] = table["opened"] / table["sent"]
    table["revenue_per_recipient"] = table["revenue"] / table["sent"]
    table["roi"] = [(r - c) / c if c > 0 else float("nan") for r, c in zip(table["revenue"], table["cost"])]
    return table


def ab_tests(per_message: pd.DataFrame, control: str, alpha: float = 0.05) -> pd.DataFrame:
    """Each variant against ``control``: z-test on CTR and CVR, Welch t-test on revenue per recipient."""
    rows = []
    base = per_message[per_message["variant"] == control]
    for variant in sorted(set(per_message["variant"]) - {control}):
        other = per_message[per_message["variant"] == variant]
        for metric, event in METRICS.items():
            test = two_proportion_test(int(base[event].sum()), len(base), int(other[event].sum()), len(other))
            rows.append({"metric": metric, "control": control, "variant": variant, "rate_control": test.rate_a,
                         "rate_variant": test.rate_b, "lift": test.lift, "z": test.z, "p_value": test.p_value,
                         "significant": bool(test.p_value < alpha) if not math.isnan(test.p_value) else False})
        p = welch_p(base["revenue"].to_numpy(), other["revenue"].to_numpy())
        rate_a, rate_b = base["revenue"].mean(), other["revenue"].mean()
        rows.append({"metric": "revenue_per_recipient", "control": control, "variant": variant, "rate_control": rate_a,
                     "rate_variant": rate_b, "lift": (rate_b - rate_a) / rate_a if rate_a > 0 else float("nan"),
                     "z": float("nan"), "p_value": p, "significant": bool(p < alpha) if not math.isnan(p) else False})
    return pd.DataFrame(rows, columns=["metric", "control", "variant", "rate_control", "rate_variant", "lift", "z",
                                       "p_value", "significant"])


def build_report(campaign_id: str, messages: pd.DataFrame, outcomes: pd.DataFrame, *, cost_per_message: float = 0.0,
                 control: str | None = None, confidence: float = 0.95, alpha: float = 0.05,
                 with_figures: bool = True) -> CampaignReport:
    """The full report of one campaign. ``control`` defaults to the first variant by name."""
    if messages.empty:
        raise DataError(f"campaign {campaign_id!r} has no messages; store the sent messages before reporting")
    per_message = per_message_outcomes(messages, outcomes, cost_per_message)
    variants = sorted(per_message["variant"].unique())
    if control is None:
        control = variants[0]
    elif control not in variants:
        raise DataError(f"control variant {control!r} is not in campaign {campaign_id!r}; variants: {variants}")
    by_variant = aggregate(per_message, ["variant"], confidence)
    totals_row = aggregate(per_message, [], confidence).iloc[0]
    totals = {k: float(totals_row[k]) for k in ("sent", "delivered", "opened", "clicked", "converted", "unsubscribed",
                                               "revenue", "cost", "ctr", "cvr", "roi", "revenue_per_recipient")}
    by_variant_table = by_variant.set_index("variant")
    omnibus = {metric: chi_square_p(by_variant_table[event].to_numpy(), by_variant_table["sent"].to_numpy())
               for metric, event in METRICS.items()} if len(variants) > 1 else {}
    report = CampaignReport(
        campaign_id=campaign_id,
        by_variant=by_variant,
        by_segment=aggregate(per_message, ["segment"], confidence),
        by_variant_segment=aggregate(per_message, ["variant", "segment"], confidence),
        ab_tests=ab_tests(per_message, control, alpha),
        totals=totals, control=control, confidence=confidence, alpha=alpha, omnibus_p=omnibus,
    )
    if with_figures:
        from contentgen.store.charts import report_figures

        report = replace(report, figures=report_figures(report))
    return report


def _fmt_pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:+.0%}"


def _fmt_roi(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"
