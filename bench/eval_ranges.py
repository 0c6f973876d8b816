"""eval-copy's measures per range of shoppers, from a saved scores file.

The shoppers of a saved eval-copy run were scored over several sessions, by different commits;
this prints the same measures as eval-copy for each range of the seeded shopper order, so a
change between ranges can be read off one file.

    PYTHONPATH=. python bench/eval_ranges.py bench/eval-copy/llamacpp-qwen1.5b.jsonl --cuts 48,80
"""

from __future__ import annotations

import argparse
import statistics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scores", help="an eval-copy --out JSONL file")
    parser.add_argument("--cuts", default="48,80", help="range ends in the shopper order, e.g. 48,80 = 1-48 and 49-80")
    args = parser.parse_args()

    from contentgen.generate.eval_copy import read_scores
    from contentgen.generate.evaluation import copy_metrics

    rows = read_scores(args.scores).scores  # the header record (commits, settings) is skipped
    # the file is written in the seeded shopper order, chunk by chunk
    order = list(dict.fromkeys(r.shopper_id for r in rows))
    cuts = [int(c) for c in args.cuts.split(",")]
    ranges = [(f"{start + 1}-{end}", set(order[start:end])) for start, end in zip([0] + cuts[:-1], cuts)]
    print("| channel | shoppers | briefs | messages | factual errors | length ok | model lines personal "
          "| distinct-2 | fallback | s/message mean | median |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for channel in dict.fromkeys(r.channel for r in rows):
        for label, shoppers in ranges:
            mine = [r for r in rows if r.channel == channel and r.shopper_id in shoppers]
            if not mine:
                continue
            m = copy_metrics(mine)
            print(f"| {channel} | {label} | {m.briefs} | {m.messages} | {m.factual_error_rate:.1%} | {m.length_compliance:.1%} | "
                  f"{m.creative_personalization_rate:.1%} | {m.distinct_2:.2f} | {m.fallback_rate:.1%} | "
                  f"{m.seconds_per_message:.1f} | {statistics.median(r.seconds for r in mine):.1f} |")


if __name__ == "__main__":
    main()
