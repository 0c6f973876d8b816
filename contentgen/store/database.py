"""The campaign store: an SQLite file by default, any SQLAlchemy URL (e.g. Postgres) otherwise.

Opening a store runs the Alembic migrations shipped in ``migrations/``, so a new file gets the
schema and an old one is brought up to date. Reads come back as pandas frames for the report
and the bandit; writes take plain values or frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
import hashlib
import logging
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contentgen.errors import ConfigError, DataError
from contentgen.store.feedback import ImportResult, normalise_outcomes
from contentgen.store.models import (
    APPROVAL_DECISIONS, ApprovalRow, CampaignRow, ImportRow, MessageRow, OutcomeRow, VariantRow,
)

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
DEFAULT_DB_PATH = Path("contentgen.db")

MESSAGE_COLUMNS: tuple[str, ...] = (
    "message_id", "campaign_id", "variant", "shopper_id", "segment", "offer_id", "offer_kind", "offer_value",
    "subject", "body", "send_round",
)
OUTCOME_COLUMNS: tuple[str, ...] = ("message_id", "campaign_id", "variant", "segment", "event_type", "occurred_at", "revenue")


@dataclass(frozen=True)
class Campaign:
    """A campaign as stored."""

    campaign_id: str
    name: str
    channel: str
    status: str
    cost_per_message: float
    created_at: datetime


def database_url(location: str | Path | None) -> str:
    """An SQLAlchemy URL from a URL or a file path (None: ``contentgen.db`` in the working directory)."""
    if location is None:
        location = DEFAULT_DB_PATH
    text = str(location)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Store:
    """Campaigns, variants, messages, approvals and outcome events in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def open(cls, location: str | Path | None = None, *, migrate: bool = True) -> "Store":
        """Open (creating if needed) the database at a path or URL and bring its schema up to date."""
        url = database_url(location)
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            folder = Path(url.removeprefix("sqlite:///")).parent
            if not folder.exists():
                raise ConfigError(f"cannot create the store at {url}: folder {folder} does not exist; create it first")
        if url in ("sqlite://", "sqlite:///:memory:"):
            # One shared connection, or each new connection would see a fresh, empty database.
            from sqlalchemy.pool import StaticPool

            engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_foreign_keys)
        store = cls(engine)
        if migrate:
            store.migrate()
        return store

    def migrate(self, revision: str = "head") -> None:
        """Run the packaged Alembic migrations up to ``revision``."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", self.engine.url.render_as_string(hide_password=False))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at (None before the first migration)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------
    def create_campaign(self, campaign_id: str, *, name: str = "", channel: str = "email",
                        cost_per_message: float = 0.0, notes: str = "") -> Campaign:
        """Add a campaign; raises ConfigError if the id is taken."""
        row = CampaignRow(id=campaign_id, name=name or campaign_id, channel=channel, status="draft",
                          cost_per_message=float(cost_per_message), notes=notes, created_at=_now())
        with Session(self.engine) as session:
            if session.get(CampaignRow, campaign_id) is not None:
                raise ConfigError(f"campaign {campaign_id!r} already exists; pick another id")
            session.add(row)
            session.commit()
            return _campaign(row)

    def campaign(self, campaign_id: str) -> Campaign:
        """The stored campaign; raises ConfigError listing known ids if absent."""
        with Session(self.engine) as session:
            row = session.get(CampaignRow, campaign_id)
            if row is None:
                known = session.scalars(select(CampaignRow.id).order_by(CampaignRow.created_at).limit(20)).all()
                raise ConfigError(f"no campaign {campaign_id!r} in {self.engine.url}; campaigns: {', '.join(known) or '(none)'}")
            return _campaign(row)

    def campaigns(self) -> pd.DataFrame:
        """All campaigns with their message counts."""
        query = (
            select(CampaignRow.id.label("campaign_id"), CampaignRow.name, CampaignRow.channel, CampaignRow.status,
                   CampaignRow.created_at, func.count(MessageRow.id).label("messages"))
            .outerjoin(MessageRow, MessageRow.campaign_id == CampaignRow.id)
            .group_by(CampaignRow.id).order_by(CampaignRow.created_at)
        )
        with self.engine.connect() as connection:
            return pd.read_sql(query, connection)

    def set_status(self, campaign_id: str, status: str) -> None:
        self.campaign(campaign_id)
        with Session(self.engine) as session:
            session.get(CampaignRow, campaign_id).status = status
            session.commit()

    def add_variant(self, campaign_id: str, name: str, *, subject: str = "", body: str = "") -> int:
        """Add a copy variant (e.g. "A", "B") to a campaign; returns its id."""
        self.campaign(campaign_id)
        with Session(self.engine) as session:
            row = VariantRow(campaign_id=campaign_id, name=name, subject=subject, body=body, created_at=_now())
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                raise ConfigError(f"campaign {campaign_id!r} already has a variant {name!r}") from None
            return row.id

    def variants(self, campaign_id: str) -> pd.DataFrame:
        query = select(VariantRow.id.label("variant_id"), VariantRow.name.label("variant"), VariantRow.subject,
                       VariantRow.body).where(VariantRow.campaign_id == campaign_id).order_by(VariantRow.id)
        with self.engine.connect() as connection:
            return pd.read_sql(query, connection)

    def add_messages(self, campaign_id: str, messages: pd.DataFrame) -> int:
        """Store generated messages: columns ``message_id, shopper_id`` and optionally ``variant``
        (a variant name of this campaign), ``segment``, ``offer_id``, ``offer_kind``, ``offer_value``,
        ``subject``, ``body``, ``send_round``. Returns the number added."""
        self.campaign(campaign_id)
        missing = [c for c in ("message_id", "shopper_id") if c not in messages.columns]
        if missing:
            raise DataError(f"messages frame lacks {missing}; it needs message_id and shopper_id", column=missing[0])
        variant_ids = dict(zip(*self.variants(campaign_id)[["variant", "variant_id"]].to_dict("list").values()))
        if "variant" in messages.columns:
            unknown = sorted(set(messages["variant"].dropna().astype(str)) - set(variant_ids))
            if unknown:
                raise DataError(f"messages name variant(s) {unknown} that campaign {campaign_id!r} lacks; "
                                f"add them with add_variant first (known: {sorted(variant_ids)})", column="variant")
        now = _now()
        rows = []
        for record in messages.to_dict("records"):
            variant = record.get("variant")
            rows.append(MessageRow(
                id=str(record["message_id"]), campaign_id=campaign_id,
                variant_id=variant_ids.get(str(variant)) if variant is not None and not pd.isna(variant) else None,
                shopper_id=str(record["shopper_id"]), segment=str(record.get("segment", "") or ""),
                offer_id=str(record.get("offer_id", "") or ""), offer_kind=str(record.get("offer_kind", "") or ""),
                offer_value=float(record.get("offer_value", 0.0) or 0.0),
                subject=str(record.get("subject", "") or ""), body=str(record.get("body", "") or ""),
                send_round=int(record.get("send_round", 0) or 0), created_at=now,
            ))
        with Session(self.engine) as session:
            session.add_all(rows)
            try:
                session.commit()
            except IntegrityError as error:
                raise DataError(f"a message id is already stored ({error.orig}); message ids must be unique") from None
        return len(rows)

    def record_approval(self, campaign_id: str, decision: str, reviewer: str, *,
                        variant: str | None = None, comment: str = "") -> None:
        """Record a reviewer's decision on a campaign (or one of its variants)."""
        if decision not in APPROVAL_DECISIONS:
            raise ConfigError(f"decision must be one of {', '.join(APPROVAL_DECISIONS)}, not {decision!r}")
        self.campaign(campaign_id)
        variant_id = None
        if variant is not None:
            variants = self.variants(campaign_id)
            match = variants.loc[variants["variant"] == variant, "variant_id"]
            if match.empty:
                raise ConfigError(f"campaign {campaign_id!r} has no variant {variant!r}; variants: {list(variants['variant'])}")
            variant_id = int(match.iloc[0])
        with Session(self.engine) as session:
            session.add(ApprovalRow(campaign_id=campaign_id, variant_id=variant_id, reviewer=reviewer,
                                    decision=decision, comment=comment, decided_at=_now()))
            session.commit()

    def approvals(self, campaign_id: str) -> pd.DataFrame:
        query = (select(ApprovalRow.reviewer, ApprovalRow.decision, ApprovalRow.comment, ApprovalRow.decided_at,
                        VariantRow.name.label("variant"))
                 .outerjoin(VariantRow, VariantRow.id == ApprovalRow.variant_id)
                 .where(ApprovalRow.campaign_id == campaign_id).order_by(ApprovalRow.id))
        with self.engine.connect() as connection:
            return pd.read_sql(query, connection)

    # -- feedback ----------------------------------------------------------------------------
    def import_outcomes(self, path: str | Path) -> ImportResult:
        """Ingest an email service's outcome export (CSV). Idempotent: an event seen before (by its
        export id, or by message, type, time and revenue) adds nothing, so re-importing a file or an
        overlapping export changes nothing. Events for messages the store lacks are skipped and counted."""
        path = Path(path)
        if not path.exists():
            raise DataError(f"outcome export {path} not found", path=str(path))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            raise DataError(f"{path}: not a readable CSV: {error}", path=str(path)) from None
        return self.import_outcome_rows(raw, source=str(path), digest=digest)

    def import_outcome_rows(self, raw: pd.DataFrame, *, source: str, digest: str | None = None) -> ImportResult:
        """``import_outcomes`` for rows already read (e.g. posted to the HTTP service): same headers,
        same idempotency. ``digest`` identifies the batch (default: a hash of its content)."""
        if digest is None:
            digest = hashlib.sha256(raw.to_csv(index=False).encode("utf-8")).hexdigest()
        path = source
        events, skipped = normalise_outcomes(raw, source=source)
        with Session(self.engine) as session, session.begin():
            known = _lookup(session, MessageRow.id, MessageRow.campaign_id, events["message_id"].unique())
            unknown = ~events["message_id"].isin(known)
            if unknown.any():
                skipped["message id not in the store"] = int(unknown.sum())
                logger.warning("%s: %d events name messages this store does not know (e.g. %s)",
                               path, int(unknown.sum()), events.loc[unknown, "message_id"].iloc[0])
            events = events[~unknown]
            seen = set(_lookup(session, OutcomeRow.event_key, OutcomeRow.event_key, events["event_key"].unique()))
            fresh = events[~events["event_key"].isin(seen)]
            # A file seen before is read again rather than skipped: events set aside last time
            # (messages stored since) can land now, and the event keys keep the rest out.
            record = session.scalar(select(ImportRow).where(ImportRow.sha256 == digest))
            already_imported = record is not None
            if record is None:
                record = ImportRow(sha256=digest, path=str(path), rows_read=len(raw), rows_added=0, imported_at=_now())
                session.add(record)
                session.flush()
            if len(fresh):
                record.rows_added += len(fresh)
            session.add_all([
                OutcomeRow(event_key=e.event_key, message_id=e.message_id, campaign_id=known[e.message_id],
                           event_type=e.event_type, occurred_at=e.occurred_at.to_pydatetime(),
                           revenue=float(e.revenue), import_id=record.id)
                for e in fresh.itertuples(index=False)
            ])
        return ImportResult(path=str(path), rows_read=len(raw), rows_added=len(fresh),
                            duplicates=len(events) - len(fresh), skipped=skipped, already_imported=already_imported)

    # -- reading -----------------------------------------------------------------------------
    def messages(self, campaign_id: str) -> pd.DataFrame:
        """One row per message of the campaign (MESSAGE_COLUMNS)."""
        query = (select(MessageRow.id.label("message_id"), MessageRow.campaign_id, VariantRow.name.label("variant"),
                        MessageRow.shopper_id, MessageRow.segment, MessageRow.offer_id, MessageRow.offer_kind,
                        MessageRow.offer_value, MessageRow.subject, MessageRow.body, MessageRow.send_round)
                 .outerjoin(VariantRow, VariantRow.id == MessageRow.variant_id)
                 .where(MessageRow.campaign_id == campaign_id).order_by(MessageRow.id))
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
        frame["variant"] = frame["variant"].fillna("")
        return frame

    def outcomes(self, campaign_id: str) -> pd.DataFrame:
        """One row per outcome event of the campaign, with its message's variant and segment."""
        query = (select(OutcomeRow.message_id, OutcomeRow.campaign_id, VariantRow.name.label("variant"),
                        MessageRow.segment, OutcomeRow.event_type, OutcomeRow.occurred_at, OutcomeRow.revenue)
                 .join(MessageRow, MessageRow.id == OutcomeRow.message_id)
                 .outerjoin(VariantRow, VariantRow.id == MessageRow.variant_id)
                 .where(OutcomeRow.campaign_id == campaign_id).order_by(OutcomeRow.occurred_at, OutcomeRow.id))
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
        frame["variant"] = frame["variant"].fillna("")
        return frame


def migration_sql(url: str = "postgresql://", revision: str = "head") -> str:
    """The DDL the migrations would run on a database of ``url``'s dialect, without connecting
    (for a DBA who applies schema changes by hand, e.g. on Postgres)."""
    import io

    from alembic import command
    from alembic.config import Config

    buffer = io.StringIO()
    config = Config(output_buffer=buffer)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, revision, sql=True)
    return buffer.getvalue()


def open_store(location: str | Path | None = None) -> Store:
    """Open the store at a file path or SQLAlchemy URL, running migrations."""
    return Store.open(location)


def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _lookup(session: Session, key_column, value_column, keys) -> dict:
    """``{key: value}`` for the keys present, in chunks (SQLite limits bound parameters)."""
    found: dict = {}
    keys = list(keys)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found.update(session.execute(select(key_column, value_column).where(key_column.in_(chunk))).all())
    return found


def _campaign(row: CampaignRow) -> Campaign:
    return Campaign(campaign_id=row.id, name=row.name, channel=row.channel, status=row.status,
                    cost_per_message=row.cost_per_message, created_at=row.created_at)
