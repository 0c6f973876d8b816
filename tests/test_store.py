"""The campaign store on a real SQLite file: migrations, campaigns, messages, idempotent import."""

from __future__ import annotations

from pathlib import Path
import sqlite3
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st
import pandas as pd
import pytest

from contentgen.errors import ConfigError, DataError
from contentgen.store import database_url, normalise_outcomes, open_store

TABLES = {"campaigns", "variants", "messages", "approvals", "imports", "outcome_events", "alembic_version"}


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "campaigns.db") as opened:
        opened.create_campaign("xmas", name="Christmas 2011", cost_per_message=0.01)
        opened.add_variant("xmas", "A", subject="Deck the halls")
        opened.add_variant("xmas", "B", subject="Your festive picks")
        opened.add_messages("xmas", pd.DataFrame({
            "message_id": ["m1", "m2", "m3", "m4"],
            "shopper_id": ["12347", "12348", "12349", "12350"],
            "variant": ["A", "A", "B", "B"],
            "segment": ["loyal", "at_risk", "loyal", "at_risk"],
            "offer_id": ["", "winback-15", "", "winback-15"],
            "offer_kind": ["", "percent_off", "", "percent_off"],
            "offer_value": [0.0, 15.0, 0.0, 15.0],
        }))
        yield opened


def _write(path, text: str):
    path.write_text(text.strip() + "\n")
    return path


EXPORT = """
message_id,event,timestamp,revenue
m1,delivered,2011-12-01T09:00:00,
m1,open,2011-12-01T09:30:00,
m1,click,2011-12-01T09:31:00,
m2,delivered,2011-12-01T09:00:00,
m3,delivered,2011-12-01T09:00:00,
m3,click,2011-12-01 10:00:00,
m3,conversion,2011-12-02 10:00:00,42.50
m4,bounce,2011-12-01T09:00:00,
m99,open,2011-12-01T09:00:00,
"""


def head_revision() -> str:
    """The newest migration shipped (the chain grows as features add tables)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from contentgen.store.database import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def test_migration_from_empty_creates_the_schema(tmp_path):
    path = tmp_path / "fresh.db"
    assert not path.exists()
    store = open_store(path)
    assert store.schema_revision() == head_revision()
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master where type='table'")}
        assert TABLES <= tables
        assert connection.execute("select version_num from alembic_version").fetchall() == [(head_revision(),)]
    store.close()
    # Re-opening an up-to-date file migrates nothing and keeps the data.
    with open_store(path) as again:
        again.create_campaign("c")
    with open_store(path) as third:
        assert third.schema_revision() == head_revision()
        assert list(third.campaigns()["campaign_id"]) == ["c"]


def test_database_url_accepts_paths_and_urls(tmp_path):
    assert database_url(tmp_path / "x.db") == f"sqlite:///{(tmp_path / 'x.db').resolve()}"
    assert database_url("postgresql://u@h/db") == "postgresql://u@h/db"
    with pytest.raises(ConfigError, match="does not exist"):
        open_store(tmp_path / "no-such-folder" / "x.db")
    with open_store("sqlite://") as memory:  # in-memory: one shared connection keeps the schema
        memory.create_campaign("c")
        assert memory.schema_revision() == head_revision() and memory.campaign("c").status == "draft"


def test_campaigns_variants_messages_and_approvals(store):
    with pytest.raises(ConfigError, match="already exists"):
        store.create_campaign("xmas")
    with pytest.raises(ConfigError, match="already has a variant 'A'"):
        store.add_variant("xmas", "A")
    with pytest.raises(ConfigError, match="no campaign 'nope'.*campaigns: xmas"):
        store.campaign("nope")
    with pytest.raises(DataError, match="variant\\(s\\) \\['C'\\]"):
        store.add_messages("xmas", pd.DataFrame({"message_id": ["m9"], "shopper_id": ["1"], "variant": ["C"]}))
    with pytest.raises(DataError, match="already stored"):
        store.add_messages("xmas", pd.DataFrame({"message_id": ["m1"], "shopper_id": ["1"]}))

    messages = store.messages("xmas")
    assert list(messages["message_id"]) == ["m1", "m2", "m3", "m4"]
    assert list(messages["variant"]) == ["A", "A", "B", "B"]
    assert messages.loc[messages["message_id"] == "m2", "offer_value"].item() == 15.0
    assert store.campaigns().set_index("campaign_id").loc["xmas", "messages"] == 4
    assert store.campaign("xmas").cost_per_message == pytest.approx(0.01)

    store.record_approval("xmas", "approved", "maria", variant="B", comment="on brand")
    store.record_approval("xmas", "rejected", "li")
    approvals = store.approvals("xmas")
    assert list(approvals["decision"]) == ["approved", "rejected"]
    assert approvals["variant"].iloc[0] == "B" and pd.isna(approvals["variant"].iloc[1])
    with pytest.raises(ConfigError, match="one of approved, rejected"):
        store.record_approval("xmas", "maybe", "li")


def test_import_is_idempotent_and_reports_what_it_skipped(store, tmp_path):
    export = _write(tmp_path / "events.csv", EXPORT)
    first = store.import_outcomes(export)
    assert (first.rows_read, first.rows_added, first.duplicates) == (9, 7, 0)
    assert first.skipped["message id not in the store"] == 1
    assert any("'bounce'" in reason for reason in first.skipped)
    before = store.outcomes("xmas")

    second = store.import_outcomes(export)
    assert second.already_imported and second.rows_added == 0 and second.duplicates == 7
    pd.testing.assert_frame_equal(store.outcomes("xmas"), before)

    # An overlapping later export (two old rows, one new) adds only the new event.
    overlap = _write(tmp_path / "events-2.csv", """
event_type,message_id,occurred_at,value
clicked,m1,2011-12-01T09:31:00,
delivered,m2,2011-12-01T09:00:00,
opened,m4,2011-12-03T08:00:00+01:00,
""")
    third = store.import_outcomes(overlap)
    assert (third.rows_added, third.duplicates) == (1, 2)
    after = store.outcomes("xmas")
    assert len(after) == len(before) + 1
    new = after[after["message_id"] == "m4"].iloc[0]
    assert new["event_type"] == "opened" and new["occurred_at"] == pd.Timestamp("2011-12-03 07:00:00")  # stored as UTC
    assert new["variant"] == "B" and new["segment"] == "at_risk"
    with sqlite3.connect(store.engine.url.database) as connection:
        assert connection.execute("select count(*) from imports").fetchone() == (2,)


def test_events_for_messages_stored_later_land_on_reimport(store, tmp_path):
    export = _write(tmp_path / "events.csv", EXPORT)
    store.import_outcomes(export)
    store.add_messages("xmas", pd.DataFrame({"message_id": ["m99"], "shopper_id": ["1"], "variant": ["A"]}))
    again = store.import_outcomes(export)
    assert again.rows_added == 1 and "message id not in the store" not in again.skipped


def test_export_ids_are_used_as_event_identity():
    raw = pd.DataFrame({"id": ["e1", "e1", "e2"], "msg_id": ["m1", "m1", "m1"], "type": ["open", "open", "open"],
                        "time": ["2011-12-01T09:00:00"] * 3})
    events, skipped = normalise_outcomes(raw)
    assert len(events) == 2 and skipped == {"repeated within the file": 1}


def test_unreadable_exports_name_the_line_and_fix(store, tmp_path):
    bad_time = _write(tmp_path / "bad.csv", "message_id,event,timestamp\nm1,open,2011-12-01T09:00:00\nm1,click,yesterday\n")
    with pytest.raises(DataError, match="bad.csv, line 3: cannot read time 'yesterday'") as error:
        store.import_outcomes(bad_time)
    assert error.value.line == 3
    no_event = _write(tmp_path / "noevent.csv", "message_id,timestamp\nm1,2011-12-01\n")
    with pytest.raises(DataError, match="no column for \\['event_type'\\].*event_type, event, type"):
        store.import_outcomes(no_event)
    negative = _write(tmp_path / "neg.csv", "message_id,event,timestamp,revenue\nm1,converted,2011-12-01,-5\n")
    with pytest.raises(DataError, match="line 2: negative revenue"):
        store.import_outcomes(negative)
    assert store.outcomes("xmas").empty  # nothing half-imported


def test_models_and_migrations_agree(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from contentgen.store.models import Base

    with open_store(tmp_path / "schema.db") as store, store.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diffs == []  # a model change without a migration shows up here


def test_migrations_render_for_postgres_without_a_server():
    from contentgen.store import migration_sql

    ddl = migration_sql("postgresql://")
    assert "CREATE TABLE outcome_events" in ddl and "SERIAL" in ddl  # Postgres' own autoincrement
    assert "UNIQUE (event_key)" in ddl
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001_initial')" in ddl


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.integers(0, 8), min_size=1, max_size=9), min_size=1, max_size=4), st.randoms())
def test_any_sequence_of_overlapping_exports_stores_each_event_once(chunks, rnd):
    """Importing overlapping slices of one export, in any order and with repeats, ends with
    exactly the distinct events of the slices, whatever the order."""
    lines = EXPORT.strip().splitlines()
    header, body = lines[0], lines[1:]
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "p.db") as store:
        store.create_campaign("c")
        store.add_variant("c", "A")
        store.add_messages("c", pd.DataFrame({"message_id": ["m1", "m2", "m3", "m4"], "shopper_id": "1", "variant": "A"}))
        for number, chunk in enumerate(chunks):
            rows = [body[i] for i in chunk]
            rnd.shuffle(rows)
            store.import_outcomes(_write(Path(folder) / f"e{number}.csv", "\n".join([header, *rows])))
        picked = {i for chunk in chunks for i in chunk}
        # Rows 7 (a bounce) and 8 (an unknown message) are never stored.
        expected = len(picked - {7, 8})
        assert len(store.outcomes("c")) == expected
