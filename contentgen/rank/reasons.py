"""Human-readable reasons naming real products: why this product, for this shopper."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Evidence:
    """The history product that contributes most to a CF score, and how much."""

    product_index: int
    weight: float


def strongest_history_item(history: sp.csr_matrix, item_weights: sp.csr_matrix, target: int) -> Evidence | None:
    """argmax_h x_h · W[h, target] over the shopper's history row; None if nothing contributes."""
    idx = history.indices
    if len(idx) == 0:
        return None
    if item_weights.format == "csc":  # one column straight from the arrays (scipy's 2-D indexing is slow)
        start, stop = item_weights.indptr[target], item_weights.indptr[target + 1]
        column = np.zeros(item_weights.shape[0], dtype=item_weights.dtype)
        np.add.at(column, item_weights.indices[start:stop], item_weights.data[start:stop])
        weights = column[idx]
    else:
        weights = np.asarray(item_weights[idx, target].todense()).ravel()
    contributions = weights * history.data
    best = int(np.argmax(contributions))
    if contributions[best] <= 0:
        return None
    return Evidence(int(idx[best]), float(contributions[best]))


def often_bought_with(title: str) -> str:
    return f"often bought with {title}"


def similar_to(title: str) -> str:
    return f"similar to {title} you bought"


def buy_again(times: int, title: str) -> str:
    if times <= 1:
        return f"you bought {title} before: time to restock?"
    return f"you bought {title} {times} times before"


# Popularity is shop-wide and recency-weighted, so the reason says exactly that.
POPULAR = "popular with our shoppers right now"
COLD_START = "new here: one of our current bestsellers"
PINNED = "featured by the shop"
