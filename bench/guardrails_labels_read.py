"""Helpers for the person labelling tests/data/copy_labels.jsonl: print records to read, merge readings.

    python bench/guardrails_labels_read.py show tests/data/copy_labels.jsonl --from 0 --to 20
    python bench/guardrails_labels_read.py merge tests/data/copy_labels.jsonl readings.txt

A readings file has one line per message: ``ID | families violated (comma-separated, or -) | yes/no | reason``.
``show`` prints what a copy editor needs (the brief's products, prices, offer, who the shopper is) and
never the checks' verdicts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def show(path: str, start: int, stop: int) -> None:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    records = [json.loads(l) for l in lines if l.strip() and not json.loads(l).get("header")]
    for r in records[start:stop]:
        b = r["brief"]
        offer = b["offer"]
        print(f"=== {r['id']} {r['channel']}/{r['language']}{' FALLBACK' if r['fallback'] else ''} seg={b['segment']} "
              f"name={b['first_name']!r} interests={list(b['interests'])}"
              + (f" sent={b['send_date']}" if b.get("send_date") else ""))
        print("products: " + " ; ".join(f"{p['name']} {p['price']}" for p in b["products"]))
        if offer:
            print(f"offer: {offer['kind']} {offer['value']} min={offer['min_order_value']} '{offer['description']}' code={offer['code']} exp={offer['expires']}")
        else:
            print("offer: none")
        print("creative: " + json.dumps(r["creative"], ensure_ascii=False))
        print(r["text"])
        if r.get("labels") is not None:
            print(f"[labelled: {r['labels']} send={r['send']} {r['reason']}]")
        print()


def merge(path: str, readings: str) -> None:
    from contentgen.generate.labelled import FAMILIES

    read = {}
    for n, line in enumerate(Path(readings).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|", 3)]
        if len(parts) < 3:
            raise SystemExit(f"{readings}:{n}: want 'ID | families or - | yes/no | reason', got {line!r}")
        rid, fams, send = parts[:3]
        reason = parts[3] if len(parts) > 3 else ""
        fams = [] if fams in ("-", "") else [f.strip() for f in fams.split(",")]
        bad = [f for f in fams if f not in FAMILIES]
        if bad or send not in ("yes", "no") or (send == "no" and not reason):
            raise SystemExit(f"{readings}:{n}: bad families {bad} or send {send!r} (a 'no' needs a reason)")
        read[rid] = ({f: ("violates" if f in fams else "ok") for f in FAMILIES}, send, reason)
    out, merged = [], 0
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if not r.get("header") and r["id"] in read:
            r["labels"], r["send"], r["reason"] = read[r["id"]]
            merged += 1
        out.append(json.dumps(r, ensure_ascii=False))
    tmp = Path(path + ".partial")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    tmp.replace(path)
    print(f"merged {merged} readings into {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("show")
    s.add_argument("path")
    s.add_argument("--from", dest="start", type=int, default=0)
    s.add_argument("--to", dest="stop", type=int, default=20)
    m = sub.add_parser("merge")
    m.add_argument("path")
    m.add_argument("readings")
    args = parser.parse_args()
    show(args.path, args.start, args.stop) if args.command == "show" else merge(args.path, args.readings)


if __name__ == "__main__":
    main()
