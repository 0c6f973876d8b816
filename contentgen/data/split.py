"""Temporal splits: train on what was known before a cutoff, test on what shoppers bought next."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from contentgen.data.schema import Shop
from contentgen.errors import ConfigError


@dataclass(frozen=True)
class TemporalSplit:
    """``train`` holds only events before ``cutoff``; ``truth`` what each shopper bought in [cutoff, end)."""

    train: Shop
    cutoff: pd.Timestamp
    end: pd.Timestamp
    truth: dict[str, set[str]]  # every shopper who bought in the window → products bought
    repeat_truth: dict[str, set[str]]  # same, restricted to products the shopper bought before cutoff
    new_truth: dict[str, set[str]]  # same, restricted to products new to the shopper
    warm_shoppers: frozenset[str]  # bought before cutoff
    cold_shoppers: frozenset[str]  # first purchase inside the window


def _products_by_shopper(events: pd.DataFrame) -> dict[str, set[str]]:
    pairs = events[["shopper_id", "product_id"]].astype(str).drop_duplicates()
    out: dict[str, set[str]] = {}
    for shopper, product in zip(pairs["shopper_id"].tolist(), pairs["product_id"].tolist()):
        out.setdefault(shopper, set()).add(product)
    return out


def temporal_split(shop: Shop, cutoff: str | pd.Timestamp, end: str | pd.Timestamp | None = None) -> TemporalSplit:
    """Split ``shop`` at ``cutoff``; the test window runs to ``end`` (default: the last event)."""
    cutoff = pd.Timestamp(cutoff)
    end = pd.Timestamp(end) if end is not None else shop.events["timestamp"].max() + pd.Timedelta("1s")
    if end <= cutoff:
        raise ConfigError(f"test window end {end} must come after cutoff {cutoff}")
    train = shop.until(cutoff)
    # A product enters the catalog when it is first seen: otherwise a model could pick, among
    # all products, the ones we only know exist because they sell in the test window.
    first_seen = train.catalog["first_seen"]
    known = first_seen.isna() | (first_seen < cutoff)
    train = Shop(train.catalog[known.to_numpy()].reset_index(drop=True), train.shoppers, train.events,
                 train.currency, train.name, train.report)
    purchases = shop.purchases
    window = purchases[(purchases["timestamp"] >= cutoff) & (purchases["timestamp"] < end)]
    past = train.purchases
    truth_dict = _products_by_shopper(window)
    before = _products_by_shopper(past)
    repeat = {s: items & before.get(s, set()) for s, items in truth_dict.items()}
    new = {s: items - before.get(s, set()) for s, items in truth_dict.items()}
    warm = frozenset(s for s in truth_dict if s in before)
    cold = frozenset(s for s in truth_dict if s not in before)
    return TemporalSplit(train, cutoff, end, truth_dict, repeat, new, warm, cold)
