"""Blending signals: per-shopper standardised scores, a weighted sum, and weights fit on validation."""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

DEFAULT_GRID: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)


def standardize_rows(scores: np.ndarray) -> np.ndarray:
    """Z-score each row, so signals on different scales (counts, cosines, regressions) can be added.

    A constant row (e.g. a cold shopper under a CF signal) becomes all zeros: that signal then
    simply has no say for that shopper, and the others decide.
    """
    scores = np.asarray(scores, dtype=np.float32)
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    out = scores - mean
    np.divide(out, std, out=out, where=std > 1e-12)
    out[(std <= 1e-12).ravel()] = 0.0
    return out


def blend_scores(standardized: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Σ weight · standardised score over the signals with a non-zero weight."""
    shapes = {a.shape for a in standardized.values()}
    if len(shapes) != 1:
        raise ValueError(f"signals have different shapes: {sorted(shapes)}")
    total = np.zeros(next(iter(shapes)), dtype=np.float32)
    for name, weight in weights.items():
        if weight:
            total += np.float32(weight) * standardized[name]
    return total


def top_k_indices(scores: np.ndarray, k: int, exclude: sp.spmatrix | np.ndarray | None = None) -> np.ndarray:
    """Column indices of each row's ``k`` best scores, best first; ``exclude`` marks banned cells."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    if exclude is not None:
        mask = exclude.toarray() if sp.issparse(exclude) else np.asarray(exclude)
        scores[mask.astype(bool)] = -np.inf
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def mean_ndcg(top: np.ndarray, relevant: sp.csr_matrix) -> float:
    """Mean NDCG of ranked column indices ``top`` against a boolean shopper × product matrix."""
    k = top.shape[1]
    hits = np.asarray(relevant[np.arange(top.shape[0])[:, None], top].todense()).astype(bool) \
        if top.size else np.zeros_like(top, dtype=bool)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * discounts).sum(axis=1)
    n_relevant = np.minimum(np.asarray(relevant.sum(axis=1)).ravel(), k).astype(int)
    ideal = np.concatenate([[0.0], np.cumsum(discounts)])[n_relevant]
    valid = n_relevant > 0
    return float((dcg[valid] / ideal[valid]).mean()) if valid.any() else 0.0


@dataclass(frozen=True)
class BlendFit:
    """Weights chosen on validation and the validation NDCG@k of the blend and of each signal alone."""

    weights: dict[str, float]
    ndcg: float
    single: dict[str, float]


def fit_blend_weights(
    standardized: Mapping[str, np.ndarray],
    relevant: sp.csr_matrix,
    *,
    exclude: sp.spmatrix | None = None,
    k: int = 10,
    grid: Sequence[float] = DEFAULT_GRID,
    rounds: int = 2,
    starts: Sequence[Mapping[str, float]] = (),
    min_gain: float = 0.0,
) -> BlendFit:
    """Coordinate ascent over a small weight grid maximising validation NDCG@k.

    Starts from the best single signal at weight 1 (or from one of ``starts``, e.g. the
    configured defaults, if that scores higher), then for each signal in turn tries every grid
    value with the others held fixed; a change is kept only if it strictly improves NDCG, so the
    blend can never score below the best single signal (nor the starts) on the validation period.
    ``min_gain``: a change must raise NDCG by this fraction of it (0.01 = 1 %), so weights are not
    moved for gains within the validation sample's noise.
    """
    names = list(standardized)
    mask = exclude.toarray().astype(bool) if exclude is not None else None

    def evaluate(weights: Mapping[str, float]) -> float:
        if not any(weights.values()):
            return -1.0
        return mean_ndcg(top_k_indices(blend_scores(standardized, weights), k, mask), relevant)

    single = {name: evaluate({name: 1.0}) for name in names}
    best_name = max(single, key=single.get)
    weights = {name: (1.0 if name == best_name else 0.0) for name in names}
    best = single[best_name]
    for start in starts:
        trial = {name: float(start.get(name, 0.0)) for name in names}
        score = evaluate(trial)
        if score > best + 1e-6:
            best, weights = score, trial
    for _ in range(rounds):
        improved = False
        for name in names:
            for value in grid:
                if value == weights[name]:
                    continue
                trial = {**weights, name: value}
                score = evaluate(trial)
                if score > best * (1.0 + min_gain) + 1e-6:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    logger.info("blend weights %s: validation NDCG@%d %.4f (single: %s)", weights, k, best, single)
    return BlendFit(weights=weights, ndcg=best, single=single)
