"""New arrivals: products the shop started selling lately and that are selling, toward a shopper's categories.

On the real shop, products first sold in the 60 days before a cutoff are 1.5-4 % of the catalog but
12-16 % of what warm shoppers bought new in the month after it (products 60-120 days old: 1.5-4 %
of the catalog, 7-18 % of the purchases), while EASE's top 10 held about 1 % of them: item-item
models have too few baskets of a product that launched last month to recommend it. Seasonal
lines (the Christmas range each autumn) arrive this way. So this signal scores

    score(u, i) = log(1 + buyers of i in the last window_days) · 0.5^(age_i / half_life_days)
                  · (share of u's purchases in i's category + category_prior)

where age_i counts days since the product's first sale *in the fitted data* (never a catalog
date, which may come from later data and would leak into an evaluation). A product first sold in
the data's first ``warmup_days`` has no known launch, so it is not new. Tuning picks the half-life
and the blend weight per shop (bench/RESULTS.md, issue 22).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from contentgen.data.schema import Shop
from contentgen.errors import ConfigError, NotFittedError
from contentgen.profile.categories import product_categories
from contentgen.rank.base import per_catalog


@dataclass(frozen=True)
class NewArrivalsConfig:
    """How new and how much selling a product must be, and how far the shopper's categories steer.

    Args:
        half_life_days: the newness of a product halves every this many days since its first sale.
        window_days: recent buyers are counted over this many days before the data's end.
        warmup_days: products first sold this close to the data's start have no known launch date.
        personal: weigh each product by the shopper's share of purchases in its category.
        category_prior: added to every category's share, so a new line outside the shopper's
            categories still ranks (and shoppers with no history get the shop-wide order).
    """

    half_life_days: float = 60.0
    window_days: float = 30.0
    warmup_days: float = 30.0
    personal: bool = True
    category_prior: float = 0.05

    def __post_init__(self) -> None:
        for label in ("half_life_days", "window_days"):
            if getattr(self, label) <= 0:
                raise ConfigError(f"NewArrivalsConfig.{label} must be positive, got {getattr(self, label)}")
        if self.warmup_days < 0 or self.category_prior < 0:
            raise ConfigError("NewArrivalsConfig.warmup_days and category_prior must not be negative")


class NewArrivals:
    """Recently launched products that are selling, weighted toward the shopper's categories."""

    name = "new_arrivals"

    def __init__(self, config: NewArrivalsConfig = NewArrivalsConfig()) -> None:
        self.config = config
        self.newness: pd.Series | None = None  # product id → shop-wide score (0: not new or not selling)
        self.category: pd.Series | None = None  # product id → category
        self.shares: dict[str, dict[str, float]] = {}  # shopper → {category: share of their products}

    def fit(self, shop: Shop) -> "NewArrivals":
        config = self.config
        purchases = shop.purchases
        self.category, _ = product_categories(shop.catalog)
        if purchases.empty:
            self.newness, self.shares = pd.Series(dtype=float), {}
            return self
        start, end = purchases["timestamp"].min(), purchases["timestamp"].max()
        products = purchases["product_id"].astype(str)
        first_sale = purchases["timestamp"].groupby(products).min()
        age_days = (end - first_sale) / pd.Timedelta("1D")
        launched = first_sale >= start + pd.Timedelta(days=config.warmup_days)
        recent = purchases[purchases["timestamp"] > end - pd.Timedelta(days=config.window_days)]
        buyers = recent.groupby(recent["product_id"].astype(str))["shopper_id"].nunique()
        buyers = buyers.reindex(first_sale.index).fillna(0).to_numpy(dtype=float)
        newness = np.log1p(buyers) * np.power(0.5, age_days.to_numpy(dtype=float) / config.half_life_days)
        self.newness = pd.Series(np.where(launched.to_numpy(), newness, 0.0), index=first_sale.index)
        self.shares = {}
        if config.personal:
            # one vote per shopper and product, so a wholesaler's reorders do not tilt their shares
            pairs = purchases[["shopper_id", "product_id"]].astype(str).drop_duplicates()
            pairs = pairs.assign(category=pairs["product_id"].map(self.category).fillna(""))
            counts = pairs.groupby(["shopper_id", "category"]).size()
            totals = counts.groupby(level=0).transform("sum")
            for (shopper, category), share in (counts / totals).items():
                self.shares.setdefault(shopper, {})[category] = float(share)
        return self

    def _columns(self, product_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Per catalog column: the shop-wide newness, category codes, and the category names."""
        newness, category = self.newness, self.category

        def compute() -> tuple[np.ndarray, np.ndarray, list[str]]:
            ids = [str(p) for p in product_ids]
            row = newness.reindex(ids).fillna(0.0).to_numpy(np.float32)
            codes, names = pd.factorize(category.reindex(ids).fillna("").to_numpy())
            return row, codes, list(names)

        return per_catalog(self, "_column_memo", product_ids, newness, category, compute=compute)

    def score(self, shopper_ids: Sequence[str], product_ids: Sequence[str]) -> np.ndarray:
        if self.newness is None:
            raise NotFittedError("NewArrivals is not fitted: call .fit(shop) first")
        row, codes, names = self._columns(product_ids)
        out = np.broadcast_to(row, (len(shopper_ids), len(row))).copy()
        if not self.config.personal:
            return out
        prior = self.config.category_prior
        for r, shopper in enumerate(shopper_ids):
            shares = self.shares.get(str(shopper), {})
            weight = np.array([shares.get(name, 0.0) + prior for name in names], dtype=np.float32)
            out[r] *= weight[codes]
        return out
