"""The campaign's checkpoint in the store: the run, its cohorts' creative and one row per recipient.

Exactly-once comes from here, whatever the engine: a recipient is written in the same transaction
as its message row, unique on (campaign, send round, recipient key), and a key already stored is
never written again. The output files are exported from these rows at the end, so a run killed
at any point and started again yields each eligible recipient once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
import hashlib
import json
from typing import Iterable, Sequence

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contentgen.errors import ConfigError
from contentgen.store.database import Store
from contentgen.store.models import CampaignRow, CampaignRunRow, CohortRow, MessageRow, RecipientRow, VariantRow


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def message_id_for(campaign_id: str, send_round: int, recipient_key: str) -> str:
    """A stable message id: the same recipient of the same send always gets the same id."""
    return "m-" + hashlib.sha256(f"{campaign_id}\x1f{send_round}\x1f{recipient_key}".encode()).hexdigest()[:30]


@dataclass(frozen=True)
class RecipientOutcome:
    """What one recipient's checkpoint holds: the output row (ready) or the reason (error)."""

    recipient_key: str
    row_number: int
    status: str  # "ready" or "error"
    cohort_key: str
    variant: str
    fallback: bool
    payload: dict
    detail: str = ""
    shopper_id: str = ""
    segment: str = ""
    offer_id: str = ""
    offer_kind: str = ""
    offer_value: float = 0.0
    subject: str = ""
    body: str = ""
    message_id: str = ""


@dataclass(frozen=True)
class CampaignProgress:
    """How far a campaign's send is, read from the store (for the API and the app)."""

    campaign_id: str
    send_round: int
    status: str  # running, done
    eligible: int
    written: int
    ready: int
    errors: int
    fallbacks: int

    @property
    def fraction(self) -> float:
        return self.written / self.eligible if self.eligible else 1.0


class CampaignSink:
    """One send of one campaign in the store."""

    def __init__(self, store: Store, campaign_id: str, send_round: int = 0) -> None:
        self.store = store
        self.campaign_id = campaign_id
        self.send_round = send_round

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> CampaignRunRow | None:
        with Session(self.store.engine) as session:
            return session.scalar(select(CampaignRunRow).where(
                CampaignRunRow.campaign_id == self.campaign_id, CampaignRunRow.send_round == self.send_round))

    def start(self, *, audience_path: str, audience_sha256: str, settings: dict, eligible: int) -> None:
        """Record the run (first start) or update its audience after an allowed change."""
        now = _now()
        with Session(self.store.engine) as session, session.begin():
            row = session.scalar(select(CampaignRunRow).where(
                CampaignRunRow.campaign_id == self.campaign_id, CampaignRunRow.send_round == self.send_round))
            if row is None:
                session.add(CampaignRunRow(campaign_id=self.campaign_id, send_round=self.send_round,
                                           audience_path=audience_path, audience_sha256=audience_sha256,
                                           settings_json=json.dumps(settings, sort_keys=True, default=str),
                                           status="running", eligible=eligible, started_at=now, updated_at=now))
            else:
                row.audience_path, row.audience_sha256 = audience_path, audience_sha256
                row.eligible, row.status, row.updated_at = eligible, "running", now

    def finish(self, summary: dict) -> None:
        with Session(self.store.engine) as session, session.begin():
            row = session.scalar(select(CampaignRunRow).where(
                CampaignRunRow.campaign_id == self.campaign_id, CampaignRunRow.send_round == self.send_round))
            row.status, row.updated_at = "done", _now()
            row.summary_json = json.dumps(summary, sort_keys=True, default=str)

    # -- cohorts ------------------------------------------------------------------------------
    def cohorts(self) -> dict[str, list[dict]]:
        """Cohort key -> its stored creative variants."""
        query = select(CohortRow.cohort_key, CohortRow.variants_json).where(
            CohortRow.campaign_id == self.campaign_id, CohortRow.send_round == self.send_round)
        with self.store.engine.connect() as connection:
            return {key: json.loads(variants) for key, variants in connection.execute(query)}

    def save_cohort(self, cohort_key: str, variants: Sequence[dict], members: int, seconds: float) -> None:
        with Session(self.store.engine) as session:
            session.add(CohortRow(campaign_id=self.campaign_id, send_round=self.send_round, cohort_key=cohort_key,
                                  members=members, variants_json=json.dumps(list(variants)), seconds=seconds,
                                  created_at=_now()))
            try:
                session.commit()
            except IntegrityError:  # written by an earlier attempt: the stored one stands
                session.rollback()

    # -- recipients ---------------------------------------------------------------------------
    def done_keys(self) -> set[str]:
        query = select(RecipientRow.recipient_key).where(
            RecipientRow.campaign_id == self.campaign_id, RecipientRow.send_round == self.send_round)
        with self.store.engine.connect() as connection:
            return set(connection.scalars(query))

    def write(self, outcomes: Iterable[RecipientOutcome]) -> int:
        """Checkpoint recipients and their message rows in one transaction; keys already stored are
        left alone. Returns how many were added."""
        outcomes = list(outcomes)
        if not outcomes:
            return 0
        variant_ids = dict(self.store.variants(self.campaign_id)[["variant", "variant_id"]].itertuples(index=False))
        now = _now()
        with Session(self.store.engine) as session, session.begin():
            keys = [o.recipient_key for o in outcomes]
            seen: set[str] = set()
            for start in range(0, len(keys), 500):
                seen |= set(session.scalars(select(RecipientRow.recipient_key).where(
                    RecipientRow.campaign_id == self.campaign_id, RecipientRow.send_round == self.send_round,
                    RecipientRow.recipient_key.in_(keys[start:start + 500]))))
            fresh = []
            for outcome in outcomes:
                if outcome.recipient_key in seen:
                    continue
                seen.add(outcome.recipient_key)
                fresh.append(outcome)
            messages = [
                MessageRow(id=o.message_id, campaign_id=self.campaign_id, variant_id=variant_ids.get(o.variant),
                           shopper_id=o.shopper_id, segment=o.segment, offer_id=o.offer_id, offer_kind=o.offer_kind,
                           offer_value=float(o.offer_value), subject=o.subject, body=o.body,
                           send_round=self.send_round, created_at=now)
                for o in fresh if o.status == "ready"
            ]
            session.add_all(messages)
            session.flush()
            session.add_all([
                RecipientRow(campaign_id=self.campaign_id, send_round=self.send_round, recipient_key=o.recipient_key,
                             row_number=int(o.row_number), status=o.status,
                             message_id=o.message_id if o.status == "ready" else None, cohort_key=o.cohort_key,
                             variant=o.variant, fallback=int(o.fallback),
                             payload=json.dumps(o.payload, ensure_ascii=False, default=str), detail=o.detail,
                             created_at=now)
                for o in fresh
            ])
        return len(fresh)

    def recipients(self) -> pd.DataFrame:
        """Every checkpointed recipient of this send, in audience order."""
        query = (select(RecipientRow.recipient_key, RecipientRow.row_number, RecipientRow.status,
                        RecipientRow.message_id, RecipientRow.cohort_key, RecipientRow.variant,
                        RecipientRow.fallback, RecipientRow.payload, RecipientRow.detail)
                 .where(RecipientRow.campaign_id == self.campaign_id, RecipientRow.send_round == self.send_round)
                 .order_by(RecipientRow.row_number, RecipientRow.id))
        with self.store.engine.connect() as connection:
            return pd.read_sql(query, connection)


def ensure_campaign(store: Store, campaign_id: str, *, name: str, channel: str, variants: Sequence[str],
                    cost_per_message: float = 0.0) -> None:
    """Create the campaign and its variants if new; refuse one stored under another channel."""
    with Session(store.engine) as session:
        row = session.get(CampaignRow, campaign_id)
    if row is None:
        store.create_campaign(campaign_id, name=name, channel=channel, cost_per_message=cost_per_message,
                              notes="list campaign (contentgen campaign run)")
    elif row.channel != channel:
        raise ConfigError(f"campaign {campaign_id!r} is a {row.channel} campaign in the store; "
                          f"use another --name for a {channel} send")
    known = set(store.variants(campaign_id)["variant"])
    for variant in variants:
        if variant not in known:
            store.add_variant(campaign_id, variant, subject=f"variant {variant}: the cohort's creative line {variant}")


def last_round(store: Store, campaign_id: str) -> tuple[int, str] | None:
    """(highest send round, its status) of a campaign, or None before its first run."""
    with Session(store.engine) as session:
        row = session.execute(select(CampaignRunRow.send_round, CampaignRunRow.status)
                              .where(CampaignRunRow.campaign_id == campaign_id)
                              .order_by(CampaignRunRow.send_round.desc()).limit(1)).first()
    return (int(row[0]), str(row[1])) if row else None


def campaign_progress(store: Store, campaign_id: str, send_round: int | None = None) -> CampaignProgress:
    """Progress of a campaign's latest (or given) send: eligible, written, ready, errors, fallbacks."""
    store.campaign(campaign_id)
    if send_round is None:
        latest = last_round(store, campaign_id)
        if latest is None:
            return CampaignProgress(campaign_id, 0, "not started", 0, 0, 0, 0, 0)
        send_round = latest[0]
    with Session(store.engine) as session:
        run = session.scalar(select(CampaignRunRow).where(CampaignRunRow.campaign_id == campaign_id,
                                                          CampaignRunRow.send_round == send_round))
        counts = dict(session.execute(
            select(RecipientRow.status, func.count()).where(RecipientRow.campaign_id == campaign_id,
                                                            RecipientRow.send_round == send_round)
            .group_by(RecipientRow.status)).all())
        fallbacks = session.scalar(select(func.count()).where(
            RecipientRow.campaign_id == campaign_id, RecipientRow.send_round == send_round,
            RecipientRow.fallback == 1, RecipientRow.status == "ready")) or 0
    if run is None:
        raise ConfigError(f"campaign {campaign_id!r} has no send round {send_round}")
    ready, errors = int(counts.get("ready", 0)), int(counts.get("error", 0))
    return CampaignProgress(campaign_id, send_round, run.status, int(run.eligible), ready + errors, ready, errors,
                            int(fallbacks))
