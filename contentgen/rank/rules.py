"""Business rules applied after scoring: what may never be shown, and what the shop wants pushed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BusinessRules:
    """Exclusions and boosts; ``pinned`` products go first (in order) if they pass the exclusions.

    Args:
        exclude_out_of_stock: drop products whose ``stock`` is known and ≤ 0 (NaN = unknown = in stock).
        margin_floor: drop products whose known ``margin`` is below this fraction (NaN passes).
        excluded: product ids never to recommend (e.g. postage, discontinued lines).
        boosts: product id → amount added to the blended (standardised) score.
    """

    exclude_out_of_stock: bool = True
    margin_floor: float | None = None
    excluded: frozenset[str] = frozenset()
    pinned: tuple[str, ...] = ()
    boosts: dict[str, float] = field(default_factory=dict, hash=False)


def allowed_mask(catalog: pd.DataFrame, rules: BusinessRules) -> np.ndarray:
    """One boolean per catalog row: may this product be recommended at all?"""
    allowed = np.ones(len(catalog), dtype=bool)
    if rules.exclude_out_of_stock and "stock" in catalog:
        stock = catalog["stock"].to_numpy(dtype=float)
        allowed &= ~(stock <= 0)  # NaN compares False: unknown stock stays allowed
    if rules.margin_floor is not None and "margin" in catalog:
        margin = catalog["margin"].to_numpy(dtype=float)
        allowed &= ~(margin < rules.margin_floor)
    if rules.excluded:
        allowed &= ~catalog["product_id"].astype(str).isin(rules.excluded).to_numpy()
    return allowed


def boost_vector(catalog: pd.DataFrame, rules: BusinessRules) -> np.ndarray:
    """Additive boost per catalog row (0 where none)."""
    ids = catalog["product_id"].astype(str)
    return ids.map(rules.boosts).fillna(0.0).to_numpy(dtype=np.float32) if rules.boosts \
        else np.zeros(len(catalog), dtype=np.float32)
