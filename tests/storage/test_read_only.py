"""The auditor's database connection: read-only on SQLite and PostgreSQL, never migrated."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import DBAPIError

from ledger.errors import InvalidInput
from ledger.storage.engine import DatabaseSettings, check_schema, create_database_engine, upgrade
from ledger.storage.schema import tree_state
from tests.conftest import POSTGRES_URL


def _refuses_writes(url: str) -> None:
    engine = create_database_engine(DatabaseSettings(url, read_only=True))
    try:
        check_schema(engine)  # migrated by the writer; the reader only checks
        with engine.connect() as conn:
            assert conn.execute(text("SELECT tree_size FROM tree_state")).scalar_one() == 0
        with pytest.raises(DBAPIError, match="(?i)read.only|readonly"), engine.begin() as conn:
            conn.execute(insert(tree_state).values(id=2, tree_size=5))
    finally:
        engine.dispose()


def test_sqlite_reader_is_read_only(tmp_path):
    url = f"sqlite:///{tmp_path}/saksi.db"
    writer = create_database_engine(DatabaseSettings(url))
    upgrade(writer)
    with writer.connect() as held:  # a writer's connection open meanwhile, as under `saksi serve`
        held.execute(text("SELECT 1"))
        _refuses_writes(url)
    writer.dispose()


def test_an_unmigrated_database_is_not_migrated_by_the_reader(tmp_path):
    url = f"sqlite:///{tmp_path}/saksi.db"
    create_database_engine(DatabaseSettings(url)).connect().close()  # creates an empty file
    engine = create_database_engine(DatabaseSettings(url, read_only=True))
    with pytest.raises(InvalidInput, match="schema is at revision none"):
        check_schema(engine)
    engine.dispose()
    with pytest.raises(FileNotFoundError):
        create_database_engine(DatabaseSettings(f"sqlite:///{tmp_path}/absent.db", read_only=True))


@pytest.mark.postgres
def test_postgres_reader_is_read_only():
    schema = f"ro_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    try:
        writer = create_database_engine(DatabaseSettings(url))
        upgrade(writer)
        writer.dispose()
        _refuses_writes(url)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
