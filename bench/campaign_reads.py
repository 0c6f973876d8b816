"""A list campaign's messages for blind readers: one recipient's merged message per cohort and variant.

Runs an email (or push, SMS) campaign on the real shop for a synthetic list (``synth_audience``) and
writes, for each cohort's variant, one recipient's final message as a record that
``guardrails_labels_read.py show`` prints and ``merge`` labels: the products, prices, offer, segment
and first name the recipient's message was merged with. A cohort's line is the same for every member,
so one member per variant is read; the fallback counts as what it is. Run it at two commits (a git
worktree for the older one, with this file's path) on the same list and seed to compare template
versions on the same cohorts:

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/campaign_reads.py --n 200 --cohort segment --out /tmp/camp-after
    git worktree add /tmp/base HEAD~1 && cd /tmp/base && HF_HUB_OFFLINE=1 PYTHONPATH=. python $OLDPWD/bench/campaign_reads.py \
        --n 200 --cohort segment --out /tmp/camp-before
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import random
import re
import subprocess
import time

import pandas as pd


def _expiry(body: str) -> str:
    """The offer's end date as the merged message states it (the messages file keeps no column for it),
    in English ("until 2011-12-24") or Chinese ("有效期至 2011-12-24"; before 2026-12-05 the Chinese date
    was missed, so readers of bench/campaign-reads-zh-4 saw an offer with no end date)."""
    found = re.search(r"(?:until|有效期至)\s*(\d{4}-\d{2}-\d{2})", body)
    return found.group(1) if found else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="recipients on the synthetic list")
    parser.add_argument("--channel", default="email", choices=["email", "push", "sms"])
    parser.add_argument("--cohort", default="segment", choices=["auto", "segment", "interest"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--language", default="en", help="the list's locale for every recipient (en, zh)")
    parser.add_argument("--library", default="project", choices=["project", "none", "demo"],
                        help="the approved-copy examples the cohort prompts show: the project's (the demo project: the "
                             "seed library), none (as every campaign before 2026-12-06: the campaign Writer took no "
                             "examples), or the demo shop's seed library")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/online-retail")
    args = parser.parse_args()

    from contentgen.campaign import CampaignSettings, run_campaign, synth_audience
    from contentgen.cli.common import project_from_options
    from contentgen.service import ContentService

    args.out.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    project = project_from_options(None, str(args.data_dir))
    if args.library != "project":
        from contentgen.project import ExemplarsTable

        project = project.model_copy(update={"exemplars": ExemplarsTable(seed="demo" if args.library == "demo" else "")})
    service = ContentService.from_project(project)
    shoppers = service.shop.shoppers["shopper_id"].astype(str)
    # every row in the asked language (the synthetic list is otherwise en-GB)
    locales = None if args.language == "en" else {s: args.language for s in shoppers}
    audience = synth_audience(shoppers, args.n, seed=args.seed, locales=locales)
    audience.to_csv(args.out / "list.csv", index=False)
    started = time.perf_counter()
    settings = CampaignSettings(name=f"reads {args.channel} {args.n}", out_dir=args.out / "campaign", store=str(args.out / "campaigns.db"),
                                channel=args.channel, cohort=args.cohort, variants=2, seed=args.seed, language=args.language,
                                postal_address="1 High Street, London N1 1AA", esp="mailchimp")
    result = run_campaign(service, args.out / "list.csv", settings)
    seconds = time.perf_counter() - started
    messages = pd.read_csv(result.files["messages.csv"], dtype=str, keep_default_na=False)
    segments = service.profiles.frame["segment"].astype(str) if "segment" in service.profiles.frame else pd.Series(dtype=str)
    rng = random.Random(args.seed)
    records = []
    for (cohort, variant), group in sorted(messages.groupby(["cohort", "variant"])):
        row = group.iloc[rng.randrange(len(group))]
        names, prices = row["product_names"].split("|"), row["product_prices"].split("|")
        shopper = str(row["shopper_id"])
        fields = {k: row[k] for k in ("subject", "preheader", "title", "body_text") if row.get(k)}
        text = "\n\n".join(f"{k}: {v}" if k != "body_text" else v for k, v in fields.items())
        records.append({
            "id": "", "channel": args.channel, "language": row.get("language", "en"), "fallback": row["fallback"] == "True",
            "template": f"cohort {args.channel}", "text": text, "fields": fields, "creative": {},
            "cohort": cohort, "variant": variant, "recipients": len(group),
            "brief": {"channel": args.channel, "language": row.get("language", "en"), "segment": segments.get(shopper, ""),
                      "first_name": row.get("first_name") or row.get("First Name", ""), "interests": [],
                      "send_date": service.send_date.isoformat(),
                      "products": [{"name": n, "price": f"£{float(p):.2f}"} for n, p in zip(names, prices)],
                      "offer": ({"kind": "", "value": "", "min_order_value": "", "description": row["offer"],
                                 "code": row["offer_code"], "expires": _expiry(fields.get("body_text", ""))} if row["offer"] else None)},
        })
    rng.shuffle(records)
    for k, r in enumerate(records):
        r["id"] = f"C{k:03d}"
    header = {"header": True, "what": "campaign cohort messages for blind reading (bench/campaign_reads.py)", "commit": commit,
              "n": args.n, "channel": args.channel, "cohort": args.cohort, "seed": args.seed, "library": args.library, "cohorts": result.cohorts,
              "ready": result.ready, "fallbacks": result.fallbacks, "errors": result.errors, "seconds": round(seconds),
              "data": "UCI Online Retail (CC BY 4.0): product names and prices; synthetic list"}
    path = args.out / "records.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [header, *records]) + "\n", encoding="utf-8")
    print(f"{result.cohorts} cohorts, {result.ready} ready ({result.fallbacks} fallbacks, {result.errors} errors) in {seconds:.0f}s; "
          f"{len(records)} messages to read in {path}")


if __name__ == "__main__":
    main()
