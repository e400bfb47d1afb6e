"""The SQL storage adapter (SQLAlchemy Core): SQLite and PostgreSQL behind one class.

Writers go through :meth:`SqlStore.write`, which locks the single `tree_state`
row (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so
appends from several processes or hosts serialise and leaf indexes never race.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine, Table, select
from sqlalchemy.exc import OperationalError

from ledger.core.merkle import NodeId
from ledger.errors import NotFound, StorageUnavailable
from ledger.storage.anchors import AnchorRepository
from ledger.storage.checkpoints import AnchorRecord as AnchorRecord  # re-exported: the citizen reads' anchor
from ledger.storage.checkpoints import CheckpointQueries, CheckpointWrites
from ledger.storage.complaints import ComplaintRepository
from ledger.storage.erasures import ErasureRepository
from ledger.storage.events import EVENT_COLUMNS as EVENT_COLUMNS  # re-exported: the events table's columns
from ledger.storage.events import CaseHead as CaseHead  # re-exported: a case's head
from ledger.storage.events import EventQueries
from ledger.storage.events import StoredEvent as StoredEvent  # re-exported: an accepted event as stored
from ledger.storage.events import event_row as event_row  # re-exported: the event-to-row mapping
from ledger.storage.queries import _MAX_PARAMS, _chunks
from ledger.storage.registry import AgencyQueries, AgencyWrites, RegistryMirror
from ledger.storage.registry import AgencySigner as AgencySigner  # re-exported: a signer's registration
from ledger.storage.schema import (
    case_heads,
    events,
    payloads,
    tree_nodes,
)
from ledger.storage.stats import StatsQueries
from ledger.storage.tiles import TileQueries
from ledger.storage.witnessing import WitnessingRepository

_log = logging.getLogger("ledger.storage")

_PG_ARRAY_TYPES = {
    "LargeBinary": "bytea",
    "BigInteger": "bigint",
    "SmallInteger": "smallint",
    "Integer": "integer",
    "String": "text",
    "Text": "text",
}


class Reader(EventQueries, CheckpointQueries, AgencyQueries, StatsQueries, TileQueries):
    """Queries shared by read and write transactions: the tree's here, the events', the checkpoints',
    the registry's, the statistics' and the tiles' in their own modules (ledger.storage.queries says why the
    hot paths use the driver's cursor).
    """

    def tree_size(self) -> int:
        ((size,),) = self._all("SELECT tree_size FROM tree_state WHERE id = 1")
        tree_size: int = size
        return tree_size

    def get_nodes(self, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """Perfect-subtree hashes; level 0 are leaf hashes. Raises NotFound for a missing node.

        SQLite: one primary-key lookup per node with two fixed statements, which the driver
        prepares once per connection (a round trip costs nothing in-process; a statement whose
        text changes with every request is parsed and planned afresh each time: for a case
        bundle's nodes, one UNION was slower than node by node; benchmarks/results.json, `proofs`
        and the bundle GET of `timeline-1m`, are the figures to watch).
        PostgreSQL: one statement for the lot (a round trip matters there), a UNION ALL with one
        branch per level, each an index range probe `level = ? AND idx IN (…)` that the planner
        answers from the primary key whatever its statistics say.
        """
        wanted = set(ids)
        found = self._nodes_one_by_one(wanted) if self._qmark else self._nodes_by_level(wanted)
        missing = wanted - found.keys()
        if missing:
            raise NotFound(f"tree node {min(missing)} is not stored", node=str(min(missing)))
        return found

    def _nodes_one_by_one(self, wanted: set[NodeId]) -> dict[NodeId, bytes]:
        found: dict[NodeId, bytes] = {}
        with self._cursor() as cursor:
            for node in wanted:
                if node.level == 0:
                    cursor.execute("SELECT leaf_hash FROM events WHERE leaf_index = ?", (node.index,))
                else:
                    cursor.execute("SELECT hash FROM tree_nodes WHERE level = ? AND idx = ?", (node.level, node.index))
                row = cursor.fetchone()
                if row is not None:
                    found[node] = bytes(row[0])
        return found

    def _nodes_by_level(self, wanted: set[NodeId]) -> dict[NodeId, bytes]:
        by_level: dict[int, list[int]] = {}
        for node in wanted:
            by_level.setdefault(node.level, []).append(node.index)
        branches: list[tuple[str, Sequence[int]]] = []
        for level, indexes in sorted(by_level.items()):
            for chunk in _chunks(sorted(indexes)):
                marks = ", ".join("?" * len(chunk))
                if level == 0:
                    branches.append(
                        (f"SELECT 0, leaf_index, leaf_hash FROM events WHERE leaf_index IN ({marks})", chunk)
                    )
                else:
                    branches.append(
                        (
                            f"SELECT level, idx, hash FROM tree_nodes WHERE level = ? AND idx IN ({marks})",
                            (level, *chunk),
                        )
                    )
        found: dict[NodeId, bytes] = {}
        statement: list[str] = []
        params: list[int] = []
        for n, (sql, values) in enumerate(branches):
            statement.append(sql)
            params += values
            if n == len(branches) - 1 or len(params) + len(branches[n + 1][1]) > _MAX_PARAMS:
                for level, idx, value in self._all(" UNION ALL ".join(statement), tuple(params)):
                    found[NodeId(level, idx)] = bytes(value)
                statement, params = [], []
        return found

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        rows = self.conn.execute(
            select(events.c.leaf_hash)
            .where(events.c.leaf_index >= start, events.c.leaf_index < end)
            .order_by(events.c.leaf_index)
        )
        return [bytes(h) for (h,) in rows]

    # --- the other aggregates' repositories, on this transaction's connection ---------------

    def anchors(self, chain_id: int, contract: bytes) -> AnchorRepository:
        """The anchors of the ledger contract ``contract`` on chain ``chain_id``."""
        return AnchorRepository(self.conn, chain_id, contract)

    @property
    def registry_mirror(self) -> RegistryMirror:
        return RegistryMirror(self.conn)

    @property
    def complaints(self) -> ComplaintRepository:
        return ComplaintRepository(self.conn)

    @property
    def erasures(self) -> ErasureRepository:
        return ErasureRepository(self.conn)

    @property
    def witnessing(self) -> WitnessingRepository:
        """Cosignatures, each witness's progress, witnessed checkpoints (writes need a WriteTx)."""
        return WitnessingRepository(self.conn)


class WriteTx(Reader, CheckpointWrites, AgencyWrites):
    """Inside the writer lock: the tree size read here is the one appends extend."""

    # Bulk inserts go straight to the driver's executemany: SQLAlchemy's per-row parameter
    # processing costs more than the inserts themselves at the rates of `append-verified`
    # (benchmarks/results.json).

    def _bulk_insert(
        self, table: Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]], suffix: str = ""
    ) -> None:
        """SQLite: the driver's executemany (fast in process). PostgreSQL: COPY, rows formatted by
        psycopg's C code; an upsert (`suffix`), which COPY cannot do, is one statement over
        unnest()ed column arrays: one round trip either way, and no huge query text to parse."""
        batch = list(rows)
        if not batch:
            return
        head = f"INSERT INTO {table.name} ({', '.join(columns)}) "
        if self._qmark:
            self._many(head + f"VALUES ({', '.join('?' * len(columns))}){suffix}", batch)
            return
        if not suffix:
            with self._cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            return
        arrays = tuple(list(column) for column in zip(*batch, strict=True))
        casts = ", ".join(f"?::{_PG_ARRAY_TYPES[table.c[name].type.__class__.__name__]}[]" for name in columns)
        self._run(head + f"SELECT * FROM unnest({casts}){suffix}", arrays)

    def insert_events(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows made by `event_row` (tests that tamper on purpose may pass rows of their own)."""
        self._bulk_insert(events, EVENT_COLUMNS, (tuple(r[c] for c in EVENT_COLUMNS) for r in rows))

    def insert_payloads(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._bulk_insert(
            payloads, ("leaf_index", "salt", "payload"), ((r["leaf_index"], r["salt"], r["payload"]) for r in rows)
        )

    def insert_nodes(self, nodes: Sequence[tuple[NodeId, bytes]]) -> None:
        self._bulk_insert(tree_nodes, ("level", "idx", "hash"), ((n.level, n.index, h) for n, h in nodes))

    def upsert_case_heads(self, heads: Iterable[CaseHead]) -> None:
        """Insert or move case heads; ON CONFLICT … DO UPDATE is the same SQL on SQLite and PostgreSQL."""
        self._bulk_insert(
            case_heads,
            ("case_commitment", "case_seq", "head_hash", "leaf_index"),
            ((h.case_commitment, h.case_seq, h.head_hash, h.leaf_index) for h in heads),
            suffix=" ON CONFLICT (case_commitment) DO UPDATE SET case_seq = excluded.case_seq, "
            "head_hash = excluded.head_hash, leaf_index = excluded.leaf_index",
        )

    def set_tree_size(self, size: int) -> None:
        self._run("UPDATE tree_state SET tree_size = ? WHERE id = 1", (size,))

    def erase_payload(self, leaf_index: int, erasure_leaf_index: int, legal_basis: str) -> None:
        self.erasures.erase_payload(leaf_index, erasure_leaf_index, legal_basis)


class ReadTx(Reader):
    pass


class SqlStore:
    """Storage port implementation over one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # Hot-path queries run on the driver's cursor (see Reader), so its errors arrive unwrapped.
        self._unavailable = (OperationalError, engine.dialect.loaded_dbapi.OperationalError)
        # Writers of this process queue here, in order, and are woken the moment the lock is free.
        # Left to the database, waiting writers poll: SQLite's busy handler sleeps 1, 2, 5, 10 …
        # up to 100 ms between tries, so two threads colliding cost milliseconds each time.
        self._writer = threading.Lock()
        self._checkpointer: tuple[threading.Event, threading.Thread] | None = None

    @contextmanager
    def write(self) -> Iterator[WriteTx]:
        """One transaction holding the writer lock; commits on success, rolls back on error."""
        try:
            with self._writer, self.engine.connect().execution_options(sqlite_write=True) as conn, conn.begin():
                tx = WriteTx(conn)
                if self.dialect != "sqlite":
                    tx._run("SELECT tree_size FROM tree_state WHERE id = 1 FOR UPDATE")
                yield tx
        except self._unavailable as exc:
            raise StorageUnavailable(f"database unavailable: {getattr(exc, 'orig', None) or exc!s}") from exc

    def checkpoint_wal(self) -> None:
        """SQLite: copy what the write-ahead log holds into the database file, without blocking
        writers or readers (a PASSIVE checkpoint). Nothing to do on PostgreSQL."""
        if self.dialect != "sqlite":
            return
        raw = self.engine.raw_connection()
        driver: Any = raw.driver_connection
        try:
            driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            raw.close()

    def start_wal_checkpoints(self, interval_s: float = 0.5) -> None:
        """Checkpoint from a thread of this store every `interval_s` (for engines made with
        `sqlite_wal_autocheckpoint=0`, so that no request pays for a checkpoint in its commit)."""
        if self.dialect != "sqlite" or self._checkpointer is not None:
            return
        stop = threading.Event()

        def run() -> None:
            while not stop.wait(interval_s):
                try:
                    self.checkpoint_wal()
                except Exception:  # noqa: BLE001 - a busy or failing checkpoint is retried next time
                    _log.warning("WAL checkpoint failed", exc_info=True)

        thread = threading.Thread(target=run, name="saksi-wal-checkpoint", daemon=True)
        self._checkpointer = (stop, thread)
        thread.start()

    def close(self) -> None:
        """Stop the checkpoint thread (one last checkpoint) and close every pooled connection."""
        if self._checkpointer is not None:
            stop, thread = self._checkpointer
            stop.set()
            thread.join(timeout=10)
            self._checkpointer = None
            with suppress(Exception):
                self.checkpoint_wal()
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[ReadTx]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield ReadTx(conn)
        except self._unavailable as exc:
            raise StorageUnavailable(f"database unavailable: {getattr(exc, 'orig', None) or exc!s}") from exc
