"""Shopper vectors: time-decayed, event-weighted means of product vectors (pure numpy/pandas)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from contentgen.retrieval.embedders.base import l2_normalise


@dataclass(frozen=True)
class InteractionMatrix:
    """Shopper x product weights, with the row and column ids."""

    shopper_ids: tuple[str, ...]
    product_ids: tuple[str, ...]
    weights: sparse.csr_matrix


def decay(timestamps: pd.Series, now: pd.Timestamp, half_life_days: float) -> np.ndarray:
    """0.5 ** (age in days / half-life); events after ``now`` count as new."""
    age_days = (now - timestamps) / pd.Timedelta(days=1)
    return np.power(0.5, np.clip(age_days.to_numpy(dtype=float), 0.0, None) / half_life_days)


def interaction_weights(
    events: pd.DataFrame,
    product_ids: tuple[str, ...],
    event_weights: Mapping[str, float],
    *,
    now: pd.Timestamp,
    half_life_days: float,
    min_pair_weight: float = 0.0,
) -> InteractionMatrix:
    """Sum of decayed event weights per (shopper, product), clipped at ``min_pair_weight``.

    Events of products outside ``product_ids`` and of types without a weight are ignored.
    """
    column_of = pd.Series(np.arange(len(product_ids)), index=pd.Index(product_ids))
    type_weight = events["event_type"].astype(str).map(dict(event_weights))
    keep = type_weight.notna() & events["product_id"].isin(column_of.index)
    events = events[keep]
    weights = type_weight[keep].to_numpy(dtype=float) * decay(
        events["timestamp"], now, half_life_days
    )
    frame = pd.DataFrame({
        "shopper_id": events["shopper_id"].astype(str).to_numpy(),
        "column": column_of.reindex(events["product_id"].astype(str)).to_numpy(),
        "weight": weights,
    })
    pairs = frame.groupby(["shopper_id", "column"], sort=True)["weight"].sum().reset_index()
    pairs["weight"] = pairs["weight"].clip(lower=min_pair_weight)
    pairs = pairs[pairs["weight"] != 0]
    shopper_ids = tuple(pd.unique(frame["shopper_id"]).tolist())
    shopper_ids = tuple(sorted(shopper_ids))
    row_of = pd.Series(np.arange(len(shopper_ids)), index=pd.Index(shopper_ids))
    matrix = sparse.csr_matrix(
        (pairs["weight"].to_numpy(), (row_of.reindex(pairs["shopper_id"]).to_numpy(),
                                      pairs["column"].to_numpy(dtype=np.int64))),
        shape=(len(shopper_ids), len(product_ids)),
    )
    return InteractionMatrix(shopper_ids, product_ids, matrix)


def shopper_vectors(weights: sparse.csr_matrix, product_vectors: np.ndarray) -> np.ndarray:
    """Unit-length weighted means of product vectors; a row with no weight stays zero."""
    return l2_normalise(np.asarray(weights @ product_vectors))


def blend(history: np.ndarray | None, interest: np.ndarray | None, interest_weight: float
          ) -> np.ndarray | None:
    """Mix a history vector with a free-text interest vector; either may be missing."""
    if history is None or not np.any(history):
        return interest
    if interest is None:
        return history
    return l2_normalise((1.0 - interest_weight) * history + interest_weight * interest)


def kernel(similarities: np.ndarray, power: float) -> np.ndarray:
    """max(0, cosine) ** power: sharpens similarities so near matches dominate a sum."""
    return np.power(np.clip(similarities, 0.0, None), power, dtype=np.float32)


def row_normalise(weights: sparse.csr_matrix) -> sparse.csr_matrix:
    """Rows scaled to sum 1 (empty rows stay empty)."""
    sums = np.asarray(weights.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / sums) @ weights)
