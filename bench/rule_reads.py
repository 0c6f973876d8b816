"""How often readers would send the copy a rule refuses: the count behind a rule's comment.

For each rule id given, every model-written message read blind (``tests/data/copy_labels.jsonl``
and ``bench/copy-ranking*/records.jsonl``, or the files given with ``--reads``) on which the rule
fires, read the way the guardrails read it (its scope's text: the model's own words minus the
products' names, or the whole message; its product conditions on the products the message shows),
and how many of those the reader would send as they are. ``--until K`` splits the count into the
draws up to K (what the rule was written from) and the later ones (out of sample):

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

from contentgen.generate.guardrails import _merge_strings, _without, shown_products
from contentgen.generate.labelled import load_labelled
from contentgen.generate.rules import default_rules
from contentgen.policy import ShopPolicy


def draw_number(path: str) -> int:
    """A read file's draw (0 for the labelled set, 1 for the first draw's folder)."""
    found = re.search(r"copy-ranking-(\d+)/", path)
    return int(found.group(1)) if found else (1 if "copy-ranking/" in path else 0)


def rule_texts(message) -> dict[str, str]:
    """The texts a rule reads, by scope, as ``guardrails.check_copy`` builds them."""
    creative = "\n".join(message.creative.values())
    texts = {"creative": _without(creative, [p.name for p in message.brief.products]),
             "message": _without("\n".join(message.fields.values()), _merge_strings(message.brief))}
    return {k: v.replace("’", "'").replace("‘", "'") for k, v in texts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rules", nargs="+", help="rule ids (from generate/rules/*.yaml)")
    parser.add_argument("--reads", nargs="*", default=None, help="read files (default: the labelled set and every draw)")
    parser.add_argument("--until", type=int, default=None, help="split the count at this draw number")
    parser.add_argument("--show", type=int, default=0, help="print this many messages the rule fires on (sendable first)")
    args = parser.parse_args()

    rule_set = default_rules()
    by_id = {r.id: r for r in rule_set.rules}
    unknown = [r for r in args.rules if r not in by_id]
    if unknown:
        parser.error(f"no rule {unknown}; ids are in contentgen/generate/rules/*.yaml")
    paths = args.reads if args.reads is not None else ["tests/data/copy_labels.jsonl", *sorted(glob.glob("bench/copy-ranking*/records.jsonl"))]
    policy = ShopPolicy()
    for rule_id in args.rules:
        rule = by_id[rule_id]
        fired: Counter[tuple[str, bool]] = Counter()
        examples = []
        for path in paths:
            _, messages = load_labelled(path)
            period = "all" if args.until is None else ("up to" if draw_number(path) <= args.until else "after")
            for m in messages:
                if m.fallback or not m.creative or m.language not in rule.languages:
                    continue
                brief = shown_products(m.brief, "\n".join(m.fields.values()))
                found = [f for f in rule_set.findings(rule_texts(m), brief, policy) if f.rule.id == rule_id]
                if found:
                    sendable = m.send
                    fired[(period, sendable)] += 1
                    examples.append((not sendable, Path(path).parent.name, m.id, found[0].match, " / ".join(m.creative.values())))
        for period in (["all"] if args.until is None else ["up to", "after"]):
            total = fired[(period, True)] + fired[(period, False)]
            where = "" if period == "all" else f" ({period} draw {args.until})"
            print(f"{rule_id}{where}: fires on {total} read messages, the reader would send {fired[(period, True)]}")
        for _, draw, mid, match, text in sorted(examples)[:args.show]:
            print(f"  {draw} {mid} [{match}] {text[:140]}")


if __name__ == "__main__":
    main()
