"""Reading outcome exports from an email service into normalised outcome events (pure logic).

Exports differ in their headers and event names; this module maps the common spellings onto
ours and gives every event a stable key, so importing the same events twice adds nothing.
The key is the export's own event id when it has one, otherwise a hash of
(message id, event type, time, revenue): two identical events at the same second collapse
into one, which is what a re-sent export needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import hashlib

import pandas as pd

from contentgen.errors import DataError
from contentgen.store.models import OUTCOME_TYPES

# Our field -> the header spellings we accept, first match wins.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "message_id": ("message_id", "msg_id", "messageid", "message"),
    "event_type": ("event_type", "event", "type", "status"),
    "occurred_at": ("occurred_at", "timestamp", "time", "date", "event_time"),
    "revenue": ("revenue", "value", "amount", "order_value"),
    "event_id": ("event_id", "id", "eventid"),
}
REQUIRED = ("message_id", "event_type", "occurred_at")

EVENT_ALIASES: dict[str, str] = {
    "send": "sent", "sent": "sent", "processed": "sent",
    "deliver": "delivered", "delivered": "delivered", "delivery": "delivered",
    "open": "opened", "opened": "opened", "opens": "opened",
    "click": "clicked", "clicked": "clicked", "clicks": "clicked",
    "convert": "converted", "converted": "converted", "conversion": "converted", "purchase": "converted",
    "order": "converted",
    "revenue": "revenue",
    "unsubscribe": "unsubscribed", "unsubscribed": "unsubscribed", "unsub": "unsubscribed",
}


@dataclass(frozen=True)
class ImportResult:
    """What one import did. ``already_imported`` is True when this exact file was imported before."""

    path: str
    rows_read: int
    rows_added: int
    duplicates: int
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows
    already_imported: bool = False


def normalise_outcomes(raw: pd.DataFrame, *, source: str = "<export>") -> tuple[pd.DataFrame, dict[str, int]]:
    """Map an export frame onto ``event_key, message_id, event_type, occurred_at, revenue``.

    Returns the events and a count of rows set aside per reason (unknown event types, e.g.
    "bounce", are set aside rather than failing the import). Raises DataError, naming the file,
    line and value, for rows that cannot be read at all.
    """
    lower = {str(c).strip().lower(): c for c in raw.columns}
    picked: dict[str, str] = {}
    for ours, spellings in COLUMN_ALIASES.items():
        for spelling in spellings:
            if spelling in lower:
                picked[ours] = lower[spelling]
                break
    missing = [c for c in REQUIRED if c not in picked]
    if missing:
        raise DataError(
            f"{source}: no column for {missing}; accepted headers: "
            + "; ".join(f"{c}: {', '.join(COLUMN_ALIASES[c])}" for c in missing),
            path=source, column=missing[0],
        )
    frame = pd.DataFrame({
        "line": raw.index.to_numpy() + 2,  # 1-based, after the header line
        "message_id": raw[picked["message_id"]].astype("string").str.strip(),
        "event_raw": raw[picked["event_type"]].astype("string").str.strip().str.lower(),
        "occurred_raw": raw[picked["occurred_at"]],
    })
    frame["revenue"] = (
        pd.to_numeric(raw[picked["revenue"]], errors="coerce").fillna(0.0).astype(float)
        if "revenue" in picked else 0.0
    )
    frame["event_id"] = raw[picked["event_id"]].astype("string").str.strip() if "event_id" in picked else pd.NA

    skipped: dict[str, int] = {}
    no_message = frame["message_id"].isna() | (frame["message_id"] == "")
    if no_message.any():
        skipped["no message id"] = int(no_message.sum())
    frame = frame[~no_message]
    frame["event_type"] = frame["event_raw"].map(EVENT_ALIASES)
    unknown = frame["event_type"].isna()
    for name, count in frame.loc[unknown, "event_raw"].fillna("(empty)").value_counts().items():
        skipped[f"event type {name!r} (not one of {', '.join(OUTCOME_TYPES)})"] = int(count)
    frame = frame[~unknown]

    occurred = pd.to_datetime(frame["occurred_raw"], errors="coerce", utc=True, format="mixed")
    bad_time = occurred.isna()
    if bad_time.any():
        first = frame.loc[bad_time].iloc[0]
        raise DataError(
            f"{source}, line {first['line']}: cannot read time {first['occurred_raw']!r}; use ISO 8601, e.g. 2011-12-01T09:30:00",
            path=source, line=int(first["line"]), column=picked["occurred_at"], value=first["occurred_raw"],
        )
    # Stored naive UTC: SQLite has no time zones, and exports mix offsets.
    frame["occurred_at"] = occurred.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    negative = frame["revenue"] < 0
    if negative.any():
        first = frame.loc[negative].iloc[0]
        raise DataError(f"{source}, line {first['line']}: negative revenue {first['revenue']}; refunds are not outcomes",
                        path=source, line=int(first["line"]), column=picked.get("revenue"), value=first["revenue"])
    frame["event_key"] = [
        _event_key(event_id, message_id, event_type, occurred, revenue)
        for event_id, message_id, event_type, occurred, revenue in zip(
            frame["event_id"], frame["message_id"], frame["event_type"], frame["occurred_at"], frame["revenue"]
        )
    ]
    out = frame[["event_key", "message_id", "event_type", "occurred_at", "revenue", "line"]].copy()
    before = len(out)
    out = out.drop_duplicates("event_key")
    if len(out) < before:
        skipped["repeated within the file"] = before - len(out)
    return out.reset_index(drop=True), skipped


def _event_key(event_id: object, message_id: str, event_type: str, occurred: pd.Timestamp, revenue: float) -> str:
    if event_id is not None and not pd.isna(event_id) and str(event_id):
        identity = f"id|{event_id}"
    else:
        identity = f"{message_id}|{event_type}|{occurred.isoformat()}|{revenue:.4f}"
    return hashlib.sha256(identity.encode()).hexdigest()
