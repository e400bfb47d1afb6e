"""The SQL storage adapter (SQLAlchemy Core): SQLite and PostgreSQL behind one class.

Writers go through :meth:`SqlStore.write`, which locks the single `tree_state`
row (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so
appends from several processes or hosts serialise and leaf indexes never race.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from ledger.core.events import ServiceEvent
from ledger.core.merkle import NodeId
from ledger.errors import Conflict, NotFound, StorageUnavailable
from ledger.storage.schema import (
    agencies,
    agency_signers,
    anchors,
    case_heads,
    checkpoints,
    erasures,
    events,
    payloads,
    tree_nodes,
    tree_state,
)

EVENT_COLUMNS = tuple(c.name for c in events.columns)

_PG_ARRAY_TYPES = {
    "LargeBinary": "bytea",
    "BigInteger": "bigint",
    "SmallInteger": "smallint",
    "Integer": "integer",
    "String": "text",
    "Text": "text",
}

# SQLite allows 32,766 bound parameters; keep IN lists well below.
_CHUNK = 900


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An accepted event as stored; `event` is rebuilt from the row's columns."""

    leaf_index: int
    event: ServiceEvent
    signature: bytes
    signer: bytes
    received_at: int
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class CaseHead:
    case_commitment: bytes
    case_seq: int
    head_hash: bytes
    leaf_index: int


@dataclass(frozen=True, slots=True)
class AnchorRecord:
    tree_size: int
    chain_id: int
    contract: bytes
    tx_hash: bytes | None
    block_number: int | None
    status: str


@dataclass(frozen=True, slots=True)
class AgencySigner:
    agency: str
    signer: bytes
    valid_from: int
    valid_until: int | None
    status: str


def _event_from_row(row: Any) -> StoredEvent:
    return StoredEvent(
        leaf_index=row.leaf_index,
        event=ServiceEvent(
            event_id=row.event_id,
            agency=row.agency,
            case_commitment=bytes(row.case_commitment),
            case_seq=row.case_seq,
            prev_event_hash=bytes(row.prev_event_hash),
            event_type=row.event_type,
            summary=row.summary,
            occurred_at=row.occurred_at,
            payload_digest=bytes(row.payload_digest),
        ),
        signature=bytes(row.signature),
        signer=bytes(row.signer),
        received_at=row.received_at,
        leaf_hash=bytes(row.leaf_hash),
    )


class Reader:
    """Queries shared by read and write transactions."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def tree_size(self) -> int:
        return self.conn.execute(select(tree_state.c.tree_size).where(tree_state.c.id == 1)).scalar_one()

    def get_nodes(self, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """Perfect-subtree hashes; level 0 are leaf hashes. Raises NotFound for a missing node.

        Plain driver SQL: a proof needs a few dozen point reads, and compiling a fresh OR-list
        statement per proof would cost more than the reads themselves.
        """
        wanted = set(ids)
        found: dict[NodeId, bytes] = {}
        marker = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        leaves = sorted(node.index for node in wanted if node.level == 0)
        for chunk in _chunks(leaves):
            rows = self.conn.exec_driver_sql(
                f"SELECT leaf_index, leaf_hash FROM events WHERE leaf_index IN ({', '.join([marker] * len(chunk))})",
                tuple(chunk),
            )
            for leaf_index, leaf_hash in rows:
                found[NodeId(0, leaf_index)] = bytes(leaf_hash)
        inner = sorted(node for node in wanted if node.level > 0)
        for chunk in _chunks(inner, _CHUNK // 2):
            condition = " OR ".join([f"(level = {marker} AND idx = {marker})"] * len(chunk))
            params = tuple(value for node in chunk for value in (node.level, node.index))
            for level, idx, value in self.conn.exec_driver_sql(
                f"SELECT level, idx, hash FROM tree_nodes WHERE {condition}", params
            ):
                found[NodeId(level, idx)] = bytes(value)
        missing = wanted - found.keys()
        if missing:
            raise NotFound(f"tree node {min(missing)} is not stored", node=str(min(missing)))
        return found

    def events_by_key(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredEvent]:
        """Events by (agency, eventId); grouped by agency so both databases use the unique index
        (a row-value IN list is slow to plan on PostgreSQL)."""
        by_agency: dict[str, list[str]] = {}
        for agency, event_id in keys:
            by_agency.setdefault(agency, []).append(event_id)
        out: dict[tuple[str, str], StoredEvent] = {}
        for agency, event_ids in by_agency.items():
            for chunk in _chunks(sorted(set(event_ids))):
                rows = self.conn.execute(select(events).where(events.c.agency == agency, events.c.event_id.in_(chunk)))
                for row in rows:
                    out[(row.agency, row.event_id)] = _event_from_row(row)
        return out

    def event_at(self, leaf_index: int) -> StoredEvent:
        row = self.conn.execute(select(events).where(events.c.leaf_index == leaf_index)).first()
        if row is None:
            raise NotFound(f"no event at leaf index {leaf_index}")
        return _event_from_row(row)

    def case_events(self, case_commitment: bytes) -> list[StoredEvent]:
        rows = self.conn.execute(
            select(events).where(events.c.case_commitment == case_commitment).order_by(events.c.case_seq)
        )
        return [_event_from_row(row) for row in rows]

    def case_heads(self, commitments: Iterable[bytes]) -> dict[bytes, CaseHead]:
        out: dict[bytes, CaseHead] = {}
        for chunk in _chunks(sorted(set(commitments))):
            for row in self.conn.execute(select(case_heads).where(case_heads.c.case_commitment.in_(chunk))):
                out[bytes(row.case_commitment)] = CaseHead(
                    bytes(row.case_commitment), row.case_seq, bytes(row.head_hash), row.leaf_index
                )
        return out

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        rows = self.conn.execute(
            select(events.c.leaf_hash)
            .where(events.c.leaf_index >= start, events.c.leaf_index < end)
            .order_by(events.c.leaf_index)
        )
        return [bytes(h) for (h,) in rows]

    def active_signers(self, codes: Iterable[str]) -> dict[str, AgencySigner]:
        """Each known agency among `codes`: its current signer, or status "revoked" and no signer."""
        out: dict[str, AgencySigner] = {}
        for chunk in _chunks(sorted(set(codes))):
            rows = self.conn.execute(
                select(agencies.c.code, agencies.c.status, agency_signers.c.signer, agency_signers.c.valid_from)
                .outerjoin(
                    agency_signers,
                    and_(agency_signers.c.agency == agencies.c.code, agency_signers.c.valid_until.is_(None)),
                )
                .where(agencies.c.code.in_(chunk))
            )
            for row in rows:
                signer = b"" if row.signer is None else bytes(row.signer)
                out[row.code] = AgencySigner(row.code, signer, row.valid_from or 0, None, row.status)
        return out

    def signer_history(self, signers: Iterable[bytes]) -> list[AgencySigner]:
        """Every registration of these addresses, to explain why a signer is refused."""
        out: list[AgencySigner] = []
        for chunk in _chunks(sorted(set(signers))):
            rows = self.conn.execute(
                select(agency_signers, agencies.c.status)
                .join(agencies, agencies.c.code == agency_signers.c.agency)
                .where(agency_signers.c.signer.in_(chunk))
            )
            out += [AgencySigner(r.agency, bytes(r.signer), r.valid_from, r.valid_until, r.status) for r in rows]
        return out

    def payload(self, leaf_index: int) -> tuple[bytes, bytes] | None:
        row = self.conn.execute(
            select(payloads.c.salt, payloads.c.payload).where(payloads.c.leaf_index == leaf_index)
        ).first()
        return None if row is None else (bytes(row.salt), bytes(row.payload))

    def latest_checkpoint(self) -> tuple[int, bytes, str] | None:
        row = self.conn.execute(select(checkpoints).order_by(checkpoints.c.tree_size.desc()).limit(1)).first()
        return None if row is None else (row.tree_size, bytes(row.root_hash), row.origin)

    def checkpoint(self, tree_size: int) -> tuple[int, bytes, str] | None:
        row = self.conn.execute(select(checkpoints).where(checkpoints.c.tree_size == tree_size)).first()
        return None if row is None else (row.tree_size, bytes(row.root_hash), row.origin)

    def anchor_for(self, tree_size: int) -> AnchorRecord | None:
        row = self.conn.execute(select(anchors).where(anchors.c.tree_size == tree_size)).first()
        if row is None:
            return None
        return AnchorRecord(
            row.tree_size,
            row.chain_id,
            bytes(row.contract),
            None if row.tx_hash is None else bytes(row.tx_hash),
            row.block_number,
            row.status,
        )

    def latest_anchored_checkpoint(self) -> tuple[int, bytes, str] | None:
        """The newest checkpoint whose anchor is mined or confirmed on chain."""
        row = self.conn.execute(
            select(checkpoints)
            .join(anchors, anchors.c.tree_size == checkpoints.c.tree_size)
            .where(anchors.c.status.in_(("mined", "confirmed")))
            .order_by(checkpoints.c.tree_size.desc())
            .limit(1)
        ).first()
        return None if row is None else (row.tree_size, bytes(row.root_hash), row.origin)

    def agencies(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(
                agencies.c.code,
                agencies.c.name,
                agencies.c.status,
                agency_signers.c.signer,
                agency_signers.c.valid_from,
            )
            .outerjoin(
                agency_signers,
                and_(agency_signers.c.agency == agencies.c.code, agency_signers.c.valid_until.is_(None)),
            )
            .order_by(agencies.c.code)
        )
        return [
            {
                "code": r.code,
                "name": r.name,
                "status": r.status,
                "signer": None if r.signer is None else bytes(r.signer),
                "since": r.valid_from,
            }
            for r in rows
        ]

    def signer_windows(self) -> list[AgencySigner]:
        """Every agency's signers with the window each was active in (the registry's history)."""
        rows = self.conn.execute(
            select(agency_signers, agencies.c.status)
            .join(agencies, agencies.c.code == agency_signers.c.agency)
            .order_by(agency_signers.c.agency, agency_signers.c.valid_from)
        )
        return [AgencySigner(r.agency, bytes(r.signer), r.valid_from, r.valid_until, r.status) for r in rows]

    def checkpoints_page(self, limit: int, before: int | None = None) -> list[tuple[int, bytes, str, int]]:
        """Newest checkpoints first: (tree size, root, origin, created_at)."""
        query = select(checkpoints).order_by(checkpoints.c.tree_size.desc()).limit(limit)
        if before is not None:
            query = query.where(checkpoints.c.tree_size < before)
        return [(r.tree_size, bytes(r.root_hash), r.origin, r.created_at) for r in self.conn.execute(query)]

    def anchored_size(self) -> int:
        """The largest tree size whose anchor is mined or confirmed (0 if none)."""
        size = self.conn.execute(
            select(func.max(anchors.c.tree_size)).where(anchors.c.status.in_(("mined", "confirmed")))
        ).scalar_one()
        return size or 0


class WriteTx(Reader):
    """Inside the writer lock: the tree size read here is the one appends extend."""

    # Bulk inserts go straight to the driver's executemany: SQLAlchemy's per-row
    # parameter processing costs more than the inserts themselves at 50,000 rows/s.

    def _bulk_insert(
        self, table: Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]], suffix: str = ""
    ) -> None:
        """SQLite: the driver's executemany (fast in process). PostgreSQL: one statement per batch
        over unnest()ed column arrays: one round trip, and no huge query text to parse."""
        batch = list(rows)
        if not batch:
            return
        head = f"INSERT INTO {table.name} ({', '.join(columns)}) "
        if self.conn.dialect.paramstyle == "qmark":
            self.conn.exec_driver_sql(head + f"VALUES ({', '.join('?' * len(columns))}){suffix}", batch)
            return
        arrays = tuple(list(column) for column in zip(*batch, strict=True))
        casts = ", ".join(f"%s::{_PG_ARRAY_TYPES[table.c[name].type.__class__.__name__]}[]" for name in columns)
        self.conn.exec_driver_sql(head + f"SELECT * FROM unnest({casts}){suffix}", arrays)

    def insert_events(self, rows: Sequence[Mapping[str, Any]]) -> None:
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
        self.conn.execute(update(tree_state).where(tree_state.c.id == 1).values(tree_size=size))

    def add_checkpoint(self, tree_size: int, root_hash: bytes, origin: str, created_at: int) -> None:
        existing = self.checkpoint(tree_size)
        if existing is not None:
            if existing[1] != root_hash:
                raise Conflict(f"checkpoint {tree_size} already stored with another root")
            return
        self.conn.execute(
            insert(checkpoints).values(tree_size=tree_size, root_hash=root_hash, origin=origin, created_at=created_at)
        )

    # --- the agency registry mirror ---------------------------------------------------

    def register_agency(self, code: str, name: str, signer: bytes, at: int, block_number: int | None = None) -> None:
        if self.conn.execute(select(agencies.c.code).where(agencies.c.code == code)).first() is not None:
            raise Conflict(f"agency {code} is already registered")
        self.conn.execute(insert(agencies).values(code=code, name=name, status="active"))
        self.conn.execute(
            insert(agency_signers).values(agency=code, signer=signer, valid_from=at, block_number=block_number)
        )

    def rotate_agency_signer(self, code: str, signer: bytes, at: int, block_number: int | None = None) -> None:
        current = self.active_signers([code]).get(code)
        if current is None or current.status != "active":
            raise NotFound(f"agency {code} is not registered and active")
        self._close_signer(code, at)
        self.conn.execute(
            insert(agency_signers).values(agency=code, signer=signer, valid_from=at, block_number=block_number)
        )

    def revoke_agency(self, code: str, at: int) -> None:
        current = self.active_signers([code]).get(code)
        if current is None or current.status != "active":
            raise NotFound(f"agency {code} is not registered and active")
        self._close_signer(code, at)
        self.conn.execute(update(agencies).where(agencies.c.code == code).values(status="revoked"))

    def set_agency_name(self, code: str, name: str) -> None:
        """The display name (the registry on chain only knows codes)."""
        self.conn.execute(update(agencies).where(agencies.c.code == code).values(name=name))

    def _close_signer(self, code: str, at: int) -> None:
        self.conn.execute(
            update(agency_signers)
            .where(agency_signers.c.agency == code, agency_signers.c.valid_until.is_(None))
            .values(valid_until=at)
        )

    def erase_payload(self, leaf_index: int, erasure_leaf_index: int, legal_basis: str) -> None:
        self.conn.execute(delete(payloads).where(payloads.c.leaf_index == leaf_index))
        self.conn.execute(
            insert(erasures).values(
                leaf_index=leaf_index, erasure_leaf_index=erasure_leaf_index, legal_basis=legal_basis
            )
        )


class ReadTx(Reader):
    pass


class SqlStore:
    """Storage port implementation over one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[WriteTx]:
        """One transaction holding the writer lock; commits on success, rolls back on error."""
        try:
            with self.engine.connect().execution_options(sqlite_write=True) as conn, conn.begin():
                if self.dialect != "sqlite":
                    conn.execute(select(tree_state.c.tree_size).where(tree_state.c.id == 1).with_for_update())
                yield WriteTx(conn)
        except OperationalError as exc:
            raise StorageUnavailable(f"database unavailable: {exc.orig!s}") from exc

    @contextmanager
    def read(self) -> Iterator[ReadTx]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield ReadTx(conn)
        except OperationalError as exc:
            raise StorageUnavailable(f"database unavailable: {exc.orig!s}") from exc
