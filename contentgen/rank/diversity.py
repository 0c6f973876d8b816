"""Maximal marginal relevance: trade a little relevance for recommendations that are not near-duplicates."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def mmr_select(
    candidates: np.ndarray,
    relevance: np.ndarray,
    similarity: sp.csr_matrix | np.ndarray,
    k: int,
    trade_off: float = 0.7,
) -> np.ndarray:
    """Pick ``k`` of ``candidates`` greedily by trade_off·relevance − (1−trade_off)·max similarity to those picked.

    ``relevance`` is aligned with ``candidates`` and rescaled to [0, 1] first so the trade-off
    means the same for every signal mix; ``similarity`` is indexed by candidate id (item × item).
    ``trade_off=1`` returns the top-k by relevance unchanged.
    """
    candidates = np.asarray(candidates)
    relevance = np.asarray(relevance, dtype=np.float64)
    if len(candidates) == 0 or k <= 0:
        return candidates[:0]
    span = relevance.max() - relevance.min()
    rel = (relevance - relevance.min()) / span if span > 0 else np.ones_like(relevance)
    sub = similarity[candidates][:, candidates]
    sub = sub.toarray() if sp.issparse(sub) else np.asarray(sub)
    sub = np.maximum(sub, sub.T)  # similarity as "how alike", whichever direction was stored
    chosen: list[int] = []
    max_sim = np.zeros(len(candidates))
    available = np.ones(len(candidates), dtype=bool)
    for _ in range(min(k, len(candidates))):
        value = trade_off * rel - (1.0 - trade_off) * max_sim
        value[~available] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        available[pick] = False
        max_sim = np.maximum(max_sim, sub[pick])
    return candidates[chosen]
