"""Anchoring: put the log's checkpoints on chain, exactly once per size, and keep the record true.

:class:`AnchorWorker` is driven by :meth:`~AnchorWorker.tick` (the CLI and the API call it in a loop, or
use :meth:`~AnchorWorker.run`). A tick first reconciles what the database says with what the chain says,
then anchors if enough leaves or enough time have accrued:

1. Reconcile every anchor in flight (``pending`` or ``mined``) with its transaction: mined -> ``mined``
   with its block, deep enough -> ``confirmed``; still pooled for too long -> replaced (same nonce,
   higher fee); unknown to the node -> if the chain has the root at that size it is recorded (never
   anchored twice), if it had been mined its block left the chain (reorg, node reset) -> ``dropped``,
   otherwise it is re-sent (rebuilt against the chain's latest checkpoint, fresh nonce, higher fee).
2. Check that the newest confirmed anchors are still on chain (a reorg deeper than the confirmation depth,
   or a node that lost its state) -> ``dropped``.
3. If nothing is in flight and the trigger fires, checkpoint the tree, build the RFC 9162 consistency proof
   from the chain's latest checkpoint, sign, **record the pending row with its hash and nonce**, and only
   then send. A crash between the record and the send is repaired by step 1 of the next run.

The append path never waits for the chain: while the node is down the worker only logs and backs off
(exponentially, up to ``max_backoff_s``), and :meth:`~AnchorWorker.status` reports the lag from the
database alone, so health checks answer even then.

Here: the loop, its back-off, the trigger, step 3's checkpoint and the status. What touches anchor
transactions (steps 1 and 2, and step 3's build, record and send, under the recorded-before-sent
invariant) is :class:`~ledger.services.anchoring_transactions.AnchorTransactions`, which the worker
is; what it is configured with and reports is in :mod:`ledger.services.anchoring_types`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ledger.chain.port import Anchorer, SignedTx
from ledger.core.checkpoint import Checkpoint, default_origin
from ledger.core.note import NoteSigner
from ledger.errors import ChainUnavailable, RetryLater, RootMismatch, SaksiError, VerificationFailed
from ledger.services.anchoring_transactions import AnchorTransactions
from ledger.services.anchoring_types import Action, AnchorSettings, AnchorStatus, AnchorTickResult, Tick
from ledger.services.proofs import make_checkpoint
from ledger.storage import anchors as rows
from ledger.storage.sql import SqlStore

__all__ = ["AnchorSettings", "AnchorStatus", "AnchorTickResult", "AnchorWorker", "anchor_now"]

log = logging.getLogger("ledger.anchoring")


class AnchorWorker(AnchorTransactions):
    """Anchors the store's log on ``chain``; storage, chain, clock and settings are passed in."""

    def __init__(
        self,
        store: SqlStore,
        chain: Anchorer,
        clock_ms: Callable[[], int],
        settings: AnchorSettings | None = None,
        origin: str | None = None,
        signer: NoteSigner | None = None,
        choose: Callable[[], Checkpoint | None] | None = None,
    ) -> None:
        self.store = store
        # the log's note-signing key: every checkpoint the worker makes is signed (FORMATS 9.1)
        self.signer = signer
        self.chain = chain
        self.clock_ms = clock_ms
        self.settings = settings or AnchorSettings()
        self.origin = origin or default_origin(chain.chain_id, chain.contract_address)
        self._scope = (chain.chain_id, chain.contract_address)
        #: Which checkpoint to anchor when one is due (None: not yet); default: the whole tree, now.
        #: With witnesses, ledger.services.witnessing.anchor_chooser prefers checkpoints they cosigned.
        self._choose = choose or (lambda: make_checkpoint(self.store, self.origin, self.clock_ms, self.signer))
        self._failures = 0
        self._backoff_s = 0.0
        self._next_attempt_ms = 0
        self._last_error: str | None = None
        self._chain_available = True

    # --- the loop ---

    def run(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set; never raises for a chain or database that is down."""
        while not stop.is_set():
            try:
                result = self.tick()
            except Exception:  # a bug or an unclassified library error: keep the worker alive, loudly
                log.exception("anchoring tick failed")
                result = AnchorTickResult("backoff", retry_in_s=self.settings.max_backoff_s)
            stop.wait(result.retry_in_s if result.retry_in_s is not None else self.settings.poll_interval_s)

    def tick(self) -> AnchorTickResult:
        now = self.clock_ms()
        if now < self._next_attempt_ms:
            return AnchorTickResult("backoff", retry_in_s=(self._next_attempt_ms - now) / 1000, error=self._last_error)
        tick = Tick()
        try:
            result = self._tick(now, tick)
        except RetryLater as error:
            return self._back_off(now, tick, error, chain_down=isinstance(error, ChainUnavailable))
        except SaksiError as error:
            # A revert, a log that disagrees with the chain: not transient, but all a worker can do is
            # report it (status().last_error) and look again later.
            return self._back_off(now, tick, error, chain_down=False, level=logging.ERROR)
        self._failures = 0
        self._backoff_s = 0.0
        self._next_attempt_ms = 0
        self._last_error = None
        self._chain_available = True
        return result

    def _back_off(
        self, now: int, tick: Tick, error: SaksiError, chain_down: bool, level: int = logging.WARNING
    ) -> AnchorTickResult:
        self._failures += 1
        self._backoff_s = min(self.settings.max_backoff_s, self.settings.min_backoff_s * 2 ** (self._failures - 1))
        self._next_attempt_ms = now + int(self._backoff_s * 1000)
        self._last_error = error.message
        if chain_down:
            self._chain_available = False
        log.log(level, "anchoring paused for %.1f s: %s", self._backoff_s, error.message)
        return AnchorTickResult(
            "backoff",
            notes=tuple(tick.notes),
            gas_used=dict(tick.gas_used),
            retry_in_s=self._backoff_s,
            error=error.message,
        )

    # --- one tick ---

    def _tick(self, now: int, tick: Tick) -> AnchorTickResult:
        chain_size, _ = self.chain.latest_checkpoint()
        with self.store.read() as reader:
            in_flight = reader.anchors(*self._scope).with_status((rows.PENDING, rows.MINED))
        action: Action = "idle"
        sent: SignedTx | None = None
        for row in in_flight:
            outcome = self._reconcile(row, chain_size, now, tick)
            if outcome is not None:
                action, sent = outcome
        self._check_confirmed(chain_size, now, tick)
        with self.store.read() as reader:
            waiting = reader.anchors(*self._scope).with_status((rows.PENDING,))
        if waiting:
            if action == "idle":
                action = "waiting"
            last = waiting[-1]
            return self._result(action, last.tree_size, sent.tx_hash if sent else last.tx_hash, tick)
        if not self._due(now):
            return self._result(action, None, None, tick)
        return self._anchor(now, tick)

    def _result(self, action: Action, size: int | None, tx_hash: bytes | None, tick: Tick) -> AnchorTickResult:
        return AnchorTickResult(action, size, tx_hash, tuple(tick.notes), dict(tick.gas_used))

    def _due(self, now: int) -> bool:
        with self.store.read() as reader:
            tree_size = reader.tree_size()
            anchored = reader.anchors(*self._scope).latest()
            anchored_size = anchored.tree_size if anchored else 0
            if tree_size <= anchored_size:
                return False
            if tree_size - anchored_size >= self.settings.every_leaves:
                return True
            # An anchor that was dropped is re-anchored at once, whatever the trigger says.
            dropped = reader.anchors(*self._scope).latest((rows.DROPPED,))
            if dropped is not None and dropped.tree_size > anchored_size:
                return True
            since = reader.anchors(*self._scope).last_created_at()
            if since is None:
                since = reader.received_at(0) or now
        return now - since >= self.settings.every_seconds * 1000

    # --- anchoring a new checkpoint ---

    def _anchor(self, now: int, tick: Tick) -> AnchorTickResult:
        checkpoint = self._choose()
        if checkpoint is None:
            return self._result("waiting", None, None, tick)
        size, root = checkpoint.tree_size, checkpoint.root_hash
        if self._already_on_chain(size, root, now, tick):
            return self._result("recorded", size, None, tick)
        signed = self._build(size, root, self.chain.next_nonce(), self.chain.suggest_fees())
        self._record_and_send(signed, size, now, tick, "anchoring tree size %d: tx %s nonce %d")
        return self._result("anchored", size, signed.tx_hash, tick)

    def _already_on_chain(self, size: int, root: bytes, now: int, tick: Tick) -> bool:
        """True if the chain already holds ``root`` at ``size`` (then it is recorded, never sent again)."""
        chain_size, _ = self.chain.latest_checkpoint()
        if size > chain_size:
            return False
        on_chain = self.chain.root_at(size)
        if on_chain == root:
            self._record_found(size, now, tick)
            return True
        if on_chain is not None:
            raise RootMismatch(
                f"the chain anchored another root at tree size {size}: the log and the chain disagree",
                expected=on_chain,
                calculated=root,
            )
        raise VerificationFailed(
            f"the chain has anchored {chain_size} leaves but this log has only {size}; refusing to anchor",
            chain_size=chain_size,
            tree_size=size,
        )

    # --- lag ---

    def status(self) -> AnchorStatus:
        now = self.clock_ms()
        with self.store.read() as reader:
            tree_size = reader.tree_size()
            anchored = reader.anchors(*self._scope).latest()
            confirmed = reader.anchors(*self._scope).latest((rows.CONFIRMED,))
            pending = reader.anchors(*self._scope).latest((rows.PENDING,))
            last = reader.anchors(*self._scope).last_created_at()
            anchored_size = anchored.tree_size if anchored else 0
            oldest = reader.received_at(anchored_size) if tree_size > anchored_size else None
        return AnchorStatus(
            tree_size=tree_size,
            anchored_size=anchored_size,
            confirmed_size=confirmed.tree_size if confirmed else 0,
            pending_size=pending.tree_size if pending else None,
            pending_tx=pending.tx_hash if pending else None,
            lag_leaves=max(0, tree_size - anchored_size),
            seconds_since_last_anchor=None if last is None else max(0.0, (now - last) / 1000),
            oldest_unanchored_age_s=0.0 if oldest is None else max(0.0, (now - oldest) / 1000),
            chain_available=self._chain_available,
            consecutive_failures=self._failures,
            backoff_s=self._backoff_s,
            last_error=self._last_error,
        )


def anchor_now(
    store: SqlStore,
    chain: Anchorer,
    clock_ms: Callable[[], int],
    origin: str,
    timeout_s: float = 120.0,
    poll_s: float = 0.25,
    sleep: Callable[[float], None] | None = None,
    monotonic: Callable[[], float] | None = None,
    signer: NoteSigner | None = None,
) -> tuple[AnchorTickResult, AnchorStatus, int]:
    """Anchor the tree as it is now, whatever the thresholds, and wait until an anchor covering it is mined.

    Returns (last tick, status, the size that had to be covered). A server's own worker may be
    anchoring at the same time, with the same key: an anchor in flight is reconciled and waited
    for like one of ours (it is one row of the same table), a root already on chain is recorded
    rather than sent again, and a nonce taken by the other process is rebuilt on the next tick; so
    this waits for, or takes over, the worker's anchoring instead of racing it. Leaves appended
    meanwhile are not waited for. Raises ChainUnavailable when the chain does not answer, and
    RetryLater when the target is still not covered after `timeout_s`.
    """
    import time

    sleep = sleep or time.sleep
    monotonic = monotonic or time.monotonic
    worker = AnchorWorker(
        store,
        chain,
        clock_ms,
        AnchorSettings(every_leaves=1, every_seconds=0, confirmations=1),
        origin=origin,
        signer=signer,
    )
    with store.read() as reader:
        target = reader.tree_size()
    deadline = monotonic() + timeout_s
    while True:
        result = worker.tick()
        status = worker.status()
        if status.anchored_size >= target:
            return result, status, target
        if result.action == "backoff" and not status.chain_available:
            raise ChainUnavailable(result.error or "the chain does not answer")
        if monotonic() >= deadline:
            raise RetryLater(
                f"tree size {target} is still not anchored after {timeout_s:.0f} s "
                f"(anchored: {status.anchored_size}): {status.last_error or 'the chain has not mined it yet'}"
            )
        sleep(poll_s if result.retry_in_s is None else min(result.retry_in_s, poll_s * 8))
