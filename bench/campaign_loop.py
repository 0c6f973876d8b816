"""The whole loop once, on the real shop with synthetic responders: plan offers, store a campaign
with two copy variants, simulate the email service's outcome export, import it (twice: the
second adds nothing), report, and split the next send by Thompson sampling.

Responders are synthetic (the shop never sent email): variant A has a true CTR of 3.0%, B of
4.5%; a clicker converts with probability 25%, paying their average order value less the offer.

    PYTHONPATH=. python bench/campaign_loop.py [OUT_DIR]
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from contentgen.data import load_real_shop
from contentgen.offers import load_offer_rules, plan_shop_offers
from contentgen.store import campaign_report, next_split, open_store
from contentgen.store.report_html import figure_png, render_html

TRUE_CTR = {"A": 0.030, "B": 0.045}
CONVERT_GIVEN_CLICK = 0.25


def synthetic_export(messages: pd.DataFrame, plan: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    aov = plan.set_index("shopper_id")["avg_order_value"]
    rows = []
    sent_at = pd.Timestamp("2011-11-01 09:00")
    for m in messages.itertuples(index=False):
        rows.append((m.message_id, "sent", sent_at, ""))
        if rng.random() > 0.97:
            continue
        rows.append((m.message_id, "delivered", sent_at + pd.Timedelta(minutes=1), ""))
        opened = rng.random() < 0.25
        if opened:
            rows.append((m.message_id, "open", sent_at + pd.Timedelta(hours=2), ""))
        if opened and rng.random() < TRUE_CTR[m.variant] / 0.25:
            rows.append((m.message_id, "click", sent_at + pd.Timedelta(hours=2, minutes=1), ""))
            if rng.random() < CONVERT_GIVEN_CLICK:
                paid = float(aov[m.shopper_id]) * (1 - (m.offer_value / 100 if m.offer_kind == "percent_off" else 0))
                rows.append((m.message_id, "conversion", sent_at + pd.Timedelta(days=1), f"{paid:.2f}"))
        if rng.random() < 0.003:
            rows.append((m.message_id, "unsubscribe", sent_at + pd.Timedelta(hours=3), ""))
    return pd.DataFrame(rows, columns=["message_id", "event", "timestamp", "revenue"])


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="contentgen-loop-"))
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    shop = load_real_shop()
    rules = load_offer_rules()
    plan = plan_shop_offers(shop, rules, date(2011, 11, 1))
    print(f"plan: {plan.estimate.with_offer:,} of {plan.estimate.recipients:,} shoppers get an offer; expected ROI "
          f"{plan.estimate.roi:.2f} ({time.perf_counter() - t:.1f}s)")

    table = plan.assignments.copy()
    rules_by_id = {r.id: r for r in rules.offers}
    table["message_id"] = [f"nov-{s}" for s in table["shopper_id"]]
    table["variant"] = np.where(np.random.default_rng(1).random(len(table)) < 0.5, "A", "B")
    table["offer_kind"] = table["offer_id"].map(lambda o: rules_by_id[o].kind if o else "")
    table["offer_value"] = table["offer_id"].map(lambda o: rules_by_id[o].value if o else 0.0)

    db = out / "campaigns.db"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    with open_store(db) as store:
        store.create_campaign("nov-2011", name="November 2011", cost_per_message=rules.cost_per_message)
        store.add_variant("nov-2011", "A", subject="New in for the season")
        store.add_variant("nov-2011", "B", subject="Picked for you: your favourites are back")
        store.add_messages("nov-2011", table)
        export = out / "outcomes.csv"
        synthetic_export(table, plan.assignments).to_csv(export, index=False)
        first = store.import_outcomes(export)
        second = store.import_outcomes(export)
        print(f"import: {first.rows_added:,} events added; again: {second.rows_added} added, "
              f"{second.duplicates:,} already stored ({time.perf_counter() - t:.1f}s)")
        t = time.perf_counter()
        report = campaign_report(store, "nov-2011")
        split = next_split(store, "nov-2011", 5000)
    print(f"report built in {time.perf_counter() - t:.1f}s")
    for line in report.summary_lines():
        print(line)
    columns = ["variant", "sent", "delivered", "opened", "clicked", "converted", "ctr", "ctr_low", "ctr_high",
               "cvr", "revenue", "cost", "roi"]
    print(report.by_variant[columns].to_string(index=False, float_format="{:.4f}".format))
    print(report.by_segment[["segment", "sent", "clicked", "ctr", "cvr", "revenue", "roi"]]
          .to_string(index=False, float_format="{:.4f}".format))
    print("next send of 5,000:", split.messages.to_dict(), "shares", split.shares.round(3).to_dict())
    for name, figure in report.figures.items():
        (out / f"{name}.png").write_bytes(figure_png(figure))
    (out / "report.html").write_text(render_html(report), encoding="utf-8")
    print(f"wrote {out / 'report.html'}")


if __name__ == "__main__":
    main()
