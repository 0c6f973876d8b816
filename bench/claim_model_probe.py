"""Would a learned claim check catch what the rules miss? A probe, not a shipped check.

Fits a logistic regression over word 1-3-grams (TF-IDF) of what the reader model reads (``reader_text``:
the channel, then each part, the products' names masked)
on every read model-written candidate's "violates a fact/claim family", holding out one draw at a time,
and reports, over the held-out draws, how many of the violations today's checks pass it would refuse when
its threshold lets through all but a given share of the candidates that pass the checks and readers sent.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/claim_model_probe.py --from-draw 57
"""

from __future__ import annotations

import argparse
import glob
import re

from sklearn.linear_model import LogisticRegression

from contentgen.generate.labelled import FACT_FAMILIES, guardrail_runner, load_labelled
from contentgen.generate.reader_model import ngram_vectorizer, reader_text


def reads(language: str) -> list[tuple[int, str, bool, bool, bool]]:
    """(draw, text, violates a fact/claim family, reader-ok and sent, passes today's checks) per read."""
    run = guardrail_runner(earlier_prompts=sorted(glob.glob("bench/prompts-draw*")) + ["bench/prompts-before-draw25"])
    rows = []
    for path in sorted(glob.glob("bench/copy-ranking*/records.jsonl")):
        draw = int(re.search(r"copy-ranking-?(\d*)", path).group(1) or 1)
        _, messages = load_labelled(path)
        for m in messages:
            if m.fallback or not m.creative or m.language != language:
                continue
            rows.append((draw, reader_text(m.creative, m.brief), bool(m.violates & set(FACT_FAMILIES)), not m.violates and m.send,
                         all(c.passed for c in run(m))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--language", default="en")
    parser.add_argument("--from-draw", type=int, default=57, help="hold out each draw from this one on")
    parser.add_argument("--c", type=float, nargs="+", default=[1.0, 4.0, 16.0], help="inverse regularisation strengths")
    parser.add_argument("--ok-refused", type=float, nargs="+", default=[0.0, 0.005, 0.01, 0.02],
                        help="shares of the sent candidates that pass the checks the threshold may refuse")
    args = parser.parse_args()
    rows = reads(args.language)
    held_out = sorted({r[0] for r in rows if r[0] >= args.from_draw})
    print(f"{len(rows)} reads; held out one at a time: draws {held_out[0]}-{held_out[-1]} ({len(held_out)})")
    for c in args.c:
        scored = []
        for draw in held_out:
            train = [r for r in rows if r[0] != draw]
            test = [r for r in rows if r[0] == draw]
            vectorizer = ngram_vectorizer(min_reads=3)  # the reader model's n-grams, from 3 reads
            model = LogisticRegression(C=c, max_iter=3000).fit(vectorizer.fit_transform([r[1] for r in train]),
                                                               [r[2] for r in train])
            scored += zip(model.predict_proba(vectorizer.transform([r[1] for r in test]))[:, 1], test)
        sent_ok = sorted((s for s, r in scored if r[3] and r[4]), reverse=True)
        missed = [s for s, r in scored if r[2] and r[4]]
        cells = []
        for share in args.ok_refused:
            k = int(share * len(sent_ok))
            threshold = sent_ok[k] + 1e-9 if k < len(sent_ok) else 0.0
            cells.append(f"{share:.1%} of {len(sent_ok)} sent refused: {sum(s >= threshold for s in missed)}/{len(missed)} misses")
        print(f"C={c:g}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
