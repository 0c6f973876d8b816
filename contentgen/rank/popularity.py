"""Non-personal and self signals: recent popularity, and a shopper's own repeat purchases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from contentgen.data.schema import Shop
from contentgen.errors import NotFittedError


def _decay_weights(timestamps: pd.Series, now: pd.Timestamp, half_life_days: float | None) -> np.ndarray:
    if half_life_days is None:
        return np.ones(len(timestamps))
    age_days = (now - timestamps) / pd.Timedelta("1D")
    return np.power(0.5, age_days.to_numpy(dtype=float) / half_life_days)


@dataclass(frozen=True)
class PopularityConfig:
    """Distinct buyers per product, each purchase weighted by 0.5^(age / half_life_days)."""

    half_life_days: float | None = 60.0


class Popularity:
    """The same score for every shopper: how many (recent) shoppers bought the product."""

    name = "popularity"

    def __init__(self, config: PopularityConfig = PopularityConfig()) -> None:
        self.config = config
        self.scores: pd.Series | None = None

    def fit(self, shop: Shop) -> "Popularity":
        purchases = shop.purchases
        if purchases.empty:
            self.scores = pd.Series(dtype=float)
            return self
        now = purchases["timestamp"].max()
        # One vote per shopper and product (its latest purchase): a wholesaler's 50 reorders
        # should not outweigh 50 different shoppers.
        latest = purchases.groupby(["product_id", "shopper_id"], observed=True)["timestamp"].max()
        weights = _decay_weights(latest, now, self.config.half_life_days)
        self.scores = pd.Series(weights, index=latest.index.get_level_values(0)).groupby(level=0).sum()
        self.scores.index = self.scores.index.astype(str)
        return self

    def product_scores(self, product_ids: Sequence[str]) -> np.ndarray:
        """Popularity of each product (0 if never bought)."""
        if self.scores is None:
            raise NotFittedError("Popularity is not fitted: call .fit(shop) first")
        return self.scores.reindex([str(p) for p in product_ids]).fillna(0.0).to_numpy(np.float32)

    def score(self, shopper_ids: Sequence[str], product_ids: Sequence[str]) -> np.ndarray:
        row = self.product_scores(product_ids)
        return np.broadcast_to(row, (len(shopper_ids), len(row))).copy()


@dataclass(frozen=True)
class RepeatConfig:
    """How strongly a shopper's own past purchases predict a re-purchase ("buy again")."""

    half_life_days: float | None = 120.0


class Repeat:
    """score(u, i) = Σ over u's purchases of i of 0.5^(age / half_life): recent, frequent re-buys first."""

    name = "repeat"

    def __init__(self, config: RepeatConfig = RepeatConfig()) -> None:
        self.config = config
        self.table: pd.Series | None = None

    def fit(self, shop: Shop) -> "Repeat":
        purchases = shop.purchases
        now = purchases["timestamp"].max() if not purchases.empty else pd.Timestamp(0)
        # One count per order so a line split over several rows of one invoice is one purchase.
        orders = purchases.drop_duplicates(["shopper_id", "product_id", "order_id"])
        weights = _decay_weights(orders["timestamp"], now, self.config.half_life_days)
        self.table = (
            pd.Series(weights, index=pd.MultiIndex.from_arrays(
                [orders["shopper_id"].astype(str), orders["product_id"].astype(str)]))
            .groupby(level=[0, 1]).sum()
        )
        return self

    def score(self, shopper_ids: Sequence[str], product_ids: Sequence[str]) -> np.ndarray:
        if self.table is None:
            raise NotFittedError("Repeat is not fitted: call .fit(shop) first")
        shopper_pos = {str(s): i for i, s in enumerate(shopper_ids)}
        product_pos = {str(p): j for j, p in enumerate(product_ids)}
        out = np.zeros((len(shopper_ids), len(product_ids)), dtype=np.float32)
        table = self.table[self.table.index.get_level_values(0).isin(list(shopper_pos))]
        rows = table.index.get_level_values(0).map(shopper_pos).to_numpy()
        cols = table.index.get_level_values(1).map(lambda p: product_pos.get(p, -1)).to_numpy()
        keep = cols >= 0
        out[rows[keep].astype(int), cols[keep].astype(int)] = table.to_numpy()[keep]
        return out
