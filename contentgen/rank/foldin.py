"""Folding one live event into a fitted interaction matrix, without a refit (pure, copy-on-write).

The item × item models (EASE, item-kNN) score a shopper as ``row · W``: the weights W stay as
fitted and only the shopper's row changes, so an event counts at once. The matrix is rebuilt
rather than edited in place, so a reader scoring at the same moment keeps a consistent old copy.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np
import scipy.sparse as sp

from contentgen.rank.interactions import Interactions, Weighting

# How much a live event says about a shopper, relative to a purchase (1.0): a view is a weak
# interest, a cart a stronger one. They raise the cell to this value, never lower it.
FOLD_IN_WEIGHTS: dict[str, float] = {"view": 0.25, "cart": 0.5, "purchase": 1.0}


def event_update(event_type: str, weighting: Weighting) -> Callable[[float], float]:
    """The new cell value as a function of the old one, for one event under a matrix's weighting."""
    if event_type not in FOLD_IN_WEIGHTS:
        from contentgen.errors import ConfigError

        raise ConfigError(f"cannot fold in a {event_type!r} event; choose one of {', '.join(FOLD_IN_WEIGHTS)}")
    weight = FOLD_IN_WEIGHTS[event_type]
    if event_type != "purchase" or weighting == "binary":
        return lambda old: max(float(old), weight)

    def one_more_purchase(old: float) -> float:
        # log_count cells hold log(1 + purchases); a value below log(2) came from a view or cart
        purchases = round(float(np.expm1(old))) if old >= np.log1p(1.0) - 1e-6 else 0
        return float(np.log1p(purchases + 1))

    return one_more_purchase


def with_cell(interactions: Interactions, shopper_id: str, column: int, update: Callable[[float], float]) -> Interactions:
    """A copy of ``interactions`` with cell (shopper, column) set to ``update(old)``; a new shopper gets a row."""
    shopper_id = str(shopper_id)
    matrix = interactions.matrix
    if not 0 <= column < matrix.shape[1]:
        raise IndexError(f"column {column} is outside the catalog's {matrix.shape[1]} products")
    row = interactions.shopper_index.get(shopper_id)
    shopper_ids, shopper_index = interactions.shopper_ids, interactions.shopper_index
    indptr = matrix.indptr
    if row is None:  # a shopper first seen now: an empty last row
        row = matrix.shape[0]
        indptr = np.append(indptr, indptr[-1])
        shopper_ids = np.append(np.asarray(shopper_ids, dtype=object), np.array([shopper_id], dtype=object))
        shopper_index = {**shopper_index, shopper_id: row}
    start, stop = int(indptr[row]), int(indptr[row + 1])
    columns = matrix.indices[start:stop]
    hit = np.flatnonzero(columns == column)
    if hit.size:
        data = matrix.data.copy()
        data[start + hit[0]] = update(float(data[start + hit[0]]))
        indices, indptr = matrix.indices, indptr.copy()
    else:
        at = start + int(np.searchsorted(columns, column)) if matrix.has_sorted_indices else stop
        indices = np.insert(matrix.indices, at, column)
        data = np.insert(matrix.data, at, update(0.0))
        indptr = indptr.copy()
        indptr[row + 1:] += 1
    shape = (len(shopper_ids), matrix.shape[1])
    new = sp.csr_matrix((data.astype(matrix.dtype, copy=False), indices, indptr), shape=shape)
    return replace(interactions, matrix=new, shopper_ids=shopper_ids, shopper_index=shopper_index)
