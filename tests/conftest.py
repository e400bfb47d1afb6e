"""Shared fixtures: a migrated store on SQLite and on PostgreSQL (the same tests run on both)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from ledger.storage.engine import DatabaseSettings, create_database_engine, upgrade
from ledger.storage.sql import SqlStore

POSTGRES_URL = os.environ.get("SAKSI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _sqlite_store(tmp_path) -> Iterator[SqlStore]:
    engine = create_database_engine(DatabaseSettings(f"sqlite:///{tmp_path}/saksi.db", sqlite_synchronous="NORMAL"))
    upgrade(engine)
    yield SqlStore(engine)
    engine.dispose()


def _postgres_store() -> Iterator[SqlStore]:
    """A fresh schema per test, dropped afterwards, so tests never see each other's rows."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means no server
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}")
    engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)
    try:
        yield SqlStore(engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        yield from _sqlite_store(tmp_path)
    else:
        yield from _postgres_store()
