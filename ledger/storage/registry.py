"""Queries on the agency tables for the registry mirror (the writes are ``WriteTx``'s own methods)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from ledger.storage.schema import agency_signers


def last_mirrored_block(conn: Connection) -> int | None:
    """The newest block a mirrored registration or rotation came from (None if nothing was mirrored)."""
    return conn.execute(select(func.max(agency_signers.c.block_number))).scalar_one()


def has_mirrored(conn: Connection, code: str, signer: bytes, block_number: int) -> bool:
    """Whether the signer row that a registry event at ``block_number`` creates is already there."""
    row = conn.execute(
        select(agency_signers.c.id).where(
            agency_signers.c.agency == code,
            agency_signers.c.signer == signer,
            agency_signers.c.block_number == block_number,
        )
    ).first()
    return row is not None
