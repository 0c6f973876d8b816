"""Re-score one channel for some shoppers of a saved eval-copy run, to compare two commits.

A guardrail change is measured on the same shoppers, host and run: ``prepare`` copies the saved
scores without one channel's records for the chosen shoppers (a range of the seeded order, plus
those whose model-written message matches a pattern), once per commit to compare; eval-copy,
run from each commit on its copy, writes only those briefs again (it resumes everything else);
``compare`` prints the re-written records of each copy side by side.

    PYTHONPATH=. python bench/eval_redo.py prepare bench/eval-copy/llamacpp-qwen1.5b.jsonl \\
        --channel email --range 185-200 --matching '\\b(shoppers|customers) (who|that|like you)\\b' \\
        --out /tmp/redo_old.jsonl /tmp/redo_new.jsonl
    # from each commit's checkout, one after the other:
    contentgen eval-copy --backend llamacpp --shoppers 200 --variants 2 --channels email --samples 0 --out /tmp/redo_old.jsonl
    PYTHONPATH=. python bench/eval_redo.py compare /tmp/redo_old.jsonl /tmp/redo_new.jsonl \\
        --matching '\\b(shoppers|customers) (who|that|like you)\\b'
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path


def _read(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _targets_file(copy: str | Path) -> Path:
    return Path(f"{copy}.redo.json")


def prepare(scores: str, channel: str, shopper_range: str, matching: str | None, outs: list[str]) -> None:
    records = _read(scores)
    order = list(dict.fromkeys(r["shopper_id"] for r in records))  # the seeded shopper order
    first, last = (int(n) for n in shopper_range.split("-"))
    targets = set(order[first - 1 : last])
    if matching:
        pattern = re.compile(matching)
        targets |= {r["shopper_id"] for r in records
                    if r["channel"] == channel and not r["fallback"] and pattern.search(r["creative"].lower())}
    kept = [r for r in records if not (r["channel"] == channel and r["shopper_id"] in targets)]
    for out in outs:
        Path(out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
        _targets_file(out).write_text(json.dumps({"channel": channel, "kept": len(kept), "shoppers": sorted(targets)}))
    print(f"{len(targets)} shoppers ({shopper_range} and {len(targets) - (last - first + 1)} more matching); "
          f"{len(records) - len(kept)} {channel} records left out of {len(outs)} copies")


def compare(copies: list[str], matching: str | None) -> None:
    from contentgen.generate.evaluation import MessageScore, copy_metrics

    print("| copy | briefs | messages | factual errors | length ok | model lines personal | distinct-2 | fallback "
          "| model-written matching | s/message median |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for copy in copies:
        meta = json.loads(_targets_file(copy).read_text())
        rewritten = [MessageScore(**r) for r in _read(copy)[meta["kept"]:]]
        missing = set(meta["shoppers"]) - {s.shopper_id for s in rewritten}
        if missing:
            raise SystemExit(f"{copy}: {len(missing)} shoppers not re-written yet; run eval-copy on it first")
        m = copy_metrics(rewritten)
        hits = (sum(1 for s in rewritten if not s.fallback and re.search(matching, s.creative.lower()))
                if matching else "-")
        print(f"| {copy} | {m.briefs} | {m.messages} | {m.factual_error_rate:.1%} | {m.length_compliance:.1%} | "
              f"{m.creative_personalization_rate:.1%} | {m.distinct_2:.2f} | {m.fallback_rate:.1%} | {hits} | "
              f"{statistics.median(s.seconds for s in rewritten):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare", help="copy a saved run without one channel's records for some shoppers")
    p.add_argument("scores", help="an eval-copy --out JSONL file (left as it is)")
    p.add_argument("--channel", required=True)
    p.add_argument("--range", default="185-200", help="shoppers of the seeded order to re-write, e.g. 185-200")
    p.add_argument("--matching", help="also re-write shoppers whose model-written message matches this regex (lower case)")
    p.add_argument("--out", nargs="+", required=True, help="one copy per commit to compare")
    c = commands.add_parser("compare", help="the re-written records of each copy, side by side")
    c.add_argument("copies", nargs="+")
    c.add_argument("--matching", help="count model-written messages that match this regex")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.scores, args.channel, args.range, args.matching, args.out)
    else:
        compare(args.copies, args.matching)


if __name__ == "__main__":
    main()
