"""Live events (view, cart, purchase) posted to the HTTP service, kept so the next fit includes them."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from contentgen.store.models import LiveEventRow

def record_live_event(store, *, shopper_id: str, product_id: str, event_type: str, occurred_at: datetime,
                      quantity: float = 1.0, value: float = 0.0, order_id: str = "", api_key_id: str = "") -> int:
    """Store one event; returns its id."""
    row = LiveEventRow(shopper_id=shopper_id, product_id=product_id, event_type=event_type, quantity=quantity,
                       value=value, order_id=order_id, occurred_at=occurred_at, api_key_id=api_key_id,
                       received_at=datetime.now(timezone.utc).replace(tzinfo=None))
    with Session(store.engine) as session:
        session.add(row)
        session.commit()
        return row.id


def live_events(store) -> pd.DataFrame:
    """Every stored live event in the shop's event columns (shopper_id, product_id, event_type,
    timestamp, quantity, value, order_id), oldest first."""
    query = select(LiveEventRow.shopper_id, LiveEventRow.product_id, LiveEventRow.event_type,
                   LiveEventRow.occurred_at.label("timestamp"), LiveEventRow.quantity, LiveEventRow.value,
                   LiveEventRow.order_id).order_by(LiveEventRow.id)
    with store.engine.connect() as connection:
        return pd.read_sql(query, connection)
