"""Draw the labelled guardrail set (tests/data/copy_labels.jsonl) from saved eval-copy runs.

The eval-copy JSONL files keep each message's full text but not its brief nor its creative parts
one by one. Both are rebuilt here: the brief from the same deterministic pipeline on the real
shop (profiles, recommender, offer plan), and the creative parts by matching the message text
against its template rendered with marker values. A record whose text the rebuilt brief does not
reproduce (the recommender or an offer changed since the run) is left out and counted.

The drawn records carry no check verdicts (the labels are a person's reading, made blind to the
checks); the strata use the current checks' verdict only to make sure refused messages are in the
set, since eval-copy saves only the variants that were sent (the refused candidates of a run are
not recorded, but messages scored by older, looser checks are refused by today's).

    HF_HUB_OFFLINE=1 PYTHONPATH=. nice -n 10 python bench/guardrails_labels_draw.py \\
        --out tests/data/copy_labels.jsonl --seed 19

Labels are then written by hand into each record's ``labels``/``send``/``reason`` keys.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import asdict
import glob
import json
from pathlib import Path
import random
import re

MARK = "\u2063{}\u2063"  # an invisible separator around each part's name: never in real copy


def _copy_text(fields: dict[str, str]) -> str:
    # the same layout as contentgen.generate.writer.Copy.text
    return "\n\n".join(f"{name}: {value}" if name != "body" else value for name, value in fields.items())


def creative_from_text(library, template, brief, text: str) -> dict[str, str] | None:
    """The creative parts that, placed in ``template`` for ``brief``, give exactly ``text``."""
    parts = [p.name for p in template.creative]
    marked = _copy_text(library.render_message(template, brief, {p: MARK.format(p) for p in parts}))
    pattern, seen, pos = "", set(), 0
    for m in re.finditer("\u2063(\\w+)\u2063", marked):
        pattern += re.escape(marked[pos : m.start()])
        name = m.group(1)
        pattern += f"(?P={name})" if name in seen else f"(?P<{name}>[^\\n]*?)"
        seen.add(name)
        pos = m.end()
    pattern += re.escape(marked[pos:])
    found = re.fullmatch(pattern, text)
    if not found:
        return None
    creative = {p: found.group(p) if p in seen else "" for p in parts}
    # the rendered fields must give the very text (a creative part could hide a merge field)
    return creative if _copy_text(library.render_message(template, brief, creative)) == text else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", default=sorted(glob.glob("bench/eval-copy/*.jsonl")))
    parser.add_argument("--out", default="tests/data/copy_labels.jsonl")
    parser.add_argument("--catalog-out", default="tests/data/copy_labels_catalog.txt")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--extend", action="store_true",
                        help="keep the records already in --out (and their labels) and add the newly drawn ones after them")
    parser.add_argument("--data", default=None, help="the online-retail folder (default: ../shared/data/online-retail)")
    parser.add_argument("--per-stratum", type=int, default=18, help="records drawn per (channel, language, fallback, verdict)")
    args = parser.parse_args()

    from contentgen.data import load_real_shop
    from contentgen.generate.guardrails import check_copy, failed
    from contentgen.generate.prompts import TemplateLibrary
    from contentgen.service import ContentService, ServiceSettings

    records = []
    for run in args.runs:
        with open(run, encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, 1):
                if line.strip():
                    record = json.loads(line)
                    if record.get("text"):  # a header record has no message
                        records.append((run, line_no, record))
    shop = load_real_shop(Path(args.data) if args.data else None)
    service = ContentService(shop, ServiceSettings(variants=3))
    library = TemplateLibrary.load()
    known = shop.catalog["title"].astype(str).tolist()
    briefs, drawn, skipped = {}, [], Counter()
    for run, line_no, r in records:
        key = (r["shopper_id"], r["channel"], r["language"])
        if key not in briefs:
            briefs[key] = service.brief(*key)
        brief = briefs[key]
        template = library.for_brief(brief)
        creative = creative_from_text(library, template, brief, r["text"])
        if creative is None:
            skipped[(Path(run).name, r["channel"], r["language"])] += 1
            continue
        fields = library.render_message(template, brief, creative)
        checks = check_copy(fields, creative, brief, template.field_limits(), {p.name: p.max_chars for p in template.creative},
                            {p.name for p in template.creative if p.sentence}, False, known)
        drawn.append({
            "run": Path(run).name, "line": line_no, "shopper_id": r["shopper_id"], "channel": r["channel"],
            "language": r["language"], "variant": r["variant"], "fallback": r["fallback"], "template": template.name,
            "text": r["text"], "fields": fields, "creative": creative, "brief": asdict(brief),
            "_refused_now": bool(failed(checks)),
        })
    print(f"{len(drawn)} records rebuilt, {sum(skipped.values())} left out (text not reproduced by today's brief):")
    for key, n in sorted(skipped.items()):
        print("  ", key, n)

    strata = defaultdict(list)
    for d in drawn:
        strata[(d["channel"], d["language"], d["fallback"], d["_refused_now"])].append(d)
    rng = random.Random(args.seed)
    chosen = []
    print("| channel | language | fallback | refused by the checks at draw time | available | drawn |")
    for key in sorted(strata):
        pool = strata[key]
        rng.shuffle(pool)
        # Chinese is scarce (4 shoppers per run): take it all; English up to the stratum size
        take = pool if key[1] == "zh" else pool[: args.per_stratum]
        chosen += take
        print(f"| {' | '.join(map(str, key))} | {len(pool)} | {len(take)} |")
    rng.shuffle(chosen)
    header = {
        "header": True,
        "what": "guardrail labelled set: real model-written and fallback messages from bench/eval-copy runs, "
                "each read by a person on the team and labelled per rule family (ok/violates) and would-send-as-is",
        "drawn_by": "bench/guardrails_labels_draw.py",
        "seed": args.seed,
        "runs": [Path(r).name for r in args.runs],
        "strata": "channel x language x fallback x refused-by-the-checks-at-draw-time (contentgen main 070cf9e); "
                  f"up to {args.per_stratum} English records per stratum, every Chinese record",
        "note": "eval-copy saves only sent variants; refused ones here are messages older, looser checks let through "
                "that the checks at draw time refuse. Records carry no check verdicts.",
        "families": ["facts.price", "facts.offer", "facts.freshness", "facts.stock", "facts.delivery", "facts.materials",
                     "facts.products", "voice", "repetition", "length", "language", "placeholders", "pii", "case", "truncated"],
        "label_keys": "labels: {family: 'violates'} for each violated family (every other family is ok); "
                      "send: yes/no (would a copy editor send it as it is); reason: one line when no",
        "labelled_by": "a reader on the team (helper 'label'), reading each message against its brief's products, prices and offer",
        "data": "UCI Online Retail (CC BY 4.0): product names and prices",
    }
    out = Path(args.out)
    kept = []
    if args.extend and out.exists():
        kept = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines() if l.strip()]
        kept = [r for r in kept if not r.get("header")]
        header["extended"] = f"records L{len(kept):03d} on were added by --extend --per-stratum {args.per_stratum}"
    have = {(r["run"], r["line"]) for r in kept}
    added = [d for d in chosen if (d["run"], d["line"]) not in have]
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(header, ensure_ascii=False) + "\n")
        for r in kept:
            handle.write(json.dumps(r, ensure_ascii=False) + "\n")
        for n, d in enumerate(added, len(kept)):
            d.pop("_refused_now")
            d = {"id": f"L{n:03d}", **d, "labels": None, "send": None, "reason": ""}
            handle.write(json.dumps(d, ensure_ascii=False) + "\n")
    tmp.replace(out)
    print(f"wrote {len(kept)} kept and {len(added)} new records to {out}")
    Path(args.catalog_out).write_text("\n".join(sorted(set(known))) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
