"""Alembic environment: runs on the connection the Store hands over (see ``database.py``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from contentgen.store.models import Base


def _run(connection) -> None:
    # render_as_batch lets later migrations ALTER tables on SQLite, which lacks most ALTERs.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=Base.metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        with create_engine(context.config.get_main_option("sqlalchemy.url")).begin() as own_connection:
            _run(own_connection)
