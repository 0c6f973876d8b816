"""How the Chinese shopper situation's recency words change the copy the checks let through, on the same
briefs and seeds: a paired comparison for shoppers who bought in the last two weeks.

The prompt tells the model the shopper's situation ("经常下单，最近两周刚买过。": orders often, bought in the last
two weeks) and asks it not to repeat it; the model repeats it anyway ("感谢您最近两周的订单"), and readers
send no copy that reads a shopper's history back (the ``zh.voice.history.*`` rules). Over the read Chinese
draws 68-79, 18 of the 21 briefs left short of passing candidates were written for this one situation. This
draws ``--samples`` seeds per brief for each wording of the recency clause, with everything else the shipped
Writer's (exemplars, steering, checks), and counts per wording: candidates parsed and passing, briefs left
short of ``--variants`` distinct passing candidates (those the fallback tops up), and candidates refused
for reading the history back. Every candidate is saved (``--out``) with its wording, for reading.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/situation_wording.py --shoppers 10 --channels push ad --out /tmp/wording
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
import json
from pathlib import Path
import time

# the recency clause for a shopper who bought in the last two weeks: "" leaves recency out
WORDINGS = {"two weeks (before 2026-12-07)": "最近两周刚买过", "recent months": "最近几个月买过", "none": ""}


def situation_with(situation: str, clause: str) -> str:
    """``situation`` ("经常下单，最近两周刚买过。") with its recency clause (the part after the first comma) replaced."""
    head = situation.rstrip("。").split("，", 1)[0]
    return f"{head}，{clause}。" if clause else f"{head}。"


def main() -> None:
    from contentgen.cli.common import project_from_options
    from contentgen.generate.guardrails import failed
    from contentgen.service import ContentService
    from copy_ranking import sample_candidates  # bench/ is on the path of a script run from it

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoppers", type=int, default=10, help="shoppers who bought in the last two weeks")
    parser.add_argument("--channels", nargs="+", default=["push", "ad"])
    parser.add_argument("--samples", type=int, default=12, help="seeds per brief and wording (the Writer's two rounds of 6)")
    parser.add_argument("--variants", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="which recent shoppers")
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/online-retail")
    parser.add_argument("--out", type=Path, default=None, help="a folder for every candidate (candidates.jsonl)")
    args = parser.parse_args()

    service = ContentService.from_project(project_from_options(None, str(args.data_dir)))
    frame = service.profiles.frame
    recent = frame[(frame["recency_days"] < 14) & (frame["n_orders"] >= 1)].index.astype(str).to_series()
    chosen = recent.sample(frac=1.0, random_state=args.seed).tolist()[: args.shoppers]
    writer = service.writer
    tally = {w: {"briefs": 0, "parsed": 0, "passed": 0, "short": 0, "history": 0} for w in WORDINGS}
    rows, started = [], time.perf_counter()
    for n, shopper in enumerate(chosen):
        for channel in args.channels:
            shipped = service.brief(shopper, channel, "zh")
            for wording, clause in WORDINGS.items():
                brief = replace(shipped, situation=situation_with(shipped.situation, clause))
                t, passing = tally[wording], set()
                t["briefs"] += 1
                for k, _, (creative, fields, checks), _ in sample_candidates(writer, writer.templates.for_brief(brief), brief, args.samples):
                    refused = [c.name for c in failed(checks)]
                    t["parsed"] += 1
                    t["passed"] += not refused
                    t["history"] += any(name.startswith("voice.history") for name in refused)
                    if not refused:
                        passing.add(json.dumps(creative, sort_keys=True, ensure_ascii=False))
                    rows.append({"shopper": shopper, "channel": channel, "wording": wording, "situation": brief.situation,
                                 "draw": k, "creative": creative, "fields": fields, "failed": refused, "brief": asdict(brief)})
                t["short"] += len(passing) < args.variants
        print(f"{n + 1}/{len(chosen)} shoppers, {time.perf_counter() - started:.0f}s", flush=True)
    print(f"\n{len(chosen)} shoppers who bought in the last two weeks x {', '.join(args.channels)}; {args.samples} seeds a brief")
    print("| recency clause | briefs | parsed | passed | refused for history | briefs short of "
          f"{args.variants} passing |")
    print("|---|---|---|---|---|---|")
    for wording, t in tally.items():
        print(f"| {wording}: {WORDINGS[wording] or '(none)'} | {t['briefs']} | {t['parsed']} | {t['passed']} | "
              f"{t['history']} | {t['short']} |")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        with open(args.out / "candidates.jsonl", "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
