"""Fit the reader model (contentgen/generate/reader_model.py) and measure it on draws it did not see.

Reads: every model-written candidate in one language (``--language``, English by default) a reader
labelled blind ("would you send it as it is?") in tests/data/copy_labels.jsonl and
bench/copy-ranking*/records.jsonl. For each draw with a key file
(the checks' verdicts and which candidates each condition picked), the model is fitted on every
other source and scored on that draw:

- AUC of its score against the reads of the draw's candidates;
- re-picking: among the candidates of the draw's exemplar pool that passed the checks at draw time,
  2 per brief (fallback for the rest, as the Writer does), chosen (a) as the draw picked them, (b) by
  today's quality score without the reader term (fluency is not in the key, so it is left out), (c) by
  the quality score with the reader term; the reader's send-as-is of each choice.

Each is measured twice in the same run: the embedding alone (the model before its n-gram term) and
the embedding with word n-grams (the shipped model).

``--replay`` re-picks groups of draws as ``bench/replay_picks.py`` does (today's checks and the
demo shop's policy, the Writer's rounds), with each model fitted on every read but the group's: the
AUC of the n-gram model on the group's reads, and the reader's send-as-is of the picks ranked without
a reader model, with the embedding alone and with n-grams.

Then it fits on every read and writes that language's model into the packaged file, keeping the
other languages' (``--write``).

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/reader_model.py --replay 28 25,26,27 22,23,24 19,20,21 15,16,17,18 --write
    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/reader_model.py --language zh --replay 31 33 35 42 46 48 49 50 --write
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
from contentgen.generate.reader_model import (PACKAGED, ReaderModels, fit_reader_model, load_reader_model, ngram_unit,
                                              reader_text, shared_embedder)

EMBEDDING_MODEL = "all-MiniLM-L6-v2"
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese"}


def reads(language: str = "en") -> list[tuple[str, object]]:
    sources = ["tests/data/copy_labels.jsonl"] + sorted(glob.glob("bench/copy-ranking*/records.jsonl"))
    out = []
    for source in sources:
        _, messages = load_labelled(source)
        out += [(source, m) for m in messages if m.language == language and not m.fallback and m.creative]
    return out


def embedded_reads(language: str = "en"):
    """Every read (``reads()``), the embedding of each read's text, and an embedder that returns them."""
    data = reads(language)
    embedder = shared_embedder(EMBEDDING_MODEL)
    vectors = np.asarray(embedder.encode([reader_text(m.creative, m.brief) for _, m in data]))
    return data, vectors, _Precomputed(vectors, data, range(len(data)))


def scores_without(data, vectors, embedding, held: set[str], ngrams: bool = True, c: float = 1.0,
                   language: str = "en") -> dict[int, float]:
    """The model fitted on every read but ``held``'s sources, and its score of each held read (by index)."""
    train = [i for i, (s, _) in enumerate(data) if s not in held]
    test = [i for i, (s, _) in enumerate(data) if s in held]
    model = fit_reader_model(((data[i][1].creative, data[i][1].brief, data[i][1].send) for i in train), embedding,
                             EMBEDDING_MODEL, c=c, language=language, **({} if ngrams else {"ngram_min_reads": None}))
    texts = [reader_text(data[i][1].creative, data[i][1].brief) for i in test]
    return dict(zip(test, model.probabilities(vectors[test], texts) if test else []))


def shipped_pool(held: str, key: dict, data) -> tuple[dict[str, list[int]], dict[str, bool]]:
    """A draw's pool for the shipped Writer's condition, as read indices per brief (2 examples, steered
    as the draw was, the default prompts, passing the checks at draw time), and each brief's fallback
    verdict. ``held``: the draw's records path; ``key``: its key file's records."""
    steered = any(v.get("steered") for v in key.values())
    _, everything = load_labelled(held)
    fallback_send = {key[m.id]["brief"]: m.send for m in everything if key[m.id]["shots"] is None}
    pool: dict[str, list[int]] = defaultdict(list)
    for i, (source, m) in enumerate(data):
        v = key.get(m.id) if source == held else None
        if v and v["shots"] == 2 and bool(v.get("steered")) == steered and not v.get("prompts") and not v["failed"]:
            pool[v["brief"]].append(i)
    return pool, fallback_send


def by_record(data, scores: dict[int, float]) -> dict[tuple[str, str], float]:
    """Scores by read index, keyed as ``replay_picks.rescored_copy`` takes them: (records path, id)."""
    return {(data[i][0], data[i][1].id): float(p) for i, p in scores.items()}


def auc(scores: list[float], labels: list[bool]) -> float:
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / max(len(pos) * len(neg), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true",
                        help=f"fit on every read and write the language's model into {PACKAGED}, keeping the others")
    parser.add_argument("--language", default="en", choices=sorted(LANGUAGE_NAMES), help="the copy's language")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--replay", nargs="*", default=[], metavar="K,K,..",
                        help="groups of draw numbers to hold out together and re-pick with today's checks")
    parser.add_argument("--replay-only", action="store_true",
                        help="skip the table of every draw held out alone (a fit per draw: most of the run's time)")
    args = parser.parse_args()

    data, vectors, embedding = embedded_reads(args.language)
    language = LANGUAGE_NAMES[args.language]

    def fitted_without(held: set[str], ngrams: bool):
        return scores_without(data, vectors, embedding, held, ngrams, args.c, args.language)

    print(f"{len(data)} reads of model-written {language} candidates, {sum(m.send for _, m in data)} would send")
    print("\n| held-out draw | candidates | AUC, embedding | AUC, + n-grams | briefs | as drawn | quality, no reader "
          "| quality + reader (embedding) | quality + reader (+ n-grams) |")
    print("|---|---|---|---|---|---|---|---|---|")
    totals = defaultdict(int)
    for key_path in [] if args.replay_only else sorted(glob.glob("bench/copy-ranking*/key.json")):
        held = str(Path(key_path).parent / "records.jsonl")
        key = json.loads(Path(key_path).read_text(encoding="utf-8"))["records"]
        if not any(v.get("shots") == 2 for v in key.values()):
            continue  # draws 1-3: the exemplar pool ran without examples (see RESULTS)
        test = [i for i, (s, _) in enumerate(data) if s == held]
        if not test or not any({"C", "D"} & set(v["conditions"]) for v in key.values()):
            continue  # not read yet, or no quality-only condition to compare with (draw 12: E against F)
        both = {"embedding": fitted_without({held}, ngrams=False), "ngrams": fitted_without({held}, ngrams=True)}
        area = {name: auc([p[i] for i in test], [data[i][1].send for i in test]) for name, p in both.items()}
        indices, fallback_send = shipped_pool(held, key, data)
        pool = {brief: [(data[i][1], {name: p[i] for name, p in both.items()}, key[data[i][1].id]) for i in found]
                for brief, found in indices.items()}
        picked = defaultdict(int)
        briefs = sorted(fallback_send)
        # the quality-only condition the draw picked by: D where it steered decoding, else C
        condition = "D" if any(v.get("steered") for v in key.values()) else "C"
        for brief_id in briefs:
            candidates = pool.get(brief_id, [])
            choices = {
                "drawn": [m for m, _, v in candidates if condition in v["conditions"]],
                "quality": [candidates[j][0] for j, _ in rank([(m.creative, None) for m, _, _ in candidates], candidates[0][0].brief, 2)] if candidates else [],
                **{name: [candidates[j][0] for j, _ in rank([(m.creative, None) for m, _, _ in candidates], candidates[0][0].brief, 2,
                                                             [p[name] for _, p, _ in candidates])] if candidates else []
                   for name in both},
            }
            for name, chosen in choices.items():
                picked[name] += sum(m.send for m in chosen) + (2 - len(chosen)) * fallback_send[brief_id]
        n = 2 * len(briefs)
        for name in picked:
            totals[name] += picked[name]
        totals["n"] += n
        share = lambda k, n=n: f"{picked[k]}/{n} = {picked[k] / n:.0%}"
        print(f"| {Path(held).parent.name} | {len(test)} | {area['embedding']:.2f} | {area['ngrams']:.2f} | {len(briefs)} "
              f"| {share('drawn')} | {share('quality')} | {share('embedding')} | {share('ngrams')} |")
    n = totals["n"]
    share = lambda k: f"{totals[k]}/{n} = {totals[k] / n:.0%}"
    if n:
        print(f"| all | | | | | {share('drawn')} | {share('quality')} | {share('embedding')} | {share('ngrams')} |")
    else:
        print("| (no draw in this language has a quality-only condition to compare with: see --replay) |")
    if args.replay:
        replay_groups(args.replay, data, fitted_without)
    if args.write:
        model = fit_reader_model(((m.creative, m.brief, m.send) for _, m in data), embedding, EMBEDDING_MODEL,
                                 trained_on=f"{len(data)} blind reads of model-written {language} candidates, embedding and "
                                 f"{'character' if ngram_unit(args.language) == 'char' else 'word'} n-grams "
                                 "(tests/data/copy_labels.jsonl, bench/copy-ranking*/records.jsonl)", c=args.c,
                                 language=args.language)
        packaged = load_reader_model() if PACKAGED.exists() else ReaderModels(())
        packaged.replaced(model).save(PACKAGED)
        print(f"\nwrote the {language} model into {PACKAGED}")


def replay_groups(groups: list[str], data, fitted_without) -> None:
    """Re-pick each group of draws, held out of the fit, with each model's scores in place of the draw's."""
    import tempfile

    from replay_picks import CHANNEL_ORDER, checks_by_prompts, prompts_of, replay, rescored_copy

    from contentgen.generate.writer import WriterSettings

    spare, per_round = WriterSettings().spare, WriterSettings().candidates
    runs = checks_by_prompts()
    print("\n| held-out draws, re-picked with today's checks | picks | AUC, + n-grams | reader would send, no reader model "
          "| embedding | + n-grams |")
    print("|---|---|---|---|---|---|")
    total = defaultdict(int)
    by_channel = defaultdict(lambda: [0, 0])  # (model, channel) -> [sent, picks], over every group
    for group in groups:
        folders = [Path(f"bench/copy-ranking-{k}") for k in group.split(",")]
        held = {str(f / "records.jsonl") for f in folders}
        sent, ready, area = defaultdict(int), 0, float("nan")
        for name in ("none", "embedding", "ngrams"):
            if name == "none":  # every candidate of the group without a score: the ranking leaves the term out
                score = {(str(f / "records.jsonl"), rid): None for f in folders
                         for rid in json.loads((f / "key.json").read_text(encoding="utf-8"))["records"]}
            else:
                probabilities = fitted_without(held, ngrams=name == "ngrams")
                score = by_record(data, probabilities)
                if name == "ngrams":
                    area = auc(list(probabilities.values()), [data[i][1].send for i in probabilities])
            ready = 0
            with tempfile.TemporaryDirectory() as scratch:
                for folder in folders:
                    copy = rescored_copy(folder, Path(scratch), score)
                    t = replay(copy, runs[prompts_of(folder)], 2, spare, per_round, rank)
                    sent[name] += t["send"]
                    ready += t["ready"]
                    for channel, (picks, sends) in t["by_channel"].items():
                        by_channel[name, channel][0] += sends
                        by_channel[name, channel][1] += picks
        for name in sent:
            total[name] += sent[name]
        total["ready"] += ready
        print(f"| {group} | {ready} | {area:.2f} | " + " | ".join(
            f"{sent[name]}/{ready} = {sent[name] / max(ready, 1):.1%}" for name in ("none", "embedding", "ngrams")) + " |")
    r = max(total["ready"], 1)
    print(f"| all | {total['ready']} | | " + " | ".join(
        f"{total[name]}/{r} = {total[name] / r:.1%}" for name in ("none", "embedding", "ngrams")) + " |")
    channels = sorted({c for _, c in by_channel}, key=lambda c: (CHANNEL_ORDER + (c,)).index(c))
    print("\n| every group, by channel | " + " | ".join(channels) + " |")
    print("|---|" + "---|" * len(channels))
    for name, label in (("none", "no reader model"), ("embedding", "embedding"), ("ngrams", "+ n-grams")):
        print(f"| {label} | " + " | ".join(f"{by_channel[name, c][0]}/{by_channel[name, c][1]}" for c in channels) + " |")


class _Precomputed:
    """The embedder interface over vectors computed once (the texts arrive in the reads' order)."""

    def __init__(self, vectors: np.ndarray, data, indices) -> None:
        self._by_text = {reader_text(data[i][1].creative, data[i][1].brief): vectors[i] for i in indices}

    def encode(self, texts):
        return np.stack([self._by_text[t] for t in texts])


if __name__ == "__main__":
    main()
