"""EASE (Steck 2019): a closed-form item × item linear model, with a memory-safe fallback."""

from __future__ import annotations

from dataclasses import dataclass
import logging

import numpy as np
import scipy.sparse as sp

from contentgen.rank.base import InteractionScorer
from contentgen.rank.interactions import Interactions
from contentgen.rank.itemknn import ItemKNN, ItemKNNConfig

logger = logging.getLogger(__name__)

# Dense float64 items × items: the Gram matrix, its inverse and the weights live together, so
# peak memory ≈ 3 · 8 · n² bytes. 20,000 active items → ~9.6 GB, safely inside a 24 GiB machine;
# 100,000 items would need ~240 GB, hence the fallback. (Measured: bench/rerank.py.)
DEFAULT_MAX_DENSE_ITEMS = 20_000


def ease_peak_bytes(n_items: int) -> int:
    """Estimated peak memory of the dense EASE solve for ``n_items`` active items."""
    return 3 * 8 * n_items * n_items


@dataclass(frozen=True)
class EASEConfig:
    """``l2`` is the ridge penalty λ; above ``max_dense_items`` active items, item-kNN is used instead.

    ``half_life_days``: time decay of the shopper's history when scoring (None: no decay).
    """

    l2: float = 200.0
    max_dense_items: int = DEFAULT_MAX_DENSE_ITEMS
    fallback: ItemKNNConfig = ItemKNNConfig()
    half_life_days: float | None = None


class EASE(InteractionScorer):
    """B = I − P · diag(1/diag(P)), P = (XᵀX + λI)⁻¹, on items with at least one purchase."""

    name = "ease"

    def __init__(self, config: EASEConfig = EASEConfig()) -> None:
        super().__init__()
        self.config = config
        self.weights: np.ndarray | None = None
        self.active: np.ndarray | None = None
        self.fallback: ItemKNN | None = None

    def _fit(self, interactions: Interactions) -> None:
        matrix = interactions.matrix
        # Items nobody bought get zero weights anyway; leaving them out shrinks the dense solve.
        active = np.flatnonzero(np.asarray(matrix.getnnz(axis=0)).ravel() > 0)
        if len(active) > self.config.max_dense_items:
            logger.warning(
                "EASE: %d active items exceed max_dense_items=%d (~%.1f GB dense); using sparse item-kNN",
                len(active), self.config.max_dense_items, ease_peak_bytes(len(active)) / 1e9,
            )
            self.fallback = ItemKNN(self.config.fallback)
            self.fallback.interactions = interactions
            self.fallback._fit(interactions)
            return
        sub = matrix[:, active].astype(np.float64)
        gram = (sub.T @ sub).toarray()
        gram[np.diag_indices_from(gram)] += self.config.l2
        precision = np.linalg.inv(gram)
        del gram
        weights = precision / (-np.diag(precision))[None, :]
        weights[np.diag_indices_from(weights)] = 0.0
        self.weights = weights.astype(np.float32)
        self.active = active

    def _score_rows(self, rows: sp.csr_matrix) -> np.ndarray:
        if self.fallback is not None:
            return self.fallback._score_rows(rows)
        out = np.zeros(rows.shape, dtype=np.float32)
        out[:, self.active] = self._active_columns(rows) @ self.weights
        return out

    def _active_columns(self, rows: sp.csr_matrix) -> sp.csr_matrix:
        """``rows[:, self.active]``, gathered through a column → position map (scipy's column
        indexing is the slowest step of scoring one shopper). Inactive cells, e.g. a live event
        on a product nobody had bought at fit time, drop out as before."""
        position = self.__dict__.get("_active_position")
        if position is None or position[0] is not self.active or len(position[1]) != rows.shape[1]:
            where = np.full(rows.shape[1], -1, dtype=np.int64)
            where[self.active] = np.arange(len(self.active))
            position = self._active_position = (self.active, where)
        mapped = position[1][rows.indices]
        keep = mapped >= 0
        kept_before = np.concatenate([[0], np.cumsum(keep)])
        indptr = kept_before[rows.indptr]
        return sp.csr_matrix((rows.data[keep], mapped[keep], indptr), shape=(rows.shape[0], len(self.active)))

    @property
    def item_weights(self) -> sp.csr_matrix:
        """The item × item weight matrix W with score = X · W, sparse in catalog coordinates."""
        interactions = self._require_fitted()
        if self.fallback is not None:
            return self.fallback.item_weights
        n = interactions.shape[1]
        dense = sp.coo_matrix(self.weights)
        return sp.csr_matrix(
            (dense.data, (self.active[dense.row], self.active[dense.col])), shape=(n, n)
        )
