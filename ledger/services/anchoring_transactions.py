"""The anchoring worker's transactions: build, record, send, and reconcile what is in flight.

:class:`AnchorTransactions` is the half of :class:`ledger.services.anchoring.AnchorWorker` that touches
anchor transactions: steps 1 and 2 of a tick (reconcile every anchor in flight with the chain, check the
newest confirmed ones are still there) and the send of step 3, under one invariant: a transaction is
recorded (hash and nonce) before it is sent, so whatever a crash interrupts, the next tick finds the
record and reconciles it with the chain. The worker's loop, its trigger and its status are in
:mod:`ledger.services.anchoring`.
"""

from __future__ import annotations

import logging

from ledger.chain.port import Anchorer, Fees, NonceTooLow, ReplacementUnderpriced, SignedTx, TxStatus
from ledger.core.encoding import hex0x
from ledger.errors import RetryLater, RootMismatch, VerificationFailed
from ledger.services.anchoring_types import Action, AnchorSettings, Tick
from ledger.services.proofs import consistency_proof, root_at
from ledger.storage import anchors as rows
from ledger.storage.anchors import AnchorRow
from ledger.storage.sql import SqlStore


class AnchorTransactions:
    """Anchor transactions of one ledger contract: the worker's store, chain, settings and scope."""

    store: SqlStore
    chain: Anchorer
    settings: AnchorSettings
    _scope: tuple[int, bytes]

    def _record_found(self, size: int, now: int, tick: Tick) -> None:
        found = self.chain.find_anchor(size)
        if found is None:
            raise RetryLater(f"tree size {size} is anchored but its CheckpointAnchored event is not visible yet")
        with self.store.write() as tx:
            tx.anchors(*self._scope).record_found(size, found.tx_hash, found.block_number, now)
        tick.note(
            "tree size %d is already anchored (tx %s, block %d): recorded",
            size,
            hex0x(found.tx_hash),
            found.block_number,
        )

    def _build(self, size: int, root: bytes, nonce: int, fees: Fees) -> SignedTx:
        """The anchor transaction for (size, root), proving consistency with the chain's latest checkpoint."""
        chain_size, chain_root = self.chain.latest_checkpoint()
        proof: list[bytes] = []
        if chain_size:
            with self.store.read() as reader:
                if chain_size > reader.tree_size():
                    raise VerificationFailed(
                        f"the chain has anchored {chain_size} leaves but this log has only {reader.tree_size()}",
                        chain_size=chain_size,
                    )
                ours = root_at(reader, chain_size)
                if ours != chain_root:
                    raise RootMismatch(
                        f"the log's root at tree size {chain_size} differs from the root anchored on chain",
                        expected=chain_root,
                        calculated=ours,
                    )
                proof = consistency_proof(reader, chain_size, size)
        return self.chain.build_anchor_tx(size, root, proof, nonce, fees)

    def _record_and_send(self, signed: SignedTx, size: int, now: int, tick: Tick, message: str) -> None:
        # The record comes first: if the process dies after it, the next run finds the hash and reconciles.
        with self.store.write() as tx:
            tx.anchors(*self._scope).record_pending(size, signed.tx_hash, signed.nonce, now)
        tick.note(message, size, hex0x(signed.tx_hash), signed.nonce)
        try:
            self.chain.send_raw(signed.raw)
        except (NonceTooLow, ReplacementUnderpriced) as error:
            # Another transaction took or holds this nonce; the next tick sees this one unknown and rebuilds it.
            tick.note("tree size %d: %s; will rebuild", size, error.message, level=logging.WARNING)

    # --- reconciling what is in flight ---

    def _reconcile(self, row: AnchorRow, chain_size: int, now: int, tick: Tick) -> tuple[Action, SignedTx] | None:
        status = self.chain.transaction_status(row.tx_hash) if row.tx_hash else TxStatus("unknown")
        if status.state == "mined":
            self._mined(row, status, now, tick)
            return None
        if status.state == "pending":
            if row.status == rows.MINED:
                with self.store.write() as tx:
                    tx.anchors(*self._scope).set_status(row.tree_size, rows.PENDING, now, clear_block=True)
                tick.note("tree size %d: its block left the chain, the transaction is pooled again", row.tree_size)
                return None
            if now - row.updated_at >= self.settings.resend_after_s * 1000:
                return "resent", self._replace(row, status, now, tick)
            return None
        # Unknown to the node: dropped from the pool, never sent, or its block left the chain.
        on_chain = self.chain.root_at(row.tree_size)
        if on_chain == row.root_hash:
            self._record_found(row.tree_size, now, tick)
            return None
        if row.status == rows.MINED:
            self._drop(row, now, tick, "its transaction and block left the chain")
            return None
        if chain_size >= row.tree_size:
            self._drop(row, now, tick, f"the chain moved on to tree size {chain_size}")
            return None
        fees = self.chain.suggest_fees().bumped(self.settings.fee_bump_percent)
        signed = self._build(row.tree_size, row.root_hash, self.chain.next_nonce(), fees)
        self._record_and_send(signed, row.tree_size, now, tick, "re-sending tree size %d: tx %s nonce %d")
        return "resent", signed

    def _mined(self, row: AnchorRow, status: TxStatus, now: int, tick: Tick) -> None:
        if not status.succeeded:
            self._drop(row, now, tick, f"its transaction reverted in block {status.block_number}")
            return
        if row.status == rows.PENDING or row.block_number != status.block_number:
            with self.store.write() as tx:
                tx.anchors(*self._scope).set_status(row.tree_size, rows.MINED, now, block_number=status.block_number)
            tick.gas_used[row.tree_size] = status.gas_used or 0
            tick.note(
                "tree size %d mined in block %d (gas used %d)", row.tree_size, status.block_number, status.gas_used or 0
            )
        deep = self.chain.capabilities.instant_finality or status.confirmations >= self.settings.confirmations
        if deep and self.chain.root_at(row.tree_size) == row.root_hash:
            with self.store.write() as tx:
                tx.anchors(*self._scope).set_status(
                    row.tree_size, rows.CONFIRMED, now, block_number=status.block_number
                )
            tick.note("tree size %d confirmed (%d confirmations)", row.tree_size, status.confirmations)

    def _replace(self, row: AnchorRow, status: TxStatus, now: int, tick: Tick) -> SignedTx:
        """Same nonce, higher fees: the pooled transaction is either replaced or mined first, never both."""
        fees = self.chain.suggest_fees()
        if status.fees is not None:
            fees = fees.at_least(status.fees.bumped(self.settings.fee_bump_percent))
        signed = self._build(row.tree_size, row.root_hash, row.nonce if row.nonce is not None else 0, fees)
        self._record_and_send(signed, row.tree_size, now, tick, "replacing tree size %d: tx %s nonce %d")
        return signed

    def _drop(self, row: AnchorRow, now: int, tick: Tick, why: str) -> None:
        with self.store.write() as tx:
            tx.anchors(*self._scope).set_status(row.tree_size, rows.DROPPED, now, clear_block=True)
        tick.note("tree size %d dropped: %s", row.tree_size, why, level=logging.WARNING)

    def _check_confirmed(self, chain_size: int, now: int, tick: Tick) -> None:
        """Confirmed anchors above the chain's latest size have vanished (deep reorg, node reset)."""
        with self.store.read() as reader:
            confirmed = reader.anchors(*self._scope).with_status((rows.CONFIRMED,))
        for row in confirmed:
            if row.tree_size > chain_size:
                self._drop(row, now, tick, f"the chain's latest checkpoint is {chain_size}")
        if confirmed and confirmed[-1].tree_size <= chain_size:
            newest = confirmed[-1]
            if self.chain.root_at(newest.tree_size) != newest.root_hash:
                self._drop(newest, now, tick, "the chain no longer has its root")
