"""How far ranking alone can take send-as-is: the picks of a perfect ranker, of the reader model and of
chance, from the same pools of read candidates.

For each English draw with a key file, the pool of a brief is every candidate of the shipped Writer's
condition (2 examples, steered, the default prompts) that passed the checks at draw time: up to 12
samples, all read blind. From each pool 2 variants are picked (the brief's fallback where fewer
passed, as the Writer tops up) by
- chance: the expected sends of 2 candidates drawn at random, exactly (2 x the pool's share sendable);
- the reader model, fitted on every read but the draw's own (``reader_model.py``'s held-out fit,
  embedding and n-grams), the shipped ranking's main term;
- the readers themselves (an oracle: every sendable candidate first), the most any ranking of these
  pools can send.
The labels are the blind readers', not anything the Writer computed, so the oracle is a ceiling for
ranking and not a score the ranking gives itself.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/ranking_ceiling.py [--channels email push sms]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
import glob
import json
from pathlib import Path

from reader_model import embedded_reads, scores_without, shipped_pool


def pools(folder: Path, data) -> tuple[dict[str, list[int]], dict[str, bool]] | None:
    """The draw's pools (read indices per brief) and each brief's fallback verdict; None for a draw
    with no shipped condition to re-pick (draws 1-3 ran without examples)."""
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))["records"]
    if not any(v.get("shots") == 2 for v in key.values()):
        return None
    pool, fallback = shipped_pool(str(folder / "records.jsonl"), key, data)
    return (pool, fallback) if pool else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", type=int, default=2, help="variants picked per brief")
    parser.add_argument("--channels", nargs="*", default=[], help="only the briefs of these channels (default: all)")
    args = parser.parse_args()
    k = args.variants
    data, vectors, embedding = embedded_reads()
    send = [m.send for _, m in data]
    print("| held-out draw | briefs | variants | chance | reader model (held out) | readers (ceiling) |")
    print("|---|---|---|---|---|---|")
    total: dict[str, float] = defaultdict(float)
    for key_path in sorted(glob.glob("bench/copy-ranking*/key.json"), key=lambda p: (len(p), p)):
        folder = Path(key_path).parent
        found = pools(folder, data)
        if found is None:
            continue
        pool, fallback = found
        if args.channels:  # a brief's key is "<shopper>/<channel>"
            fallback = {b: f for b, f in fallback.items() if b.rsplit("/", 1)[-1] in args.channels}
        if not fallback:
            continue
        score = scores_without(data, vectors, embedding, {str(folder / "records.jsonl")})
        row: dict[str, float] = defaultdict(float)
        for brief, fallback_send in fallback.items():
            candidates = pool.get(brief, [])
            short = max(0, k - len(candidates)) * fallback_send
            taken = min(k, len(candidates))
            row["chance"] += short + (taken * sum(send[i] for i in candidates) / len(candidates) if candidates else 0)
            row["model"] += short + sum(send[i] for i in sorted(candidates, key=lambda i: -score[i])[:k])
            row["oracle"] += short + min(taken, sum(send[i] for i in candidates))
        n = k * len(fallback)
        row["n"] = n
        for name, value in row.items():
            total[name] += value
        print(f"| {folder.name} | {len(fallback)} | {n} | {row['chance']:.0f} = {row['chance'] / n:.0%} "
              f"| {row['model']:.0f} = {row['model'] / n:.0%} | {row['oracle']:.0f} = {row['oracle'] / n:.0%} |")
    n = total["n"]
    print(f"| all | | {n:.0f} | {total['chance']:.0f} = {total['chance'] / n:.1%} | {total['model']:.0f} = {total['model'] / n:.1%} "
          f"| {total['oracle']:.0f} = {total['oracle'] / n:.1%} |")


if __name__ == "__main__":
    main()
