"""The agency registry mirror: the chain's registry, copied into the store the append path reads.

The contract is the source of truth for who may sign: :meth:`RegistryMirror.sync` follows its
``AgencyRegistered`` / ``AgencySignerRotated`` / ``AgencyRevoked`` events in chain order and applies them
to the agency tables, with the block's timestamp as the time of the change. Applying is idempotent, so a
sync may safely re-read blocks it has seen (it restarts at the newest mirrored block after a restart).
Only blocks ``confirmations`` deep are read, so on a chain with reorgs a registration is mirrored once it
is unlikely to vanish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ledger.chain.port import ChainReader, RegistryEvent
from ledger.core.encoding import hex0x
from ledger.storage.sql import SqlStore, WriteTx

log = logging.getLogger("ledger.registry")


@dataclass(frozen=True)
class RegistrySyncResult:
    from_block: int
    to_block: int
    #: What changed, one line per applied event, in chain order.
    applied: tuple[str, ...]
    #: Events already reflected in the store.
    skipped: int


class RegistryMirror:
    """Mirrors the on-chain agency registry into ``store``; the chain and clock are passed in."""

    def __init__(
        self,
        store: SqlStore,
        chain: ChainReader,
        clock_ms: Callable[[], int],
        start_block: int = 0,
        confirmations: int = 1,
    ) -> None:
        self.store = store
        self.chain = chain
        self.clock_ms = clock_ms
        self.start_block = start_block
        self.confirmations = max(1, confirmations)
        self._next_block: int | None = None

    def _first_block(self) -> int:
        if self._next_block is None:
            with self.store.read() as reader:
                mirrored = reader.registry_mirror.last_mirrored_block()
            # Inclusive: that block may hold more events than the one that left its mark.
            self._next_block = self.start_block if mirrored is None else max(self.start_block, mirrored)
        return self._next_block

    def sync(self) -> RegistrySyncResult:
        """Apply every registry event from where the last sync stopped up to the confirmed head."""
        head = self.chain.block_number()
        last = head if self.chain.capabilities.instant_finality else head - (self.confirmations - 1)
        first = self._first_block()
        if last < first:
            return RegistrySyncResult(first, last, (), 0)
        applied: list[str] = []
        skipped = 0
        events = self.chain.registry_events(first, last)
        for event in events:
            with self.store.write() as tx:
                change = _apply(tx, event)
            if change is None:
                skipped += 1
            else:
                applied.append(change)
                log.info("registry: %s", change)
        self._next_block = last + 1
        return RegistrySyncResult(first, last, tuple(applied), skipped)


def _apply(tx: WriteTx, event: RegistryEvent) -> str | None:
    """Bring the store in line with one event; None when it already was."""
    code, signer, at, block = event.code, event.signer, event.timestamp_ms, event.block_number
    current = tx.active_signers([code]).get(code)
    where = f"block {block}"
    if event.kind == "revoked":
        if current is not None and current.status == "revoked":
            return None
        if current is None:
            # Started after its registration: keep the signer on record so its past events stay attributable.
            tx.register_agency(code, code, signer, at, block)
        tx.revoke_agency(code, at)
        return f"{code} revoked ({where})"
    if tx.registry_mirror.has_mirrored(code, signer, block):
        return None
    if current is None:
        tx.register_agency(code, code, signer, at, block)
        return f"{code} registered with signer {hex0x(signer)} ({where})"
    if current.status != "active":
        log.warning("registry: %s is revoked in the store but %s on chain at %s; left revoked", code, event.kind, where)
        return None
    if current.signer == signer:
        return None
    tx.rotate_agency_signer(code, signer, at, block)
    return f"{code} signer is now {hex0x(signer)} ({where})"
