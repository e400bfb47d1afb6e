"""Lawful erasure: which leaves an erasure may shred, and the shredding (payload deleted, erasure recorded)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from ledger.storage.schema import erasures, events, payloads


@dataclass(frozen=True, slots=True)
class ErasureTarget:
    """What an erasure must check about a leaf it names: its case, its agency, whether a payload is stored."""

    leaf_index: int
    case_commitment: bytes
    agency: str
    has_payload: bool


class ErasureRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def targets(self, leaves: Iterable[int]) -> dict[int, ErasureTarget]:
        """The stored leaves among ``leaves``, by leaf index (a leaf past the log is simply absent)."""
        rows = self.conn.execute(
            select(events.c.leaf_index, events.c.case_commitment, events.c.agency, payloads.c.leaf_index.label("p"))
            .outerjoin(payloads, payloads.c.leaf_index == events.c.leaf_index)
            .where(events.c.leaf_index.in_(sorted(set(leaves))))
        ).all()
        return {
            r.leaf_index: ErasureTarget(r.leaf_index, bytes(r.case_commitment), r.agency, r.p is not None) for r in rows
        }

    def erase_payload(self, leaf_index: int, erasure_leaf_index: int, legal_basis: str) -> None:
        """Delete the leaf's payload and record which erasure event did it, on which legal basis."""
        self.conn.execute(delete(payloads).where(payloads.c.leaf_index == leaf_index))
        self.conn.execute(
            insert(erasures).values(
                leaf_index=leaf_index, erasure_leaf_index=erasure_leaf_index, legal_basis=legal_basis
            )
        )
