"""Top-N ranking metrics with binary relevance; each takes one ranked list and one relevant set."""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np


def precision_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Hits in the top ``k`` divided by ``k``."""
    return sum(1 for item in ranked[:k] if item in relevant) / k


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Hits in the top ``k`` divided by the number of relevant items (0 if none are relevant)."""
    if not relevant:
        return 0.0
    return sum(1 for item in ranked[:k] if item in relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """DCG of the top ``k`` (gain 1/log2(rank+1)) over the DCG of a perfect list of min(k, |relevant|) hits."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return float(dcg / ideal)


def average_precision_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Σ precision@rank over hits in the top ``k``, divided by |relevant| (Microsoft Recommenders' "MAP")."""
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    for rank, item in enumerate(ranked[:k]):
        if item in relevant:
            hits += 1
            total += hits / (rank + 1)
    return total / len(relevant)


def catalog_coverage(rankings: Iterable[Sequence[str]], catalog_size: int, k: int) -> float:
    """Share of the catalog that appears in at least one shopper's top ``k``."""
    if catalog_size <= 0:
        return 0.0
    shown: set[str] = set()
    for ranked in rankings:
        shown.update(ranked[:k])
    return len(shown) / catalog_size


def evaluate_rankings(
    rankings: Mapping[str, Sequence[str]],
    truth: Mapping[str, set[str]],
    k: int = 10,
    catalog_size: int | None = None,
) -> dict[str, float]:
    """Mean precision/recall/NDCG/MAP@k over shoppers in ``truth`` with a non-empty relevant set.

    A shopper in ``truth`` without a ranking counts as an empty list (all metrics 0), so a method
    cannot look better by refusing to answer.
    """
    shoppers = [s for s, relevant in truth.items() if relevant]
    metrics = {"precision": [], "recall": [], "ndcg": [], "map": []}
    for shopper in shoppers:
        ranked = list(rankings.get(shopper, ()))
        relevant = truth[shopper]
        metrics["precision"].append(precision_at_k(ranked, relevant, k))
        metrics["recall"].append(recall_at_k(ranked, relevant, k))
        metrics["ndcg"].append(ndcg_at_k(ranked, relevant, k))
        metrics["map"].append(average_precision_at_k(ranked, relevant, k))
    out = {name: float(np.mean(values)) if values else 0.0 for name, values in metrics.items()}
    out["shoppers"] = float(len(shoppers))
    if catalog_size is not None:
        out["coverage"] = catalog_coverage((rankings.get(s, ()) for s in shoppers), catalog_size, k)
    return out
