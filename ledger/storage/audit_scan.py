"""Every read the audit makes of the database, as plain values: the audit itself (:mod:`ledger.audit`) runs
no SQL and imports no driver.

:class:`AuditScan` reads through one connection inside the audit's snapshot (``SqlStore.read()``). Pages of
events come back as DB-API tuples in :data:`~ledger.storage.events.EVENT_COLUMNS` order (the columns of the
events table, the one list the append path writes too; no per-row objects: an audit reads millions
of them), stored nodes and payloads as bytes. Worker processes read their own pages of an SQLite file
through :func:`read_own_page`, on read-only connections they open once per process.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from ledger.storage.events import EVENT_COLUMNS
from ledger.storage.schema import (
    agencies,
    agency_signers,
    anchors,
    checkpoints,
    complaints,
    erasures,
    events,
    payloads,
    tree_nodes,
)

CHUNK = 500  # leaves per IN (...) list

_CONNECTIONS: dict[str, sqlite3.Connection] = {}  # a worker process's read-only connections, by file


@dataclass
class PageRows:
    """One page as stored: event rows (:data:`~ledger.storage.events.EVENT_COLUMNS` tuples, by leaf), payloads and tree nodes."""

    rows: list[tuple[Any, ...]]
    payloads: dict[int, tuple[bytes, bytes]]  # leaf -> (salt, payload)
    nodes: dict[int, list[tuple[int, bytes]]]  # level -> stored (idx, hash) inside the page, by idx


@dataclass(frozen=True)
class AnchorRecord:
    tree_size: int
    status: str
    tx_hash: bytes | None
    block_number: int | None
    chain_id: int | None
    contract: bytes


@dataclass(frozen=True)
class ComplaintRecord:
    filed_leaf_index: int
    case_commitment: bytes
    filed_at: int
    concerns_case: bytes
    concerns_agency: str
    category: str


@dataclass(frozen=True)
class MirroredSigner:
    agency: str
    signer: bytes
    valid_from: int
    valid_until: int | None


def read_page(cursor: Any, qmark: bool, start: int, end: int, tree_end: int, page_levels: int) -> PageRows:
    """Rows, payloads and stored nodes of one page through a DB-API cursor (one snapshot)."""

    def query(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        cursor.execute(sql if qmark else sql.replace("?", "%s"), params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows

    rows = query(
        f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
        (start, end),
    )
    stored_payloads = {
        i: (bytes(salt), bytes(body))
        for i, salt, body in query(
            "SELECT leaf_index, salt, payload FROM payloads WHERE leaf_index >= ? AND leaf_index < ?", (start, end)
        )
    }
    nodes: dict[int, list[tuple[int, bytes]]] = {}
    for level in range(1, page_levels + 1):
        if (tree_end >> level) <= (start >> level):
            break
        nodes[level] = [
            (idx, bytes(value))
            for idx, value in query(
                "SELECT idx, hash FROM tree_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
                (level, start >> level, tree_end >> level),
            )
        ]
    return PageRows(rows, stored_payloads, nodes)


def read_own_page(database: str, start: int, end: int, tree_end: int, page_levels: int) -> PageRows:
    """A page of an SQLite file, read by a worker process in its own snapshot on its own read-only
    connection (opened once per process and file)."""
    conn = _CONNECTIONS.get(database)
    if conn is None:
        uri = "file:" + quote(os.path.abspath(database)) + "?mode=ro"  # a worker only reads
        conn = _CONNECTIONS[database] = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
        conn.execute("PRAGMA query_only = ON")
    cursor = conn.cursor()
    cursor.execute("BEGIN")
    try:
        return read_page(cursor, True, start, end, tree_end, page_levels)
    finally:
        cursor.execute("COMMIT")
        cursor.close()


def worker_database(engine: Engine) -> str | None:
    """The SQLite file worker processes may read themselves (None: the audit's process reads for them)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None
    return url.database


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for position in range(0, len(values), CHUNK):
        yield values[position : position + CHUNK]


class AuditScan:
    """The audit's reads through `conn`, one connection inside one snapshot."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.qmark = conn.dialect.paramstyle == "qmark"

    def _raw(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """A query on the driver's own cursor (plain tuples, no per-row processing); `?` placeholders."""
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute(sql if self.qmark else sql.replace("?", "%s"), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def page(self, start: int, end: int, tree_end: int, page_levels: int) -> PageRows:
        cursor = self.conn.connection.cursor()
        try:
            return read_page(cursor, self.qmark, start, end, tree_end, page_levels)
        finally:
            cursor.close()

    def last_leaf(self) -> int | None:
        last: int | None = self.conn.execute(select(func.max(events.c.leaf_index))).scalar_one()
        return last

    def mirrored_signers(self) -> list[MirroredSigner]:
        return [
            MirroredSigner(r.agency, bytes(r.signer), r.valid_from, r.valid_until)
            for r in self.conn.execute(
                select(agency_signers).order_by(agency_signers.c.agency, agency_signers.c.valid_from)
            )
        ]

    def agency_statuses(self) -> dict[str, str]:
        return {r.code: r.status for r in self.conn.execute(select(agencies.c.code, agencies.c.status))}

    def agency_names(self) -> dict[str, str | None]:
        return {code: name for code, name in self.conn.execute(select(agencies.c.code, agencies.c.name))}

    def checkpoints(self) -> dict[int, tuple[bytes, str]]:
        """size -> (root, origin)."""
        return {r.tree_size: (bytes(r.root_hash), r.origin) for r in self.conn.execute(select(checkpoints))}

    def anchors(self) -> dict[int, AnchorRecord]:
        return {
            r.tree_size: AnchorRecord(
                r.tree_size,
                r.status,
                None if r.tx_hash is None else bytes(r.tx_hash),
                r.block_number,
                r.chain_id,
                bytes(r.contract),
            )  # fmt: skip
            for r in self.conn.execute(select(anchors))
        }

    def erasures(self) -> dict[int, tuple[int, str]]:
        """erased leaf -> (the erasure event's leaf, legal basis)."""
        return {r.leaf_index: (r.erasure_leaf_index, r.legal_basis) for r in self.conn.execute(select(erasures))}

    def stored_nodes(self, level: int, low: int, high: int) -> list[tuple[int, bytes]]:
        """(idx, hash) of the stored nodes of `level` with low <= idx <= high."""
        rows = self._raw(
            "SELECT idx, hash FROM tree_nodes WHERE level = ? AND idx >= ? AND idx <= ?", (level, low, high)
        )
        return [(idx, bytes(value)) for idx, value in rows]

    def stored_node(self, level: int, index: int) -> bytes | None:
        value = self.conn.execute(
            select(tree_nodes.c.hash).where(tree_nodes.c.level == level, tree_nodes.c.idx == index)
        ).scalar_one_or_none()
        return None if value is None else bytes(value)

    def node_indexes_from(self, level: int, low: int, limit: int) -> list[int]:
        """The first `limit` stored node indexes of `level` from `low` on."""
        rows = self._raw(
            "SELECT idx FROM tree_nodes WHERE level = ? AND idx >= ? ORDER BY idx LIMIT ?", (level, low, limit)
        )
        return [idx for (idx,) in rows]

    def events_of_cases_before(self, commitments: Sequence[bytes], start: int) -> Iterator[tuple[Any, ...]]:
        """Events of these cases below leaf `start`, by leaf: (leaf_index, event_id, agency,
        case_commitment, case_seq, prev_event_hash, event_type, summary, occurred_at, payload_digest)."""
        for chunk in _chunks(list(commitments)):
            found = self.conn.execute(
                select(
                    events.c.leaf_index,
                    events.c.event_id,
                    events.c.agency,
                    events.c.case_commitment,
                    events.c.case_seq,
                    events.c.prev_event_hash,
                    events.c.event_type,
                    events.c.summary,
                    events.c.occurred_at,
                    events.c.payload_digest,
                )  # fmt: skip
                .where(events.c.case_commitment.in_(chunk), events.c.leaf_index < start)
                .order_by(events.c.leaf_index)
            )
            for r in found:
                yield (
                    r.leaf_index, r.event_id, r.agency, bytes(r.case_commitment), r.case_seq,
                    bytes(r.prev_event_hash), r.event_type, r.summary, r.occurred_at, bytes(r.payload_digest),
                )  # fmt: skip

    def payloads_present(self, leaves: Iterable[int]) -> set[int]:
        """Which of these leaves still have a payload stored."""
        present: set[int] = set()
        for chunk in _chunks(sorted(leaves)):
            present |= set(
                self.conn.execute(select(payloads.c.leaf_index).where(payloads.c.leaf_index.in_(chunk))).scalars()
            )
        return present

    def complaints_from(self, start: int) -> list[ComplaintRecord]:
        return [
            ComplaintRecord(
                r.filed_leaf_index,
                bytes(r.case_commitment),
                r.filed_at,
                bytes(r.concerns_case),
                r.concerns_agency,
                r.category,
            )  # fmt: skip
            for r in self.conn.execute(select(complaints).where(complaints.c.filed_leaf_index >= start))
        ]

    def case_heads(self) -> dict[bytes, tuple[int, bytes, int]]:
        """case -> (seq, head hash, leaf index), as stored."""
        # one row per case (a quarter of the events in the benchmark): plain driver tuples, no Row objects
        rows = self._raw("SELECT case_commitment, case_seq, head_hash, leaf_index FROM case_heads", ())
        return {bytes(c): (seq, bytes(h), leaf) for c, seq, h, leaf in rows}

    def agencies_of(self, leaves: Iterable[int]) -> dict[int, str]:
        wanted = sorted(leaves)
        if not wanted:
            return {}
        rows = self.conn.execute(select(events.c.leaf_index, events.c.agency).where(events.c.leaf_index.in_(wanted)))
        return dict(rows.all())

    def oldest_received_from(self, leaf: int) -> int | None:
        """The earliest receivedAt of the events from leaf `leaf` on."""
        oldest: int | None = self.conn.execute(
            select(func.min(events.c.received_at)).where(events.c.leaf_index >= leaf)
        ).scalar_one()
        return oldest
