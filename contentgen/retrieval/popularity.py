"""Popularity by segment: the last fallback for shoppers with no history and no interest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from contentgen.retrieval.shoppers import decay


@dataclass(frozen=True)
class Popularity:
    """Decayed buyer counts per product, overall and per segment (columns follow ``product_ids``)."""

    product_ids: tuple[str, ...]
    overall: np.ndarray
    by_segment: Mapping[str, np.ndarray]

    def scores(self, segment: str | None = None) -> np.ndarray:
        """Shares of popularity in ``segment`` (overall when unknown or None)."""
        counts = self.by_segment.get(segment, self.overall) if segment is not None else self.overall
        total = counts.sum()
        return counts / total if total > 0 else counts


def popularity(
    purchases: pd.DataFrame,
    product_ids: tuple[str, ...],
    *,
    now: pd.Timestamp,
    half_life_days: float,
    segment_of: Mapping[str, str] | None = None,
) -> Popularity:
    """Each product's decayed count of distinct buyer-days, overall and per segment."""
    column_of = pd.Series(np.arange(len(product_ids)), index=pd.Index(product_ids))
    purchases = purchases[purchases["product_id"].isin(column_of.index)]
    # one shopper buying one product on one day is one vote: wholesalers' quantities and
    # repeated invoice lines would otherwise drown everyone else
    frame = pd.DataFrame({
        "shopper_id": purchases["shopper_id"].astype(str).to_numpy(),
        "column": column_of.reindex(purchases["product_id"].astype(str)).to_numpy(),
        "day": purchases["timestamp"].dt.floor("D").to_numpy(),
    }).drop_duplicates()
    frame["weight"] = decay(frame["day"], now, half_life_days)
    overall = np.bincount(frame["column"], weights=frame["weight"], minlength=len(product_ids))
    by_segment: dict[str, np.ndarray] = {}
    if segment_of:
        frame["segment"] = frame["shopper_id"].map(dict(segment_of))
        for segment, group in frame.dropna(subset=["segment"]).groupby("segment"):
            by_segment[str(segment)] = np.bincount(
                group["column"], weights=group["weight"], minlength=len(product_ids)
            )
    return Popularity(product_ids, overall, by_segment)
