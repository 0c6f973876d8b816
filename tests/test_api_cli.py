"""`contentgen keys ...` and `contentgen serve --help`: the command-line side of the HTTP service."""

from __future__ import annotations

from typer.testing import CliRunner

from contentgen.cli import app
from contentgen.store import open_store
from contentgen.store.keys import ApiKeys


def test_keys_create_prints_a_working_key_once_and_list_never_shows_it(tmp_path):
    db = str(tmp_path / "keys.db")
    created = CliRunner().invoke(app, ["keys", "create", "--scope", "generate", "--name", "crm", "--db", db])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    with open_store(db) as store:
        record = ApiKeys(store).verify(key)
    assert record is not None and record.scope == "generate" and record.name == "crm"
    listed = CliRunner().invoke(app, ["keys", "list", "--db", db])
    assert record.key_id in listed.stdout and key not in listed.stdout
    revoked = CliRunner().invoke(app, ["keys", "revoke", record.key_id, "--db", db])
    assert revoked.exit_code == 0
    with open_store(db) as store:
        assert ApiKeys(store).verify(key) is None


def test_keys_create_names_the_valid_scopes(tmp_path):
    result = CliRunner().invoke(app, ["keys", "create", "--scope", "root", "--db", str(tmp_path / "k.db")])
    assert result.exit_code != 0 and "read, generate, admin" in str(result.exception)


def test_serve_help_explains_the_options():
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--project", "--host", "--port", "--db", "--backend"):
        assert option in result.stdout
