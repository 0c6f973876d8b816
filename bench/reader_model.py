"""Fit the reader model (contentgen/generate/reader_model.py) and measure it on draws it did not see.

Reads: every model-written English candidate a reader labelled blind ("would you send it as it is?")
in tests/data/copy_labels.jsonl and bench/copy-ranking*/records.jsonl. For each draw with a key file
(the checks' verdicts and which candidates each condition picked), the model is fitted on every
other source and scored on that draw:

- AUC of its score against the reads of the draw's candidates;
- re-picking: among the candidates of the draw's exemplar pool that passed the checks at draw time,
  2 per brief (fallback for the rest, as the Writer does), chosen (a) as the draw picked them, (b) by
  today's quality score without the reader term (fluency is not in the key, so it is left out), (c) by
  the quality score with the reader term; the reader's send-as-is of each choice.

Then it fits on every read and writes the packaged model (``--write``).

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/reader_model.py --write
"""

from __future__ import annotations

import argparse
from collections import defaultdict
import glob
import json
from pathlib import Path

import numpy as np

from contentgen.generate.labelled import load_labelled
from contentgen.generate.quality import rank
from contentgen.generate.reader_model import PACKAGED, ReaderModel, fit_reader_model, reader_text, shared_embedder

EMBEDDING_MODEL = "all-MiniLM-L6-v2"


def reads() -> list[tuple[str, object]]:
    sources = ["tests/data/copy_labels.jsonl"] + sorted(glob.glob("bench/copy-ranking*/records.jsonl"))
    out = []
    for source in sources:
        _, messages = load_labelled(source)
        out += [(source, m) for m in messages if m.language == "en" and not m.fallback and m.creative]
    return out


def auc(scores: list[float], labels: list[bool]) -> float:
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / max(len(pos) * len(neg), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"fit on every read and write {PACKAGED}")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    args = parser.parse_args()

    data = reads()
    embedder = shared_embedder(EMBEDDING_MODEL)
    vectors = np.asarray(embedder.encode([reader_text(m.creative, m.brief) for _, m in data]))
    print(f"{len(data)} reads of model-written English candidates, {sum(m.send for _, m in data)} would send")
    print("\n| held-out draw | candidates | AUC | briefs | as drawn | quality, no reader | quality + reader |")
    print("|---|---|---|---|---|---|---|")
    totals = defaultdict(int)
    for key_path in sorted(glob.glob("bench/copy-ranking*/key.json")):
        held = str(Path(key_path).parent / "records.jsonl")
        key = json.loads(Path(key_path).read_text(encoding="utf-8"))["records"]
        if not any(v.get("shots") == 2 for v in key.values()):
            continue  # draws 1-3: the exemplar pool ran without examples (see RESULTS)
        train = [i for i, (s, _) in enumerate(data) if s != held]
        test = [i for i, (s, _) in enumerate(data) if s == held]
        if not test or not any({"C", "D"} & set(v["conditions"]) for v in key.values()):
            continue  # not read yet, or no quality-only condition to compare with (draw 12: E against F)
        fitted = fit_reader_model(((data[i][1].creative, data[i][1].brief, data[i][1].send) for i in train),
                                  _Precomputed(vectors, data, train), EMBEDDING_MODEL, c=args.c)
        probabilities = dict(zip(test, fitted.probabilities(vectors[test])))
        area = auc([probabilities[i] for i in test], [data[i][1].send for i in test])
        steered = any(v.get("steered") for v in key.values())
        pool = defaultdict(list)
        fallback_send = {}
        _, everything = load_labelled(held)
        for m in everything:
            if key[m.id]["shots"] is None:
                fallback_send[key[m.id]["brief"]] = m.send
        for i in test:
            m = data[i][1]
            v = key[m.id]
            if v["shots"] == 2 and bool(v.get("steered")) == steered and not v.get("prompts") and not v["failed"]:
                pool[v["brief"]].append((m, probabilities[i], v))
        picked = defaultdict(int)
        briefs = sorted(fallback_send)
        for brief_id in briefs:
            candidates = pool.get(brief_id, [])
            condition = "D" if steered else "C"
            choices = {
                "drawn": [m for m, _, v in candidates if condition in v["conditions"]],
                "quality": [candidates[j][0] for j, _ in rank([(m.creative, None) for m, _, _ in candidates], candidates[0][0].brief, 2)] if candidates else [],
                "reader": [candidates[j][0] for j, _ in rank([(m.creative, None) for m, _, _ in candidates], candidates[0][0].brief, 2,
                                                              [p for _, p, _ in candidates])] if candidates else [],
            }
            for name, chosen in choices.items():
                picked[name] += sum(m.send for m in chosen) + (2 - len(chosen)) * fallback_send[brief_id]
        n = 2 * len(briefs)
        for name in picked:
            totals[name] += picked[name]
        totals["n"] += n
        print(f"| {Path(held).parent.name} | {len(test)} | {area:.2f} | {len(briefs)} | {picked['drawn']}/{n} = {picked['drawn'] / n:.0%} "
              f"| {picked['quality']}/{n} = {picked['quality'] / n:.0%} | {picked['reader']}/{n} = {picked['reader'] / n:.0%} |")
    n = totals["n"]
    print(f"| all | | | | {totals['drawn']}/{n} = {totals['drawn'] / n:.0%} | {totals['quality']}/{n} = {totals['quality'] / n:.0%} "
          f"| {totals['reader']}/{n} = {totals['reader'] / n:.0%} |")
    if args.write:
        model = fit_reader_model(((m.creative, m.brief, m.send) for _, m in data), _Precomputed(vectors, data, range(len(data))),
                                 EMBEDDING_MODEL, trained_on=f"{len(data)} blind reads of model-written English candidates "
                                 "(tests/data/copy_labels.jsonl, bench/copy-ranking*/records.jsonl)", c=args.c)
        model.save(PACKAGED)
        print(f"\nwrote {PACKAGED}")


class _Precomputed:
    """The embedder interface over vectors computed once (the texts arrive in the reads' order)."""

    def __init__(self, vectors: np.ndarray, data, indices) -> None:
        self._by_text = {reader_text(data[i][1].creative, data[i][1].brief): vectors[i] for i in indices}

    def encode(self, texts):
        return np.stack([self._by_text[t] for t in texts])


if __name__ == "__main__":
    main()
