"""The HTTP service's tables: hashed API keys, and the live events posted to it.

Revision ID: 0002_api_keys_live_events
Revises: 0001_initial
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = "0002_api_keys_live_events"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "live_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("shopper_id", sa.String(64), nullable=False, index=True),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Float, nullable=False, server_default="1"),
        sa.Column("value", sa.Float, nullable=False, server_default="0"),
        sa.Column("order_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("api_key_id", sa.String(32), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("live_events")
    op.drop_table("api_keys")
