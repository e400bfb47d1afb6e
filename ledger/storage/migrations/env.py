"""Alembic environment: runs on the connection Saksi passes in (ledger.storage.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from ledger.storage.schema import metadata

config = context.config


def run_migrations(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:  # the alembic command line: `alembic -x url=sqlite:///saksi-data/saksi.db upgrade head`
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        run_migrations(conn)
