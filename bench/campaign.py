"""A 10,000-recipient email campaign on the real shop with the default model, beside per-recipient
generation timed on a sample and extrapolated, in the same run; plus one batching lever (the
shared system prefix kept in llama.cpp's KV cache across cohorts, vs a cleared cache per prompt).

The grounding audit is independent of the guardrails: every price in a written message must be a
catalog price of the row's own products (or the offer's amounts), every catalog name mentioned
must be one of the row's products, the first name must be the audience file's, and the footer
must carry the postal address and the ESP's unsubscribe tag.

    HF_HUB_OFFLINE=1 PYTHONPATH=. nice -n 10 python bench/campaign.py [--n 10000] [--sample 4] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import re
import statistics
import tempfile
import time

import pandas as pd

ADDRESS = "The Gift Shop, 1 High Street, London N1 1AA"


def audit(messages: pd.DataFrame, audience: pd.DataFrame, catalog: pd.DataFrame) -> dict[str, int]:
    """Problems found per kind, checked against the catalog and the audience file only."""
    from contentgen.data.text import display_title

    price_of = dict(zip(catalog["product_id"].astype(str), catalog["price"].astype(float).round(2)))
    names = sorted({display_title(t) for t in catalog["title"].astype(str) if len(t) >= 10}, key=len, reverse=True)
    # a duplicate address is written once, for its first row: that row's first name is the one expected
    keys = audience["email"].str.lower()
    kept = audience[~keys.duplicated()]
    first_names = dict(zip(kept["email"].str.lower(), kept["first_name"]))
    problems = {"price not in catalog": 0, "foreign product named": 0, "wrong first name": 0, "footer missing": 0}
    for row in messages.to_dict("records"):  # not itertuples: "Email Address" is not an identifier
        body = row["body_text"]
        own_ids = row["product_ids"].split("|")
        own_names = row["product_names"].split("|")
        allowed = {price_of.get(p) for p in own_ids} | {float(x) for x in re.findall(r"£(\d+(?:\.\d+)?)", row.get("offer", "") or "")}
        for amount in re.findall(r"£(\d[\d,]*(?:\.\d+)?)", body.replace(row.get("offer", "") or "\x00", " ")):
            if round(float(amount.replace(",", "")), 2) not in allowed:
                problems["price not in catalog"] += 1
        text = f"{row.get('subject', '')}\n{body}".lower()
        for own in own_names:
            text = text.replace(own.lower(), " ")
        if any(name.lower() in text for name in names):
            problems["foreign product named"] += 1
        expected = first_names.get(str(row["Email Address"]).lower(), "")
        if expected and f"Hi {expected}," not in body:
            problems["wrong first name"] += 1
        if "1 High Street" not in body or "*|UNSUB|*" not in body:
            problems["footer missing"] += 1
    return problems


class NoPrefixCache:
    """The same generator with llama.cpp's KV cache cleared before every prompt (the lever switched off)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.batches = inner, inner.name + "+no-prefix-cache", inner.batches

    def generate(self, prompts, settings, n: int = 1):
        out = []
        for prompt in prompts:
            self.inner._llama.reset()
            out += self.inner.generate([prompt], settings, n)
        return out


def time_prompts(generator, prompts, schema) -> float:
    from contentgen.generate.base import SamplingSettings

    settings = SamplingSettings(max_new_tokens=96, temperature=0.8, top_p=0.95, seed=1, json_schema=schema)
    started = time.perf_counter()
    for prompt in prompts:
        generator.generate([prompt], settings, n=1)
    return (time.perf_counter() - started) / len(prompts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=4, help="recipients written one by one for the baseline")
    parser.add_argument("--lever-prompts", type=int, default=6)
    parser.add_argument("--candidates", type=int, default=None, help="samples per cohort per round (default: CampaignSettings')")
    parser.add_argument("--skip-baseline", action="store_true", help="only the campaign (no per-recipient sample, no lever)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=None, help="the real shop (default: ../shared/data/online-retail)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="contentgen-campaign-"))
    out.mkdir(parents=True, exist_ok=True)

    from contentgen.campaign import CampaignSettings, run_campaign, synth_audience
    from contentgen.cli.common import project_from_options
    from contentgen.service import ContentService

    started = time.perf_counter()
    data_dir = args.data_dir or next((p for p in (Path(__file__).resolve().parents[2] / "shared/data/online-retail",
                                                  Path("/work/shared/data/online-retail")) if p.is_dir()), None)
    project = project_from_options(None, str(data_dir))
    service = ContentService.from_project(project)
    audience = synth_audience(service.shop.shoppers["shopper_id"], args.n, seed=0)
    audience.to_csv(out / "list.csv", index=False)
    settings = CampaignSettings(name=f"bench {args.n}", out_dir=out / "campaign", store=str(out / "campaigns.db"),
                                esp="mailchimp", postal_address="1 High Street, London N1 1AA", variants=2,
                                **({"candidates": args.candidates} if args.candidates else {}))
    result = run_campaign(service, out / "list.csv", settings)
    campaign_seconds = time.perf_counter() - started  # load to written file
    messages = pd.read_csv(result.files["messages.csv"], dtype=str, keep_default_na=False)
    problems = audit(messages, audience, service.shop.catalog)
    for line in result.summary_lines():
        print(line)
    print(f"load to file: {campaign_seconds:.0f}s; stages: " + ", ".join(f"{k} {v:.0f}s" for k, v in result.timings.items()))
    print(f"audit of {len(messages):,} messages against the catalog and the list: {problems}")

    if args.skip_baseline:
        (out / "bench_summary.json").write_text(json.dumps({**result.summary(), "load_to_file_seconds": campaign_seconds,
                                                            "audit": problems}, indent=2, default=str), encoding="utf-8")
        return
    # -- baseline: per-recipient generation (the Writer on each recipient's own brief) --------------
    sample = messages["shopper_id"].drop_duplicates().head(args.sample).tolist()
    writer = service.writer
    per = []
    for shopper in sample:
        brief = service.brief(shopper) if shopper in service.profiles else None
        if brief is None:
            continue
        t = time.perf_counter()
        writer.write(brief)
        per.append(time.perf_counter() - t)
    per_recipient = statistics.mean(per) if per else float("nan")
    print(f"per-recipient baseline: {per_recipient:.1f}s per recipient over {len(per)} shoppers "
          f"-> {per_recipient * result.eligible / 3600:.1f} h for {result.eligible:,} recipients")

    # -- lever: shared system prefix in the KV cache across cohorts ---------------------------------
    lever = {}
    generator = writer.generator
    if hasattr(generator, "_llama"):
        from contentgen.campaign.runner import COHORT_TEMPLATES_DIR
        from contentgen.generate.base import ChatPrompt
        from contentgen.generate.prompts import TemplateLibrary

        library = TemplateLibrary.load(COHORT_TEMPLATES_DIR)
        template = library.get("email_en")
        from contentgen.campaign.cohorts import bucket_situation
        from dataclasses import replace

        base = service.brief(sample[0])
        themes = ["candles & lights", "bags", "kitchen & tableware", "christmas", "stationery & wrap", "home decor",
                  "toys & kids", "party & gifts"][: args.lever_prompts]
        buckets = ["active/repeat", "at_risk/repeat", "churned/once", "loyal/repeat"]
        prompts = []
        for i, theme in enumerate(themes):
            brief = replace(base, situation=bucket_situation(buckets[i % len(buckets)]), interests=(theme,))
            rendered = library.render_prompt(template, brief)
            prompts.append(ChatPrompt(rendered.system, rendered.user))
        schema = template.json_schema()
        lever["shared prefix (default)"] = time_prompts(generator, prompts, schema)
        lever["cache cleared per prompt"] = time_prompts(NoPrefixCache(generator), prompts, schema)
        for name, seconds in lever.items():
            print(f"lever: {name}: {seconds:.2f}s per cohort prompt ({len(prompts)} prompts)")
    summary = {**result.summary(), "load_to_file_seconds": campaign_seconds, "audit": problems,
               "per_recipient_seconds": per_recipient, "per_recipient_sample": len(per), "lever": lever}
    (out / "bench_summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    print(f"wrote {out / 'bench_summary.json'}")


if __name__ == "__main__":
    main()
