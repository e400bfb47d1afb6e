"""Queries on the ``anchors`` table for the anchoring worker (SQLAlchemy Core, SQLite and PostgreSQL).

Each function takes the ``conn`` of a :class:`~ledger.storage.sql.Reader` or ``WriteTx``; writes belong in
``store.write()`` so that they commit (or not) with the caller's transaction. Rows are scoped to one
ledger contract (chain id + address): a deployment that moves to another chain does not read the old rows.

Life of a row (one per tree size): ``pending`` (signed, hash recorded, maybe not sent yet) -> ``mined``
(in a block) -> ``confirmed`` (deep enough); ``dropped`` when the transaction or its block vanished or
the chain refused it, and back to ``pending`` if the same size is anchored again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, insert, select, update

from ledger.storage.schema import anchors, checkpoints, events

PENDING, MINED, CONFIRMED, DROPPED = "pending", "mined", "confirmed", "dropped"
LIVE = (PENDING, MINED, CONFIRMED)
ON_CHAIN = (MINED, CONFIRMED)


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


def _select():
    return select(anchors, checkpoints.c.root_hash).join(checkpoints, checkpoints.c.tree_size == anchors.c.tree_size)


def _row(row) -> AnchorRow:
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


def _scope(chain_id: int, contract: bytes):
    return and_(anchors.c.chain_id == chain_id, anchors.c.contract == contract)


def get(conn: Connection, tree_size: int) -> AnchorRow | None:
    row = conn.execute(_select().where(anchors.c.tree_size == tree_size)).first()
    return None if row is None else _row(row)


def with_status(conn: Connection, chain_id: int, contract: bytes, statuses: Iterable[str]) -> list[AnchorRow]:
    """Rows in any of ``statuses``, smallest tree size first."""
    rows = conn.execute(
        _select().where(_scope(chain_id, contract), anchors.c.status.in_(tuple(statuses))).order_by(anchors.c.tree_size)
    )
    return [_row(r) for r in rows]


def latest(conn: Connection, chain_id: int, contract: bytes, statuses: Iterable[str] = ON_CHAIN) -> AnchorRow | None:
    """The row of the largest tree size in any of ``statuses``."""
    row = conn.execute(
        _select()
        .where(_scope(chain_id, contract), anchors.c.status.in_(tuple(statuses)))
        .order_by(anchors.c.tree_size.desc())
        .limit(1)
    ).first()
    return None if row is None else _row(row)


def last_created_at(conn: Connection, chain_id: int, contract: bytes) -> int | None:
    """When the newest live anchor was first recorded (unix ms): the "since the last anchor" clock."""
    return conn.execute(
        select(func.max(anchors.c.created_at)).where(_scope(chain_id, contract), anchors.c.status.in_(LIVE))
    ).scalar_one()


def received_at(conn: Connection, leaf_index: int) -> int | None:
    """When the leaf at ``leaf_index`` was received (unix ms), or None past the end of the log."""
    return conn.execute(select(events.c.received_at).where(events.c.leaf_index == leaf_index)).scalar_one_or_none()


def record_pending(
    conn: Connection, tree_size: int, chain_id: int, contract: bytes, tx_hash: bytes, nonce: int, now_ms: int
) -> None:
    """A signed anchor transaction, recorded before it is sent; a dropped row of that size is reused."""
    values = {"tx_hash": tx_hash, "nonce": nonce, "status": PENDING, "block_number": None, "updated_at": now_ms}
    changed = conn.execute(update(anchors).where(anchors.c.tree_size == tree_size).values(**values)).rowcount
    if not changed:
        conn.execute(
            insert(anchors).values(
                tree_size=tree_size, chain_id=chain_id, contract=contract, created_at=now_ms, **values
            )
        )


def record_found(
    conn: Connection, tree_size: int, chain_id: int, contract: bytes, tx_hash: bytes, block_number: int, now_ms: int
) -> None:
    """An anchor found on chain without a transaction of ours in flight (sent by an earlier run, or another)."""
    values = {"tx_hash": tx_hash, "status": MINED, "block_number": block_number, "updated_at": now_ms}
    changed = conn.execute(update(anchors).where(anchors.c.tree_size == tree_size).values(**values)).rowcount
    if not changed:
        conn.execute(
            insert(anchors).values(
                tree_size=tree_size, chain_id=chain_id, contract=contract, created_at=now_ms, **values
            )
        )


def set_status(
    conn: Connection,
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
    conn.execute(update(anchors).where(anchors.c.tree_size == tree_size).values(**values))
