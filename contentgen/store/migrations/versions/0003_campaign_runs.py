"""List campaigns: runs (one per send), cohort creative cache, and a checkpoint per recipient.

Revision ID: 0003_campaign_runs
Revises: 0002_api_keys_live_events
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = "0003_campaign_runs"
down_revision = "0002_api_keys_live_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("campaign_id", sa.String(64), sa.ForeignKey("campaigns.id"), nullable=False, index=True),
        sa.Column("send_round", sa.Integer, nullable=False, server_default="0"),
        sa.Column("audience_path", sa.Text, nullable=False, server_default=""),
        sa.Column("audience_sha256", sa.String(64), nullable=False),
        sa.Column("settings_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(16), nullable=False, server_default="running"),
        sa.Column("eligible", sa.Integer, nullable=False, server_default="0"),
        sa.Column("summary_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("campaign_id", "send_round", name="uq_campaign_runs_round"),
    )
    op.create_table(
        "campaign_cohorts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("campaign_id", sa.String(64), sa.ForeignKey("campaigns.id"), nullable=False, index=True),
        sa.Column("send_round", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cohort_key", sa.String(64), nullable=False),
        sa.Column("members", sa.Integer, nullable=False, server_default="0"),
        sa.Column("variants_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("seconds", sa.Float, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("campaign_id", "send_round", "cohort_key", name="uq_campaign_cohorts_key"),
    )
    op.create_table(
        "campaign_recipients",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("campaign_id", sa.String(64), sa.ForeignKey("campaigns.id"), nullable=False, index=True),
        sa.Column("send_round", sa.Integer, nullable=False, server_default="0"),
        sa.Column("recipient_key", sa.String(320), nullable=False),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(64), sa.ForeignKey("messages.id"), nullable=True),
        sa.Column("cohort_key", sa.String(64), nullable=False, server_default=""),
        sa.Column("variant", sa.String(64), nullable=False, server_default=""),
        sa.Column("fallback", sa.Integer, nullable=False, server_default="0"),
        sa.Column("payload", sa.Text, nullable=False, server_default="{}"),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("campaign_id", "send_round", "recipient_key", name="uq_campaign_recipients_key"),
    )


def downgrade() -> None:
    op.drop_table("campaign_recipients")
    op.drop_table("campaign_cohorts")
    op.drop_table("campaign_runs")
