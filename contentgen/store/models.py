"""The database tables: campaigns, variants, messages, approvals, outcome events and imports.

Tables are declared once here; the Alembic migrations in ``migrations/versions`` create them
(never ``metadata.create_all``), so every database has a known schema version.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Outcome events an email/SMS service reports. "revenue" exists for exports that report money
# as its own event; most put it on "converted".
OUTCOME_TYPES: tuple[str, ...] = ("sent", "delivered", "opened", "clicked", "converted", "revenue", "unsubscribed")
APPROVAL_DECISIONS: tuple[str, ...] = ("approved", "rejected")


class Base(DeclarativeBase):
    pass


class CampaignRow(Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(16), default="email")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    cost_per_message: Mapped[float] = mapped_column(Float, default=0.0)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class VariantRow(Base):
    __tablename__ = "variants"
    __table_args__ = (UniqueConstraint("campaign_id", "name", name="uq_variants_campaign_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class MessageRow(Base):
    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"), nullable=True, index=True)
    shopper_id: Mapped[str] = mapped_column(String(64), index=True)
    segment: Mapped[str] = mapped_column(String(32), default="")
    offer_id: Mapped[str] = mapped_column(String(64), default="")
    offer_kind: Mapped[str] = mapped_column(String(32), default="")
    offer_value: Mapped[float] = mapped_column(Float, default=0.0)
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    send_round: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApprovalRow(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"), nullable=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(DateTime)


class ImportRow(Base):
    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(Text)
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_added: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime)


class OutcomeRow(Base):
    __tablename__ = "outcome_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Identity of the event in the source export; unique so a re-import adds nothing.
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), index=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    revenue: Mapped[float] = mapped_column(Float, default=0.0)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), nullable=True)


# -- the HTTP service (contentgen.api) ---------------------------------------------------------

API_SCOPES: tuple[str, ...] = ("read", "generate", "admin")  # each includes the ones before it


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    # The public half of the key ("cg_<id>_<secret>"), to find the row without scanning hashes.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    scope: Mapped[str] = mapped_column(String(16))
    # sha256 of the whole key: the key itself is never stored, and is shown once at creation.
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LiveEventRow(Base):
    """A view, cart or purchase posted to the service: folded in at once, and part of the next fit."""

    __tablename__ = "live_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shopper_id: Mapped[str] = mapped_column(String(64), index=True)
    product_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[float] = mapped_column(Float, default=1.0)
    value: Mapped[float] = mapped_column(Float, default=0.0)
    order_id: Mapped[str] = mapped_column(String(64), default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    api_key_id: Mapped[str] = mapped_column(String(32), default="")


# ---- list campaigns (contentgen.campaign): one run per send, its cohorts, and a checkpoint per recipient


class CampaignRunRow(Base):
    """One send of a campaign to an audience file: its settings, fingerprint, progress and summary."""

    __tablename__ = "campaign_runs"
    __table_args__ = (UniqueConstraint("campaign_id", "send_round", name="uq_campaign_runs_round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    send_round: Mapped[int] = mapped_column(Integer, default=0)
    audience_path: Mapped[str] = mapped_column(Text, default="")
    audience_sha256: Mapped[str] = mapped_column(String(64))
    settings_json: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, done
    eligible: Mapped[int] = mapped_column(Integer, default=0)
    summary_json: Mapped[str] = mapped_column(Text, default="{}")
    started_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class CohortRow(Base):
    """A cohort's creative variants, kept so a resumed run reuses them instead of calling the model."""

    __tablename__ = "campaign_cohorts"
    __table_args__ = (UniqueConstraint("campaign_id", "send_round", "cohort_key", name="uq_campaign_cohorts_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    send_round: Mapped[int] = mapped_column(Integer, default=0)
    cohort_key: Mapped[str] = mapped_column(String(64))
    members: Mapped[int] = mapped_column(Integer, default=0)
    variants_json: Mapped[str] = mapped_column(Text, default="[]")
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class RecipientRow(Base):
    """The checkpoint of one recipient: written once (unique on campaign, round and recipient)."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (UniqueConstraint("campaign_id", "send_round", "recipient_key", name="uq_campaign_recipients_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    send_round: Mapped[int] = mapped_column(Integer, default=0)
    recipient_key: Mapped[str] = mapped_column(String(320))
    row_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # ready, error
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id"), nullable=True)
    cohort_key: Mapped[str] = mapped_column(String(64), default="")
    variant: Mapped[str] = mapped_column(String(64), default="")
    fallback: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[str] = mapped_column(Text, default="{}")  # the output row as JSON
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
