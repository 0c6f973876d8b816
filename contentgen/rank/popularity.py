"""Non-personal and self signals: recent popularity, and a shopper's own repeat purchases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from contentgen.data.schema import Shop
from contentgen.errors import NotFittedError
from contentgen.rank.base import per_catalog


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
        scores = self.scores
        row = per_catalog(self, "_row_memo", product_ids, scores,  # the same for every shopper
                          compute=lambda: scores.reindex([str(p) for p in product_ids]).fillna(0.0).to_numpy(np.float32))
        return row.copy()  # a caller may write into its row

    def score(self, shopper_ids: Sequence[str], product_ids: Sequence[str]) -> np.ndarray:
        row = self.product_scores(product_ids)
        return np.broadcast_to(row, (len(shopper_ids), len(row))).copy()


class Trending(Popularity):
    """What is selling this week: popularity with a half-life of days, not months.

    Blended with EASE on the real shop's four monthly cutoffs, a 7-day half-life lifted new-to-shopper
    NDCG@10 by 2-17 % where the 60-day popularity gave 1-6 % (bench/RESULTS.md, issue 22): shoppers
    buy into what is moving now (seasonal lines ramp up week by week). Tuning picks its half-life
    and its weight per shop; the 60-day popularity stays the cold-start fallback.
    """

    name = "trending"

    def __init__(self, config: PopularityConfig = PopularityConfig(half_life_days=7.0)) -> None:
        super().__init__(config)


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
        by_shopper = self._by_shopper()
        columns = self._product_columns(product_ids)
        out = np.zeros((len(shopper_ids), len(product_ids)), dtype=np.float32)
        for row, shopper in enumerate(shopper_ids):
            for product, value in by_shopper.get(str(shopper), {}).items():
                column = columns.get(product)
                if column is not None:
                    out[row, column] = value
        return out

    def add_purchase(self, shopper_id: str, product_id: str, weight: float = 1.0) -> None:
        """One more purchase (the newest, so undecayed by default): copy-on-write, readers keep their copy."""
        key = (str(shopper_id), str(product_id))
        table = self.table.copy()
        table.loc[key] = float(table.get(key, 0.0)) + weight
        by_shopper = self._by_shopper()
        mine = {**by_shopper.get(key[0], {}), key[1]: float(table.loc[key])}
        self._shopper_memo = (table, {**by_shopper, key[0]: mine})
        self.table = table

    def _by_shopper(self) -> dict[str, dict[str, float]]:
        """``table`` as shopper → {product: score}: a request reads one shopper's few cells, not the table."""
        memo = self.__dict__.get("_shopper_memo")
        if memo is not None and memo[0] is self.table:
            return memo[1]
        by_shopper: dict[str, dict[str, float]] = {}
        shoppers = self.table.index.get_level_values(0).astype(str)
        products = self.table.index.get_level_values(1).astype(str)
        for shopper, product, value in zip(shoppers, products, self.table.to_numpy(dtype=float)):
            by_shopper.setdefault(shopper, {})[product] = float(value)
        self._shopper_memo = (self.table, by_shopper)
        return by_shopper

    def _product_columns(self, product_ids: Sequence[str]) -> dict[str, int]:
        return per_catalog(self, "_column_memo", product_ids,
                           compute=lambda: {str(p): j for j, p in enumerate(product_ids)})
