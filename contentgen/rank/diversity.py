"""Maximal marginal relevance: trade a little relevance for recommendations that are not near-duplicates."""

from __future__ import annotations

import re
from typing import Iterable, Sequence

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


def title_key(title: str) -> str:
    """A title as a reader tells titles apart: case, punctuation and spacing aside ("Metal Sign,Cupcake
    Single Hook" and "METAL SIGN CUPCAKE SINGLE HOOK" are one)."""
    return " ".join(re.findall(r"\w+", str(title).lower()))


def first_of_each_title(candidates: Iterable[int], keys: Sequence[str], taken: Iterable[int] | None = None) -> np.ndarray:
    """``candidates`` (best first) without any whose title key (``keys``, indexed by candidate id) an
    earlier candidate or one of ``taken`` already has: a shop's colour variants under one name are one
    product to a reader, and a message that lists the name twice reads as a mistake."""
    candidates = np.asarray(list(candidates), dtype=np.int64)
    seen = {keys[c] for c in (() if taken is None else taken)}
    keep = []
    for c in candidates:
        if keys[c] not in seen:
            seen.add(keys[c])
            keep.append(c)
    return np.asarray(keep, dtype=np.int64)
