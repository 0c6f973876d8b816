"""The implicit-feedback matrix: shoppers × products built from purchase events, with id maps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from contentgen.data.schema import Shop

Weighting = Literal["binary", "log_count"]


@dataclass(frozen=True)
class Interactions:
    """A CSR matrix of shopper × product weights and the raw-id ↔ row/column maps."""

    matrix: sp.csr_matrix
    shopper_ids: np.ndarray
    product_ids: np.ndarray
    shopper_index: dict[str, int]
    product_index: dict[str, int]

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def rows_for(self, shopper_ids: Sequence[str]) -> sp.csr_matrix:
        """Rows for ``shopper_ids`` in order; unknown (cold) shoppers get an empty row."""
        rows = np.fromiter((self.shopper_index.get(str(s), -1) for s in shopper_ids), dtype=np.int64,
                           count=len(shopper_ids))
        matrix = self.matrix
        known = rows >= 0
        if not known.any():
            return sp.csr_matrix((len(rows), matrix.shape[1]), dtype=matrix.dtype)
        # Gathered straight from the CSR arrays: scipy's fancy indexing costs more than the
        # scoring itself for the one or few rows a request asks for.
        safe = np.where(known, rows, 0)
        starts = np.where(known, matrix.indptr[safe], 0)
        lengths = np.where(known, matrix.indptr[safe + 1], 0) - starts
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        take = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
        return sp.csr_matrix((matrix.data[take], matrix.indices[take], indptr), shape=(len(rows), matrix.shape[1]))

    def columns_for(self, product_ids: Sequence[str]) -> np.ndarray:
        """Column index per product id, -1 where the product never appears in the catalog."""
        return np.array([self.product_index.get(str(p), -1) for p in product_ids], dtype=np.int64)


def build_interactions(
    shop: Shop,
    *,
    weighting: Weighting = "binary",
    product_ids: Sequence[str] | None = None,
    event_types: tuple[str, ...] = ("purchase",),
    half_life_days: float | None = None,
) -> Interactions:
    """Aggregate ``event_types`` events of ``shop`` into a shopper × product matrix.

    Columns are the whole catalog (so every scorer scores the same products); rows are every
    shopper with at least one such event. ``log_count`` weighs repeat purchases as log(1 + n).
    ``half_life_days`` multiplies each cell by 0.5^(age / half-life) of the shopper's latest
    purchase of that product, age counted back from the shop's last event: recent baskets
    weigh more than old ones (None: no decay).
    """
    if product_ids is None:
        product_ids = shop.catalog["product_id"].astype(str).to_numpy()
    product_ids = np.asarray(product_ids, dtype=object)
    product_index = {p: i for i, p in enumerate(product_ids)}
    events = shop.events[shop.events["event_type"].isin(event_types)]
    cols = events["product_id"].astype(str).map(product_index)
    events = events[cols.notna().to_numpy()]
    cols = cols[cols.notna()].astype(np.int64).to_numpy()
    shopper_codes, shopper_ids = pd.factorize(events["shopper_id"].astype(str), sort=True)
    shopper_ids = np.asarray(shopper_ids, dtype=object)
    counts = sp.coo_matrix(
        (np.ones(len(cols), dtype=np.float32), (shopper_codes, cols)),
        shape=(len(shopper_ids), len(product_ids)),
    ).tocsr()
    counts.sum_duplicates()
    if weighting == "binary":
        counts.data = np.ones_like(counts.data)
    elif weighting == "log_count":
        counts.data = np.log1p(counts.data).astype(np.float32)
    else:
        from contentgen.errors import ConfigError

        raise ConfigError(f"unknown weighting {weighting!r}; choose 'binary' or 'log_count'")
    if half_life_days is not None and len(cols):
        if half_life_days <= 0:
            from contentgen.errors import ConfigError

            raise ConfigError(f"half_life_days must be positive (or None for no decay), got {half_life_days}")
        now = shop.events["timestamp"].max()
        age = ((now - events["timestamp"]) / pd.Timedelta("1D")).to_numpy(dtype=float)
        # The latest purchase of a product decides its weight: the largest decay per cell.
        latest = _max_per_cell(shopper_codes, cols, np.power(0.5, age / half_life_days), counts.shape)
        counts = counts.multiply(latest).tocsr().astype(np.float32)
    return Interactions(
        matrix=counts,
        shopper_ids=shopper_ids,
        product_ids=product_ids,
        shopper_index={s: i for i, s in enumerate(shopper_ids)},
        product_index=product_index,
    )


def _max_per_cell(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix holding, per (row, col), the largest of the values given for it."""
    order = np.lexsort((-values, cols, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sp.csr_matrix((values[first].astype(np.float32), (rows[first], cols[first])), shape=shape)
