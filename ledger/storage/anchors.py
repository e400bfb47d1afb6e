"""The checkpoints' anchors, as the anchoring worker and the citizen reads see them (SQLAlchemy Core,
SQLite and PostgreSQL).

:class:`AnchorRepository` runs on the connection of a :class:`~ledger.storage.sql.Reader` or ``WriteTx``
(``reader.anchors(chain_id, contract)``); writes belong in ``store.write()`` so that they commit (or not)
with the caller's transaction. Rows are scoped to one ledger contract (chain id + address): a deployment
that moves to another chain does not read the old rows.

Life of a row (one per tree size): ``pending`` (signed, hash recorded, maybe not sent yet) -> ``mined``
(in a block) -> ``confirmed`` (deep enough); ``dropped`` when the transaction or its block vanished or
the chain refused it, and back to ``pending`` if the same size is anchored again.

"Anchored" has one definition, here: a row of the configured chain and contract that is ``mined`` or
``confirmed`` (:data:`ON_CHAIN`). :data:`ANCHORED_SQL` is the same condition for the hot-path queries of
``sql.Reader``, written once so that the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, func, insert, select, update

from ledger.storage.schema import anchors, checkpoints

PENDING, MINED, CONFIRMED, DROPPED = "pending", "mined", "confirmed", "dropped"
LIVE = (PENDING, MINED, CONFIRMED)
ON_CHAIN = (MINED, CONFIRMED)

#: The anchors row ``a`` anchors its checkpoint: bind the chain id and the contract, in that order.
ANCHORED_SQL = "a.chain_id = ? AND a.contract = ? AND a.status IN (" + ", ".join(f"'{s}'" for s in ON_CHAIN) + ")"


@dataclass(frozen=True, slots=True)
class AnchorRow:
    tree_size: int
    chain_id: int
    contract: bytes
    tx_hash: bytes | None
    nonce: int | None
    block_number: int | None
    status: str
    created_at: int
    updated_at: int
    #: The checkpoint's root (joined from ``checkpoints``).
    root_hash: bytes


def _select() -> Select[Any]:
    return select(anchors, checkpoints.c.root_hash).join(checkpoints, checkpoints.c.tree_size == anchors.c.tree_size)


def _row(row: Row[Any]) -> AnchorRow:
    return AnchorRow(
        row.tree_size,
        row.chain_id,
        bytes(row.contract),
        None if row.tx_hash is None else bytes(row.tx_hash),
        row.nonce,
        row.block_number,
        row.status,
        row.created_at,
        row.updated_at,
        bytes(row.root_hash),
    )


class AnchorRepository:
    """The anchors of one ledger contract (``chain_id`` + ``contract``), on one transaction's connection."""

    def __init__(self, conn: Connection, chain_id: int, contract: bytes) -> None:
        self.conn = conn
        self.chain_id = chain_id
        self.contract = contract

    def _scope(self) -> ColumnElement[bool]:
        return and_(anchors.c.chain_id == self.chain_id, anchors.c.contract == self.contract)

    def get(self, tree_size: int) -> AnchorRow | None:
        """The row of ``tree_size``, whatever chain it names (there is one row per size)."""
        row = self.conn.execute(_select().where(anchors.c.tree_size == tree_size)).first()
        return None if row is None else _row(row)

    def with_status(self, statuses: Iterable[str]) -> list[AnchorRow]:
        """Rows in any of ``statuses``, smallest tree size first."""
        rows = self.conn.execute(
            _select().where(self._scope(), anchors.c.status.in_(tuple(statuses))).order_by(anchors.c.tree_size)
        )
        return [_row(r) for r in rows]

    def latest(self, statuses: Iterable[str] = ON_CHAIN) -> AnchorRow | None:
        """The row of the largest tree size in any of ``statuses`` (by default: the newest anchored)."""
        row = self.conn.execute(
            _select()
            .where(self._scope(), anchors.c.status.in_(tuple(statuses)))
            .order_by(anchors.c.tree_size.desc())
            .limit(1)
        ).first()
        return None if row is None else _row(row)

    def last_created_at(self) -> int | None:
        """When the newest live anchor was first recorded (unix ms): the "since the last anchor" clock."""
        value: int | None = self.conn.execute(
            select(func.max(anchors.c.created_at)).where(self._scope(), anchors.c.status.in_(LIVE))
        ).scalar_one()
        return value

    def record_pending(self, tree_size: int, tx_hash: bytes, nonce: int, now_ms: int) -> None:
        """A signed anchor transaction, recorded before it is sent; a dropped row of that size is reused."""
        values = {"tx_hash": tx_hash, "nonce": nonce, "status": PENDING, "block_number": None, "updated_at": now_ms}
        self._upsert(tree_size, values, now_ms)

    def record_found(self, tree_size: int, tx_hash: bytes, block_number: int, now_ms: int) -> None:
        """An anchor found on chain without a transaction of ours in flight (sent by an earlier run, or another)."""
        values = {"tx_hash": tx_hash, "status": MINED, "block_number": block_number, "updated_at": now_ms}
        self._upsert(tree_size, values, now_ms)

    def _upsert(self, tree_size: int, values: dict[str, Any], now_ms: int) -> None:
        changed = self.conn.execute(update(anchors).where(anchors.c.tree_size == tree_size).values(**values)).rowcount
        if not changed:
            self.conn.execute(
                insert(anchors).values(
                    tree_size=tree_size, chain_id=self.chain_id, contract=self.contract, created_at=now_ms, **values
                )
            )

    def set_status(
        self,
        tree_size: int,
        status: str,
        now_ms: int,
        *,
        block_number: int | None = None,
        tx_hash: bytes | None = None,
        clear_block: bool = False,
    ) -> None:
        values: dict[str, object] = {"status": status, "updated_at": now_ms}
        if block_number is not None or clear_block:
            values["block_number"] = block_number
        if tx_hash is not None:
            values["tx_hash"] = tx_hash
        self.conn.execute(update(anchors).where(anchors.c.tree_size == tree_size).values(**values))
