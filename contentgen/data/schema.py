"""The canonical shape of a shop: three frames with fixed column names and dtypes.

Every reader maps a shop's own export onto these columns; every later stage reads only these.

catalog   one row per product
    product_id   str      stable id (the shop's SKU / stock code)
    title        str      display name, cleaned (case normalised for display, see ``display_title``)
    description  str      may be empty
    category     str      may be empty; ``category_source`` says whether it is given or derived
    brand        str      may be empty
    price        float    current/median unit price in ``currency``
    stock        float    units in stock, NaN when unknown (unknown counts as in stock)
    margin       float    gross margin as a fraction of price, NaN when unknown
    first_seen   datetime first time the product appears in events (NaT if never)
    last_seen    datetime last time the product appears in events (NaT if never)

shoppers  one row per shopper
    shopper_id     str
    first_name     str       may be empty (the only PII a message may use)
    country        str       may be empty
    locale         str       e.g. "en-GB", may be empty
    signup_date    datetime  first order when derived from order lines
    consent_email  bool
    consent_sms    bool
    consent_push   bool

events    one row per behaviour event
    shopper_id   str
    product_id   str
    event_type   str       one of EVENT_TYPES
    timestamp    datetime  naive, shop-local time
    quantity     float     units (positive; returns are positive quantities of type "return")
    value        float     money value of the event in ``currency`` (quantity × unit price), 0 for views
    order_id     str       may be empty
    rating       float     NaN unless event_type == "rating"
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

EVENT_TYPES: tuple[str, ...] = ("view", "cart", "purchase", "return", "rating")

CATALOG_COLUMNS: dict[str, str] = {
    "product_id": "string",
    "title": "string",
    "description": "string",
    "category": "string",
    "brand": "string",
    "price": "float64",
    "stock": "float64",
    "margin": "float64",
    "first_seen": "datetime64[us]",
    "last_seen": "datetime64[us]",
}

SHOPPER_COLUMNS: dict[str, str] = {
    "shopper_id": "string",
    "first_name": "string",
    "country": "string",
    "locale": "string",
    "signup_date": "datetime64[us]",
    "consent_email": "bool",
    "consent_sms": "bool",
    "consent_push": "bool",
}

EVENT_COLUMNS: dict[str, str] = {
    "shopper_id": "string",
    "product_id": "string",
    "event_type": "string",
    "timestamp": "datetime64[us]",
    "quantity": "float64",
    "value": "float64",
    "order_id": "string",
    "rating": "float64",
}


def conform(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Return ``frame`` with exactly ``columns`` in order and dtype, filling absent ones."""
    out = pd.DataFrame(index=frame.index)
    for name, dtype in columns.items():
        if name in frame.columns:
            series = frame[name]
        elif dtype == "string":
            series = pd.Series("", index=frame.index)
        elif dtype == "bool":
            series = pd.Series(False, index=frame.index)
        elif dtype.startswith("datetime"):
            series = pd.Series(pd.NaT, index=frame.index)
        else:
            series = pd.Series(float("nan"), index=frame.index)
        if dtype == "string":
            series = series.astype("string").fillna("")
        out[name] = series.astype(dtype)
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Shop:
    """A validated shop: catalog, shoppers and behaviour events in the canonical schema."""

    catalog: pd.DataFrame
    shoppers: pd.DataFrame
    events: pd.DataFrame
    currency: str = "GBP"
    name: str = "shop"
    report: "LoadReport | None" = field(default=None, compare=False, repr=False)

    @property
    def purchases(self) -> pd.DataFrame:
        """Purchase events only."""
        return self.events[self.events["event_type"] == "purchase"]

    def product(self, product_id: str) -> pd.Series:
        """One catalog row by id (KeyError naming the id if absent)."""
        rows = self.catalog[self.catalog["product_id"] == product_id]
        if rows.empty:
            raise KeyError(f"product {product_id!r} is not in the catalog of {self.name!r}")
        return rows.iloc[0]

    def until(self, cutoff: pd.Timestamp) -> "Shop":
        """The shop as it was known strictly before ``cutoff``: no later events leak through."""
        cutoff = pd.Timestamp(cutoff)
        events = self.events[self.events["timestamp"] < cutoff].reset_index(drop=True)
        return Shop(self.catalog, self.shoppers, events, self.currency, self.name, self.report)


# imported late to keep schema.py free of reader logic while typing LoadReport above
from contentgen.data.report import LoadReport  # noqa: E402
