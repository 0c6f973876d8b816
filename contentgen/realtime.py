"""Live events: a view, cart or purchase folded into a built ContentService at once, without a refit.

The recommender's item-based scorers take the event into the shopper's row
(``Recommender.fold_in``); the shopper's profile row is brought up to date (orders, spend, recency,
segment); a shopper first seen now gets a profile. Population-wide things (RFM quintiles, clusters,
propensity, affinities, popularity, the offer plan) wait for the next full fit, which
``shop_with_events`` prepares by adding the stored live events to the shop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import logging

import numpy as np
import pandas as pd

from contentgen.data.schema import EVENT_COLUMNS, Shop, conform

logger = logging.getLogger(__name__)

LIVE_EVENT_TYPES: tuple[str, ...] = ("view", "cart", "purchase")
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class LiveEvent:
    """One behaviour event as a shop's system reports it."""

    shopper_id: str
    product_id: str
    event_type: str  # one of LIVE_EVENT_TYPES
    timestamp: pd.Timestamp
    quantity: float = 1.0
    value: float = 0.0  # money value of a purchase, in the shop's currency
    order_id: str = ""


@dataclass(frozen=True)
class FoldResult:
    """What folding one event changed."""

    shopper_id: str
    new_shopper: bool
    known_product: bool
    segment_before: str
    segment_after: str


def profile_row_after(row: pd.Series, event: LiveEvent, as_of: pd.Timestamp, new_order: bool) -> pd.Series:
    """The profile features of ``row`` after ``event`` (pure; the segment is assigned by the caller)."""
    row = row.copy()
    timestamp = pd.Timestamp(event.timestamp)
    counter = f"n_{event.event_type}"
    if counter in row.index:
        row[counter] = int(row[counter]) + 1
    if "last_active" in row.index:
        row["last_active"] = timestamp if pd.isna(row["last_active"]) else max(row["last_active"], timestamp)
    if event.event_type != "purchase":
        return row
    orders = int(row["n_orders"]) + (1 if new_order or int(row["n_orders"]) == 0 else 0)
    row["n_orders"] = orders
    row["monetary"] = float(row["monetary"]) + float(event.value)
    row["first_purchase"] = timestamp if pd.isna(row["first_purchase"]) else min(row["first_purchase"], timestamp)
    row["last_purchase"] = timestamp if pd.isna(row["last_purchase"]) else max(row["last_purchase"], timestamp)
    # an event after the profile date is "just now", not a negative number of days
    row["recency_days"] = max(0.0, (pd.Timestamp(as_of) - row["last_purchase"]) / DAY)
    row["avg_order_value"] = row["monetary"] / orders
    return row


def _new_profile_row(frame: pd.DataFrame, shopper_id: str) -> pd.DataFrame:
    """A one-row frame for a shopper the profiles never saw: no history, the columns' empty values."""
    values = {}
    for column, dtype in frame.dtypes.items():
        if column == "segment":
            values[column] = pd.Categorical(["cold_start"], categories=frame[column].cat.categories)
        elif column == "cluster":
            values[column] = np.array([-1], dtype=dtype)
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            values[column] = pd.Series([pd.NaT], dtype=dtype)
        elif pd.api.types.is_bool_dtype(dtype):
            values[column] = np.array([False])
        elif pd.api.types.is_integer_dtype(dtype):
            values[column] = np.array([0], dtype=dtype)
        elif pd.api.types.is_float_dtype(dtype):
            nan_columns = ("avg_order_value", "recency_days", "mean_interpurchase_days", "propensity")
            values[column] = np.array([np.nan if column in nan_columns else 0.0], dtype=dtype)
        else:
            values[column] = pd.Series([""], dtype=dtype)
    new = pd.DataFrame({c: pd.Series(v).to_numpy() if not isinstance(v, pd.Categorical) else v for c, v in values.items()},
                       index=pd.Index([shopper_id], name=frame.index.name))
    return new.astype(frame.dtypes.to_dict())


class LiveFolder:
    """Folds events into one service, one at a time (not thread-safe: callers hold a lock).

    Remembers each shopper's last live order, so the lines of one order count as one order."""

    def __init__(self, service) -> None:
        self.service = service
        self._last_order: dict[str, str] = {}

    def fold(self, event: LiveEvent) -> FoldResult:
        from contentgen.profile.segments import assign_segments

        service = self.service
        shopper = str(event.shopper_id)
        known_product = service.recommender.fold_in(shopper, str(event.product_id), event.event_type)
        profiles = service.profiles
        frame = profiles.frame
        new_shopper = shopper not in frame.index
        if new_shopper:
            frame = pd.concat([frame, _new_profile_row(frame, shopper)])
        before = str(frame.at[shopper, "segment"])
        new_order = not event.order_id or self._last_order.get(shopper) != event.order_id
        if event.event_type == "purchase":
            self._last_order[shopper] = event.order_id
        row = profile_row_after(frame.loc[shopper], event, profiles.as_of, new_order)
        one = row.to_frame().T.astype(frame.dtypes.to_dict())
        segment = str(assign_segments(one, profiles.as_of, profiles.config.segments).iloc[0])
        # in place: the caller serialises folds and reads (the HTTP service holds one lock for both)
        for column, value in row.items():
            if column != "segment":
                frame.at[shopper, column] = value
        frame.at[shopper, "segment"] = segment
        service.profiles = replace(profiles, frame=frame)
        return FoldResult(shopper, new_shopper, known_product, before, segment)


def shop_with_events(shop: Shop, events: pd.DataFrame) -> Shop:
    """``shop`` with live events (columns of ``EVENT_COLUMNS``, missing ones filled) appended, for a full fit."""
    if events.empty:
        return shop
    extra = conform(events, EVENT_COLUMNS)
    combined = pd.concat([shop.events, extra], ignore_index=True).sort_values("timestamp", kind="stable")
    return replace(shop, events=combined.reset_index(drop=True))
