"""Deriving a catalog and a shopper table from order lines, for shops that only export orders."""

from __future__ import annotations

import pandas as pd

from contentgen.data.mapping import Consent
from contentgen.data.schema import CATALOG_COLUMNS, SHOPPER_COLUMNS, conform


def _mode_per_key(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """The most frequent non-empty value of ``column`` per ``key`` (ties: the latest seen wins)."""
    usable = frame.loc[frame[column].fillna("") != "", [key, column, "timestamp"]]
    counts = (
        usable.groupby([key, column], observed=True)
        .agg(n=("timestamp", "size"), last=("timestamp", "max"))
        .reset_index()
        .sort_values(["n", "last"], ascending=False, kind="stable")
    )
    return counts.drop_duplicates(key).set_index(key)[column]


def derive_catalog(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per product: the most frequent name, the median sale price, first and last seen."""
    sales = lines[~lines["is_cancellation"]]
    grouped = lines.groupby("product_id", observed=True)
    catalog = pd.DataFrame(
        {
            "first_seen": grouped["timestamp"].min(),
            "last_seen": grouped["timestamp"].max(),
        }
    )
    catalog["price"] = sales.groupby("product_id", observed=True)["unit_price"].median()
    catalog["price"] = catalog["price"].fillna(grouped["unit_price"].median())
    catalog["title"] = _mode_per_key(lines, "product_id", "title")
    for optional in ("description", "category", "brand"):
        if optional in lines.columns:
            catalog[optional] = _mode_per_key(lines, "product_id", optional)
    catalog = catalog.reset_index()
    catalog["title"] = catalog["title"].astype("string").fillna(catalog["product_id"])
    return conform(catalog, CATALOG_COLUMNS)


def derive_shoppers(events: pd.DataFrame, consent: Consent, countries: pd.Series | None = None) -> pd.DataFrame:
    """One row per shopper: country (most frequent), first order date, assumed consent."""
    grouped = events.groupby("shopper_id", observed=True)
    shoppers = pd.DataFrame({"signup_date": grouped["timestamp"].min()})
    if countries is not None:
        shoppers["country"] = countries
    shoppers = shoppers.reset_index()
    shoppers["consent_email"] = consent.email
    shoppers["consent_sms"] = consent.sms
    shoppers["consent_push"] = consent.push
    return conform(shoppers, SHOPPER_COLUMNS)
