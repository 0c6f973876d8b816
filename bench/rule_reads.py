"""How often readers would send the copy a rule refuses: the count behind a rule's comment.

For each rule id given, every model-written message read blind (``tests/data/copy_labels.jsonl``
and ``bench/copy-ranking*/records.jsonl``, or the files given with ``--reads``) on which the rule
fires when today's guardrails check it as the Writer does (``labelled.guardrail_runner``: each
rule's scope text, its product conditions on the products the message shows), and how many of
those the reader would send as they are. ``--until K`` splits the count into the draws up to K
(what the rule was written from) and the later ones (out of sample):

    PYTHONPATH=. python bench/rule_reads.py type.goods type.decor --until 40 --show 3

A rule worth its place fires on copy readers refuse: the count of sendable messages it fires on is
what it would cost.
"""

from __future__ import annotations

import argparse
import glob
import re
from collections import Counter
from pathlib import Path

from contentgen.generate.labelled import guardrail_runner, load_labelled
from contentgen.generate.rules import default_rules


def draw_number(path: str) -> int:
    """A read file's draw (0 for the labelled set, 1 for the first draw's folder)."""
    found = re.search(r"copy-ranking-(\d+)/", path)
    return int(found.group(1)) if found else (1 if "copy-ranking/" in path else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rules", nargs="+", help="rule ids (from generate/rules/*.yaml)")
    parser.add_argument("--reads", nargs="*", default=None, help="read files (default: the labelled set and every draw)")
    parser.add_argument("--until", type=int, default=None, help="split the count at this draw number")
    parser.add_argument("--show", type=int, default=0, help="print this many messages the rule fires on (sendable first)")
    args = parser.parse_args()

    by_id = {r.id: r for r in default_rules().rules}
    unknown = [r for r in args.rules if r not in by_id]
    if unknown:
        parser.error(f"no rule {unknown}; ids are in contentgen/generate/rules/*.yaml")
    paths = args.reads if args.reads is not None else ["tests/data/copy_labels.jsonl", *sorted(glob.glob("bench/copy-ranking*/records.jsonl"))]
    # the older draws' templates asked the model for other parts (a push with a model-written title)
    run = guardrail_runner(earlier_prompts=sorted(glob.glob("bench/prompts-draw*")) + ["bench/prompts-before-draw25"])
    fired: Counter[tuple[str, str, bool]] = Counter()
    examples: dict[str, list] = {rule_id: [] for rule_id in args.rules}
    for path in paths:
        _, messages = load_labelled(path)
        period = "all" if args.until is None else ("up to" if draw_number(path) <= args.until else "after")
        for m in messages:
            if m.fallback or not m.creative:
                continue
            detail = {rule_id: check.detail for check in run(m) for rule_id in check.rules}  # what each rule matched
            for rule_id in set(args.rules) & set(detail):
                fired[(rule_id, period, m.send)] += 1
                examples[rule_id].append((not m.send, Path(path).parent.name, m.id, detail[rule_id], " / ".join(m.creative.values())))
    for rule_id in args.rules:
        for period in (["all"] if args.until is None else ["up to", "after"]):
            total = fired[(rule_id, period, True)] + fired[(rule_id, period, False)]
            where = "" if period == "all" else f" ({period} draw {args.until})"
            print(f"{rule_id}{where}: fires on {total} read messages, the reader would send {fired[(rule_id, period, True)]}")
        for _, draw, mid, matched, text in sorted(examples[rule_id])[:args.show]:
            print(f"  {draw} {mid} [{matched[:80]}] {text[:140]}")


if __name__ == "__main__":
    main()
