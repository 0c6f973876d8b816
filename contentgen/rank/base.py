"""The Scorer protocol every ranking signal implements, and the shared collaborative-filtering base."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np
import scipy.sparse as sp

from contentgen.data.schema import Shop
from contentgen.errors import NotFittedError
from contentgen.rank.interactions import Interactions, Weighting, build_interactions


@runtime_checkable
class Scorer(Protocol):
    """One signal: fitted on a shop's past, it scores (shopper, product) pairs; higher is better."""

    name: str

    def fit(self, shop: Shop) -> "Scorer": ...

    def score(self, shopper_ids: Sequence[str], product_ids: Sequence[str]) -> np.ndarray:
        """A float32 array of shape (len(shopper_ids), len(product_ids)); 0 where unknown."""
        ...


class InteractionScorer:
    """Base for scorers computed from the purchase matrix: subclasses implement ``_fit`` and ``_score_rows``."""

    name = "interaction"
    weighting: Weighting = "binary"

    def __init__(self) -> None:
        self.interactions: Interactions | None = None
        # The rows a shopper is scored from; with a history half-life, recent baskets weigh more.
        self.history: Interactions | None = None

    @property
    def history_half_life_days(self) -> float | None:
        """Half-life of the time decay on the shopper's history when scoring (from the config)."""
        return getattr(getattr(self, "config", None), "half_life_days", None)

    def fit(self, shop: Shop) -> "InteractionScorer":
        self.interactions = build_interactions(shop, weighting=self.weighting)
        self._fit(self.interactions)
        self.set_history(shop, self.history_half_life_days)
        return self

    def set_history(self, shop: Shop, half_life_days: float | None) -> "InteractionScorer":
        """Score from ``shop``'s purchases decayed with ``half_life_days`` (no refit of the model).

        The model (item × item weights, similarities) stays as fitted on binary purchases; only
        the shopper's own history is weighted by recency, so tuning can try several half-lives
        on one fit.
        """
        if half_life_days is None:
            self.history = self.interactions
        else:
            self.history = build_interactions(shop, weighting=self.weighting, half_life_days=half_life_days,
                                              product_ids=self.interactions.product_ids)
        return self

    def _fit(self, interactions: Interactions) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _score_rows(self, rows: sp.csr_matrix) -> np.ndarray:  # pragma: no cover - abstract
        """Scores of every catalog product for the given interaction rows (n_rows × n_products)."""
        raise NotImplementedError

    def _require_fitted(self) -> Interactions:
        if self.interactions is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted: call .fit(shop) first")
        return self.interactions

    def score_all(self, shopper_ids: Sequence[str]) -> np.ndarray:
        """Scores of every catalog product (in ``interactions.product_ids`` order) per shopper."""
        interactions = self._require_fitted()
        history = self.history if self.history is not None else interactions
        return np.asarray(self._score_rows(history.rows_for(shopper_ids)), dtype=np.float32)

    def score(self, shopper_ids: Sequence[str], product_ids: Sequence[str]) -> np.ndarray:
        interactions = self._require_fitted()
        full = self.score_all(shopper_ids)
        cols = self._columns(interactions, product_ids)
        if cols is None:  # the catalog's own order: nothing to reorder
            return full
        out = np.zeros((len(shopper_ids), len(cols)), dtype=np.float32)
        known = cols >= 0
        out[:, known] = full[:, cols[known]]
        return out

    def _columns(self, interactions: Interactions, product_ids: Sequence[str]) -> np.ndarray | None:
        """``interactions.columns_for(product_ids)``, None when that is every column in order."""
        return per_catalog(self, "_column_memo", product_ids, interactions.product_index,
                           compute=lambda: _identity_or(interactions.columns_for(product_ids), interactions.shape[1]))


def per_catalog(owner: object, slot: str, product_ids: Sequence[str], *inputs: object, compute):
    """``compute()``, remembered on ``owner`` (attribute ``slot``) for the last ``product_ids`` array.

    The recommender asks every scorer with the same catalog array on every request, and mapping
    thousands of ids costs more than scoring one shopper. The memo holds while ``product_ids`` and each
    of ``inputs`` (e.g. the fitted table) are the very same objects; a list may change between calls,
    so it is never remembered.
    """
    if not isinstance(product_ids, (np.ndarray, tuple)):
        return compute()
    memo = owner.__dict__.get(slot)
    if memo is not None and memo[0] is product_ids and len(memo[1]) == len(inputs) \
            and all(a is b for a, b in zip(memo[1], inputs)):
        return memo[2]
    value = compute()
    setattr(owner, slot, (product_ids, inputs, value))
    return value


def _identity_or(cols: np.ndarray, n_columns: int) -> np.ndarray | None:
    """None when ``cols`` is every column in order, else ``cols``."""
    return None if len(cols) == n_columns and np.array_equal(cols, np.arange(n_columns)) else cols
