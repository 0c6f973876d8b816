"""An approved-copy library grown from blind reads: every model-written candidate a reader marked
"would send as it is" becomes a few-shot example (contentgen/generate/exemplars.py). Measured as
condition F of bench/copy_ranking.py (``--library``) in draw 19: it did not beat the team's seed
library (bench/RESULTS.md, "Draws 19-23"), so the demo shop does not ship it.

A shop's library grows from approvals in the workspace; the demo shop's readers are the team's blind
reads of real candidates (tests/data/copy_labels.jsonl and bench/copy-ranking*/records.jsonl). A read
is kept when it is not a fallback, passes today's checks (its own brief's products and offer), names
none of its products (an example teaches wording, not another product's name: the prompt forbids
naming an example's products) and is not a duplicate of one already kept. Each line says where it
came from.

    # the library draw 19 measured (reads up to draw 18)
    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/approved_from_reads.py --out bench/copy-ranking-19/library.jsonl \
        --up-to bench/copy-ranking-18/records.jsonl
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime, timezone
import glob
from pathlib import Path

from contentgen.generate.exemplars import Exemplar, brief_theme
from contentgen.generate.guardrails import failed
from contentgen.generate.labelled import guardrail_runner, load_labelled

KNOWN = Path("tests/data/copy_labels_catalog.txt")


def sources() -> list[str]:
    return ["tests/data/copy_labels.jsonl"] + sorted(glob.glob("bench/copy-ranking*/records.jsonl"),
                                                      key=lambda p: (len(p), p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="the approved-copy file to write (replaced)")
    parser.add_argument("--up-to", default="", help="only sources up to this one (a records.jsonl path), for a draw "
                        "that must not see its own reads")
    args = parser.parse_args()

    known = KNOWN.read_text(encoding="utf-8").splitlines()
    run = guardrail_runner(known, earlier_prompts=["bench/prompts-draw12"])
    added = datetime.now(timezone.utc).isoformat(timespec="seconds")
    kept, seen, dropped = [], set(), Counter()
    for source in sources():
        _, messages = load_labelled(source)
        for m in messages:
            if m.fallback or not m.send or not m.creative:
                continue
            names = [p.name.lower() for p in m.brief.products if p.name.strip()]
            if any(name in text.lower() for text in m.creative.values() for name in names):
                dropped["names a product"] += 1
                continue
            if failed(run(m)):
                dropped["fails today's checks"] += 1
                continue
            text = (m.channel, m.language, tuple(sorted(m.creative.items())))
            if text in seen:
                dropped["duplicate"] += 1
                continue
            seen.add(text)
            kept.append(Exemplar(m.channel, m.language, m.brief.situation, brief_theme(m.brief), tuple(m.creative.items()),
                                 f"seed: model-written for the demo shop, marked 'would send as it is' by a contentgen team "
                                 f"reader in a blind read ({source} {m.id})", added))
        if args.up_to and Path(source) == Path(args.up_to):
            break
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(e.to_json() + "\n" for e in kept), encoding="utf-8")
    by_channel = Counter(f"{e.channel}/{e.language}" for e in kept)
    print(f"wrote {len(kept)} examples to {args.out} ({', '.join(f'{k} {v}' for k, v in sorted(by_channel.items()))}); "
          f"left out: {dict(dropped)}")


if __name__ == "__main__":
    main()
