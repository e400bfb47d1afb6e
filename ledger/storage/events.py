"""The log's events and case heads: the one mapping of an accepted event to its row, and its queries.

`event_row` is that mapping (append, the benchmark seeders, the conformance and audit tests use it);
`StoredEvent` is what a row reads back as. `EventQueries` are the events' and case heads' reads,
mixed into every transaction (ledger.storage.sql.Reader); the writes are `WriteTx`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ledger.core.events import ServiceEvent
from ledger.errors import NotFound
from ledger.storage.queries import Queries, _chunks
from ledger.storage.schema import events, payloads

EVENT_COLUMNS = tuple(c.name for c in events.columns)


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


_EVENT_SELECT = "SELECT " + ", ".join(EVENT_COLUMNS) + " FROM events"
# PostgreSQL only (arrays sent in binary, %b): one index probe per key.
_PG_EVENTS_BY_KEY = (
    "SELECT " + ", ".join("e." + c for c in EVENT_COLUMNS) + " FROM unnest(%b::text[]) AS k(event_id) "
    "JOIN LATERAL (SELECT * FROM events WHERE agency = %s AND event_id = k.event_id) e ON true"
)
_PG_CASE_HEADS = (
    "SELECT h.case_commitment, h.case_seq, h.head_hash, h.leaf_index FROM unnest(%b::bytea[]) AS k(c) "
    "JOIN LATERAL (SELECT * FROM case_heads WHERE case_commitment = k.c) h ON true"
)


def event_row(
    leaf_index: int, event: ServiceEvent, signature: bytes, signer: bytes, received_at: int, leaf_hash: bytes
) -> dict[str, Any]:
    """The events row of an accepted event (for :meth:`WriteTx.insert_events`): the one mapping from
    the event's fields to the table's columns; `_event_from_tuple` is its inverse."""
    return {
        "leaf_index": leaf_index,
        "agency": event.agency,
        "event_id": event.event_id,
        "case_commitment": event.case_commitment,
        "case_seq": event.case_seq,
        "prev_event_hash": event.prev_event_hash,
        "event_type": event.event_type,
        "summary": event.summary,
        "occurred_at": event.occurred_at,
        "payload_digest": event.payload_digest,
        "signature": signature,
        "signer": signer,
        "received_at": received_at,
        "leaf_hash": leaf_hash,
    }


def _event_from_tuple(row: Sequence[Any]) -> StoredEvent:
    """A row of `_EVENT_SELECT` (EVENT_COLUMNS order) as a StoredEvent (the inverse of `event_row`)."""
    (leaf_index, agency, event_id, commitment, case_seq, prev, event_type, summary, occurred_at, digest, signature,
     signer, received_at, leaf_hash) = row  # fmt: skip
    return StoredEvent(
        leaf_index=leaf_index,
        event=ServiceEvent(
            event_id=event_id,
            agency=agency,
            case_commitment=bytes(commitment),
            case_seq=case_seq,
            prev_event_hash=bytes(prev),
            event_type=event_type,
            summary=summary,
            occurred_at=occurred_at,
            payload_digest=bytes(digest),
        ),
        signature=bytes(signature),
        signer=bytes(signer),
        received_at=received_at,
        leaf_hash=bytes(leaf_hash),
    )


class EventQueries(Queries):
    """Events by key, by leaf and by case; case heads; payloads; receipt times."""

    def events_by_key(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredEvent]:
        """Events by (agency, eventId), through the unique index on both.

        PostgreSQL gets one probe per key (a LATERAL join over the keys as an array, one short
        statement): with a 1,000-parameter `event_id IN (…)` list, once psycopg prepared it, the
        cached generic plan scanned all of an agency's events and filtered, and the append slowed
        down with every event stored (the PostgreSQL figures of `append-full` and `http-ingest` in
        benchmarks/results.json hold it to the rate). The planner
        still needs statistics that know how many events an agency has (autovacuum's ANALYZE).
        """
        by_agency: dict[str, list[str]] = {}
        for agency, event_id in keys:
            by_agency.setdefault(agency, []).append(event_id)
        out: dict[tuple[str, str], StoredEvent] = {}
        for agency, event_ids in by_agency.items():
            for chunk in _chunks(sorted(set(event_ids))):
                if self._qmark:
                    rows = self._all(
                        f"{_EVENT_SELECT} WHERE agency = ? AND event_id IN ({', '.join('?' * len(chunk))})",
                        (agency, *chunk),
                    )
                else:
                    rows = self._all(_PG_EVENTS_BY_KEY, (list(chunk), agency))
                for row in rows:
                    stored = _event_from_tuple(row)
                    out[(stored.event.agency, stored.event.event_id)] = stored
        return out

    def event_at(self, leaf_index: int) -> StoredEvent:
        rows = self._all(f"{_EVENT_SELECT} WHERE leaf_index = ?", (leaf_index,))
        if not rows:
            raise NotFound(f"no event at leaf index {leaf_index}")
        return _event_from_tuple(rows[0])

    def case_events(self, case_commitment: bytes, after_seq: int = -1) -> list[StoredEvent]:
        """The case's events in order; with `after_seq`, only those after that caseSeq (a live stream's news)."""
        rows = self._all(
            f"{_EVENT_SELECT} WHERE case_commitment = ? AND case_seq > ? ORDER BY case_seq",
            (case_commitment, after_seq),
        )
        return [_event_from_tuple(row) for row in rows]

    def case_heads(self, commitments: Iterable[bytes]) -> dict[bytes, CaseHead]:
        out: dict[bytes, CaseHead] = {}
        for chunk in _chunks(sorted(set(commitments))):
            if self._qmark:
                rows = self._all(
                    "SELECT case_commitment, case_seq, head_hash, leaf_index FROM case_heads "
                    f"WHERE case_commitment IN ({', '.join('?' * len(chunk))})",
                    tuple(chunk),
                )
            else:  # one primary-key probe per commitment, whatever the statistics (see events_by_key)
                rows = self._all(_PG_CASE_HEADS, (list(chunk),))
            for commitment, case_seq, head_hash, leaf_index in rows:
                out[bytes(commitment)] = CaseHead(bytes(commitment), case_seq, bytes(head_hash), leaf_index)
        return out

    def payload(self, leaf_index: int) -> tuple[bytes, bytes] | None:
        row = self.conn.execute(
            select(payloads.c.salt, payloads.c.payload).where(payloads.c.leaf_index == leaf_index)
        ).first()
        return None if row is None else (bytes(row.salt), bytes(row.payload))

    def received_at(self, leaf_index: int) -> int | None:
        """When the leaf at ``leaf_index`` was received (unix ms), or None past the end of the log."""
        rows = self._all("SELECT received_at FROM events WHERE leaf_index = ?", (leaf_index,))
        return rows[0][0] if rows else None

    def events_per_day(self) -> dict[int, int]:
        """Events received per UTC day: day number (unix ms // 86,400,000) -> count, oldest first."""
        day = (events.c.received_at // 86_400_000).label("day")
        rows = self.conn.execute(select(day, func.count()).group_by(day).order_by(day))
        return {int(d): int(n) for d, n in rows}
