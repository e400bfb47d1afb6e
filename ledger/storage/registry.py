"""The agency registry mirror's own bookkeeping (the agency and signer writes are ``WriteTx``'s methods)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from ledger.storage.schema import agency_signers


class RegistryMirror:
    """What the registry sync needs to resume where it stopped, on one transaction's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def last_mirrored_block(self) -> int | None:
        """The newest block a mirrored registration or rotation came from (None if nothing was mirrored)."""
        block: int | None = self.conn.execute(select(func.max(agency_signers.c.block_number))).scalar_one()
        return block

    def has_mirrored(self, code: str, signer: bytes, block_number: int) -> bool:
        """Whether the signer row that a registry event at ``block_number`` creates is already there."""
        row = self.conn.execute(
            select(agency_signers.c.id).where(
                agency_signers.c.agency == code,
                agency_signers.c.signer == signer,
                agency_signers.c.block_number == block_number,
            )
        ).first()
        return row is not None
