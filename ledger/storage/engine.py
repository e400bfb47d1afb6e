"""Engines for SQLite (WAL, the embedded default) and PostgreSQL, and Alembic upgrades."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, insert, select
from sqlalchemy.engine import make_url

from ledger.storage.schema import tree_state

MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class DatabaseSettings:
    """How to reach the database; read from configuration at the edges, passed in here."""

    url: str
    # FULL survives power loss as well as kill -9; NORMAL (WAL) survives kill -9 only.
    sqlite_synchronous: str = "FULL"
    # WAL pages after which the committing writer copies the WAL into the database file (SQLite's
    # default). 0: never in a commit; a long-running server checkpoints from a thread of its own
    # instead (SqlStore.start_wal_checkpoints), keeping that copy and its fsync off the request path.
    sqlite_wal_autocheckpoint: int = 1000
    # Bytes the write-ahead log file is cut back to when it restarts from the top. SQLite never
    # shrinks the file otherwise: a long read (an audit over the whole log while agencies submit)
    # keeps the WAL from restarting, and the file stays as large as it grew from then on. The limit
    # sits well above what steady ingest fills between two checkpoints (at the rate of the `load`
    # benchmark, benchmarks/results.json), so it is not cut and regrown every cycle.
    sqlite_journal_size_limit: int = 64 * 2**20
    pool_size: int = 5
    echo: bool = False
    # An auditor's connection: SQLite opened with mode=ro (no write lock, no WAL checkpoint), PostgreSQL
    # with every transaction READ ONLY. No migration runs on it: see check_schema.
    read_only: bool = False


def create_database_engine(settings: DatabaseSettings) -> Engine:
    url = make_url(settings.url)
    if url.get_backend_name() == "sqlite":
        # A pool as large as the threads using it: connections beyond it would be opened and closed
        # per checkout, each paying for its PRAGMAs and a schema read.
        options: dict = {}
        if settings.read_only:
            if not url.database or url.database == ":memory:" or not Path(url.database).exists():
                raise FileNotFoundError(f"no SQLite database at {url.database}")
            uri = "file:" + quote(str(Path(url.database).resolve())) + "?mode=ro"
            options["creator"] = lambda: sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        engine = create_engine(
            url,
            echo=settings.echo,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=settings.pool_size,
            **options,
        )
        synchronous = settings.sqlite_synchronous.upper()
        if synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError("sqlite_synchronous must be FULL, NORMAL or EXTRA")
        if not isinstance(settings.sqlite_wal_autocheckpoint, int) or settings.sqlite_wal_autocheckpoint < 0:
            raise ValueError("sqlite_wal_autocheckpoint must be a whole number of pages, 0 or more")
        if not isinstance(settings.sqlite_journal_size_limit, int) or settings.sqlite_journal_size_limit < 0:
            raise ValueError("sqlite_journal_size_limit must be a whole number of bytes, 0 or more")

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:
            # Let SQLAlchemy's "begin" event decide how a transaction starts (see below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            if settings.read_only:
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.execute("PRAGMA query_only=ON")
                cursor.close()
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute(f"PRAGMA wal_autocheckpoint={settings.sqlite_wal_autocheckpoint}")
            cursor.execute(f"PRAGMA journal_size_limit={settings.sqlite_journal_size_limit}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn) -> None:
            # Writers take the lock up front: a deferred transaction that later writes
            # can fail with SQLITE_BUSY instead of waiting its turn.
            if conn.get_execution_options().get("sqlite_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    if settings.read_only:
        # one snapshot per read transaction (as SQLite's), so an audit beside a writing server sees one state
        given = url.query.get("options", "")  # e.g. a search_path: kept, with READ ONLY added
        given = " ".join(given) if isinstance(given, tuple) else given
        return create_engine(
            url.difference_update_query(["options"]),
            echo=settings.echo,
            pool_size=settings.pool_size,
            pool_pre_ping=True,
            connect_args={"options": f"{given} -c default_transaction_read_only=on".strip()},
            isolation_level="REPEATABLE READ",
        )
    return create_engine(url, echo=settings.echo, pool_size=settings.pool_size, pool_pre_ping=True)


def alembic_config() -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def check_schema(engine: Engine) -> None:
    """The schema is the one this code expects (for a read-only reader, which must not migrate it)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from ledger.errors import InvalidInput

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head:
        raise InvalidInput(
            f"the database schema is at revision {current or 'none'}, this saksi reads {head}: "
            "start `saksi serve` (or any writing command) once to migrate it, then audit"
        )


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` and make sure the single tree_state row exists."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    with engine.connect().execution_options(sqlite_write=True) as conn, conn.begin():
        if conn.execute(select(tree_state.c.id)).first() is None:
            conn.execute(insert(tree_state).values(id=1, tree_size=0))
