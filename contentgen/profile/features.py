"""Per-shopper behaviour features as of a date: RFM, counts, returns, cadence, affinities.

Pure and vectorised: a ``Shop`` in, frames out, no I/O. Only events strictly before ``as_of``
are read, so features at a cutoff never see what happened after it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from contentgen.data.schema import EVENT_TYPES, Shop
from contentgen.errors import DataError
from contentgen.profile.categories import product_categories
from contentgen.profile.config import ProfileConfig

logger = logging.getLogger(__name__)

DAY = pd.Timedelta(days=1)

# Columns every feature frame has, in order (window and event-count columns are added per config).
BASE_COLUMNS: tuple[str, ...] = (
    "country",
    "n_orders",
    "monetary",
    "recency_days",
    "r_score",
    "f_score",
    "m_score",
    "rfm_score",
    "rfm_total",
    "avg_order_value",
    "return_value",
    "return_rate",
    "mean_interpurchase_days",
    "first_purchase",
    "last_purchase",
    "last_active",
    "tenure_days",
    "n_products",
    "n_categories",
    "top_category",
    "orders_season_last_year",
)


@dataclass(frozen=True)
class FeatureSet:
    """Features of every shopper at ``as_of``, plus time-decayed affinities.

    ``frame`` is indexed by shopper_id. ``category_affinity`` is shoppers × categories, each row
    summing to 1 for shoppers with purchases. ``product_affinity`` is long: shopper_id,
    product_id, affinity (per-shopper shares, highest first).
    """

    frame: pd.DataFrame
    category_affinity: pd.DataFrame
    product_affinity: pd.DataFrame
    category_source: str
    as_of: pd.Timestamp


def default_as_of(shop: Shop) -> pd.Timestamp:
    """The day after the last event: "today" for a shop export."""
    if shop.events.empty:
        raise DataError("the shop has no events, so there is no date to profile at; pass as_of explicitly")
    return pd.Timestamp(shop.events["timestamp"].max()).normalize() + DAY


def _order_keys(events: pd.DataFrame) -> pd.Series:
    # Exports without invoice numbers still group lines bought together: same shopper, same minute.
    order_id = events["order_id"].astype("string").fillna("")
    missing = order_id == ""
    if missing.any():
        order_id = order_id.copy()
        order_id[missing] = "t:" + events.loc[missing, "timestamp"].dt.strftime("%Y-%m-%d %H:%M")
    return order_id


def _days(delta: pd.Series) -> pd.Series:
    return delta / DAY


def _score(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """Quintile score 1..5 among shoppers with a value (5 = best)."""
    ranks = values.rank(method="average", pct=True, ascending=higher_is_better)
    return np.ceil(ranks * 5).clip(1, 5)


def compute_features(
    shop: Shop, as_of: pd.Timestamp | str | None = None, config: ProfileConfig = ProfileConfig()
) -> FeatureSet:
    """Behaviour features of every shopper in ``shop`` from its events before ``as_of``."""
    as_of = default_as_of(shop) if as_of is None else pd.Timestamp(as_of)
    events = shop.events[shop.events["timestamp"] < as_of]
    ids = pd.Index(
        pd.concat([shop.shoppers["shopper_id"], events["shopper_id"]]).astype(str).unique(), name="shopper_id"
    )
    frame = pd.DataFrame(index=ids)
    countries = shop.shoppers.drop_duplicates("shopper_id").set_index("shopper_id")["country"]
    frame["country"] = countries.reindex(ids).fillna("").astype("string")

    categories, category_source = product_categories(shop.catalog)
    purchases = events[events["event_type"] == "purchase"]
    returns = events[events["event_type"] == "return"]

    # Orders: one row per (shopper, order) with its time and value.
    orders = (
        purchases.assign(order_key=_order_keys(purchases))
        .groupby(["shopper_id", "order_key"], observed=True, sort=False)
        .agg(timestamp=("timestamp", "min"), value=("value", "sum"))
        .reset_index()
    )
    by_shopper = orders.groupby("shopper_id", observed=True)
    frame["n_orders"] = by_shopper.size().reindex(ids).fillna(0).astype("int64")
    frame["monetary"] = purchases.groupby("shopper_id", observed=True)["value"].sum().reindex(ids).fillna(0.0)
    frame["first_purchase"] = by_shopper["timestamp"].min().reindex(ids)
    frame["last_purchase"] = by_shopper["timestamp"].max().reindex(ids)
    frame["recency_days"] = _days(as_of - frame["last_purchase"])

    buyers = frame["n_orders"] > 0
    frame["r_score"] = _score(frame.loc[buyers, "recency_days"], higher_is_better=False)
    frame["f_score"] = _score(frame.loc[buyers, "n_orders"], higher_is_better=True)
    frame["m_score"] = _score(frame.loc[buyers, "monetary"], higher_is_better=True)
    frame[["r_score", "f_score", "m_score"]] = frame[["r_score", "f_score", "m_score"]].fillna(0).astype("int64")
    frame["rfm_score"] = (
        frame["r_score"].astype(str) + frame["f_score"].astype(str) + frame["m_score"].astype(str)
    ).where(buyers, "")
    frame["rfm_total"] = frame["r_score"] + frame["f_score"] + frame["m_score"]

    frame["avg_order_value"] = (frame["monetary"] / frame["n_orders"].where(buyers)).astype("float64")
    frame["return_value"] = returns.groupby("shopper_id", observed=True)["value"].sum().reindex(ids).fillna(0.0)
    # Returns can refer to purchases before the window, so the share is capped at everything.
    frame["return_rate"] = (frame["return_value"] / frame["monetary"].where(buyers)).clip(upper=1.0).fillna(0.0)

    # Cadence: mean gap in days between consecutive orders (NaN with fewer than two orders).
    ordered = orders.sort_values(["shopper_id", "timestamp"])
    gaps = _days(ordered.groupby("shopper_id", observed=True)["timestamp"].diff())
    frame["mean_interpurchase_days"] = gaps.groupby(ordered["shopper_id"], observed=True).mean().reindex(ids)

    frame["last_active"] = events.groupby("shopper_id", observed=True)["timestamp"].max().reindex(ids)
    signup = shop.shoppers.drop_duplicates("shopper_id").set_index("shopper_id")["signup_date"].reindex(ids)
    first_seen = events.groupby("shopper_id", observed=True)["timestamp"].min().reindex(ids)
    # A signup date after as_of (a shopper who did not exist yet) must not give negative tenure.
    start = pd.concat([signup.where(signup < as_of), first_seen], axis=1).min(axis=1)
    frame["tenure_days"] = _days(as_of - start).fillna(0.0)

    purchase_categories = purchases["product_id"].map(categories).fillna("other")
    products = purchases.groupby("shopper_id", observed=True)["product_id"].nunique()
    frame["n_products"] = products.reindex(ids).fillna(0).astype("int64")
    frame["n_categories"] = (
        purchase_categories.groupby(purchases["shopper_id"], observed=True).nunique().reindex(ids).fillna(0).astype("int64")
    )

    category_affinity, product_affinity = _affinities(purchases, purchase_categories, as_of, config, ids)
    if category_affinity.shape[1]:
        top = category_affinity.idxmax(axis=1).where(category_affinity.sum(axis=1) > 0, "")
        frame["top_category"] = top.reindex(ids).fillna("").astype("string")
    else:  # nobody has bought anything yet
        frame["top_category"] = pd.Series("", index=ids, dtype="string")

    season_start = as_of - pd.Timedelta(days=365)
    season_end = season_start + pd.Timedelta(days=config.season_window_days)
    season = orders[(orders["timestamp"] >= season_start) & (orders["timestamp"] < season_end)]
    season_orders = season.groupby("shopper_id", observed=True).size()
    frame["orders_season_last_year"] = season_orders.reindex(ids).fillna(0).astype("int64")

    for window in config.windows_days:
        recent = orders[orders["timestamp"] >= as_of - pd.Timedelta(days=window)]
        grouped = recent.groupby("shopper_id", observed=True)
        frame[f"orders_{window}d"] = grouped.size().reindex(ids).fillna(0).astype("int64")
        frame[f"spend_{window}d"] = grouped["value"].sum().reindex(ids).fillna(0.0)

    counts = events.groupby(["shopper_id", "event_type"], observed=True).size().unstack(fill_value=0)
    for event_type in EVENT_TYPES:
        column = counts[event_type] if event_type in counts.columns else pd.Series(0, index=counts.index)
        frame[f"n_{event_type}"] = column.reindex(ids).fillna(0).astype("int64")

    logger.debug("features for %d shoppers (%d buyers) as of %s", len(frame), int(buyers.sum()), as_of.date())
    return FeatureSet(frame, category_affinity, product_affinity, category_source, as_of)


def _affinities(
    purchases: pd.DataFrame,
    purchase_categories: pd.Series,
    as_of: pd.Timestamp,
    config: ProfileConfig,
    ids: pd.Index,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Time-decayed spend shares per category (wide) and per product (long)."""
    age_days = _days(as_of - purchases["timestamp"]).to_numpy()
    # Spend is the signal; decay halves it every half-life so old habits fade but never vanish.
    weight = purchases["value"].clip(lower=0).to_numpy() * np.power(0.5, age_days / config.affinity_half_life_days)
    weighted = pd.DataFrame(
        {"shopper_id": purchases["shopper_id"].to_numpy(), "category": purchase_categories.to_numpy(),
         "product_id": purchases["product_id"].to_numpy(), "weight": weight}
    )
    by_category = weighted.groupby(["shopper_id", "category"], observed=True)["weight"].sum().unstack(fill_value=0.0)
    totals = by_category.sum(axis=1)
    category_affinity = by_category.div(totals.where(totals > 0), axis=0).fillna(0.0)
    category_affinity = category_affinity.reindex(ids).fillna(0.0)
    category_affinity = category_affinity[sorted(category_affinity.columns)]
    category_affinity.columns.name = "category"

    product = weighted.groupby(["shopper_id", "product_id"], observed=True)["weight"].sum().reset_index()
    shopper_totals = product.groupby("shopper_id", observed=True)["weight"].transform("sum")
    product["affinity"] = (product["weight"] / shopper_totals.where(shopper_totals > 0)).fillna(0.0)
    product = product.drop(columns="weight").sort_values(["shopper_id", "affinity"], ascending=[True, False])
    return category_affinity, product.reset_index(drop=True)
