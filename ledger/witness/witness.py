"""The add-checkpoint decision of c2sp.org/tlog-witness@v1, in the spec's order.

Each refusal is an error of ledger.errors whose kind gives the HTTP status (ledger.witness.app):
InvalidInput 400, NotFound 404, Forbidden 403, OldSizeMismatch 409 (with the latest cosigned size),
VerificationFailed 422. Everything after the log signature is decided under the origin's lock, on the
state as persisted, and the new state is persisted before the cosignature is returned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from ledger.core.merkle import verify_consistency
from ledger.core.note import Cosigner, Note, cosignature_timestamp, verify_note
from ledger.errors import (
    Conflict,
    ConsistencyProofInvalid,
    Forbidden,
    InvalidInput,
    NotFound,
    RootMismatch,
    VerificationFailed,
)
from ledger.witness.config import Layout, LogsView, WitnessConfig
from ledger.witness.evidence import EvidenceStore
from ledger.witness.request import AddCheckpoint
from ledger.witness.state import Cosigned, StateStore

EMPTY_ROOT = hashlib.sha256(b"").digest()
log = logging.getLogger("saksi.witness")


def log_event(level: int, event: str, **fields: Any) -> None:
    """One JSON object a line: what happened, to which origin, with which sizes."""
    line = {"ts": round(time.time(), 3), "level": logging.getLevelName(level).lower(), "event": event, **fields}
    log.log(level, json.dumps(line, ensure_ascii=False))


class OldSizeMismatch(Conflict):
    """The request's old size is not the latest cosigned size, which it carries (HTTP 409)."""

    kind = "old-size-mismatch"

    def __init__(self, latest_size: int) -> None:
        super().__init__(f"old size is not the latest cosigned size {latest_size}", latest_size=latest_size)
        self.latest_size = latest_size


class LogInconsistent(VerificationFailed):
    """A validly signed checkpoint that contradicts what the witness cosigned: kept as evidence."""

    kind = "log-inconsistent"


class Witness:
    def __init__(
        self,
        layout: Layout,
        cosigner: Cosigner,
        *,
        store: StateStore | None = None,
        evidence: EvidenceStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.layout = layout
        self.config = WitnessConfig.load(layout)
        if str(cosigner.vkey) != str(self.config.vkey):
            raise InvalidInput("the witness key does not match the vkey in witness.json")
        self.cosigner = cosigner
        self.logs = LogsView(layout)
        self.store = store or StateStore(layout)
        self.evidence = evidence or EvidenceStore(layout.evidence_dir)
        self._clock = clock

    def add_checkpoint(self, body: bytes) -> str:
        """The 200 body (one cosignature line), or an error naming the status to answer."""
        request = AddCheckpoint.parse(body)  # 400 for anything malformed
        checkpoint = request.checkpoint
        origin = checkpoint.origin
        keys = self.logs.keys_for(origin)
        if not keys:
            raise NotFound("unknown origin")
        try:
            verify_note(request.note, keys)
        except VerificationFailed as exc:
            raise Forbidden(f"log signature: {exc.message}") from None
        trusted = {(k.name, k.key_id) for k in keys}
        log_signatures = tuple(dict.fromkeys(s for s in request.note.signatures if (s.name, s.key_id) in trusted))
        if request.old_size > checkpoint.tree_size:
            raise InvalidInput("old size is larger than the checkpoint size")
        with self.store.locked(origin) as read_latest:
            latest = read_latest()
            latest_size = 0 if latest is None else latest.checkpoint.tree_size
            if request.old_size != latest_size:
                raise OldSizeMismatch(latest_size)
            try:
                self._check_consistency(request, latest)
            except LogInconsistent as exc:
                self._keep_evidence(origin, body, exc, latest_size, checkpoint.tree_size)
                raise
            timestamp = max(int(self._clock()), self._last_timestamp(latest))
            if timestamp <= 0:
                raise RuntimeError("the clock reads zero: a cosignature must carry a timestamp")
            cosignature = self.cosigner.cosign(checkpoint.text, timestamp)
            self.store.persist(origin, Note(checkpoint.text, (*log_signatures, cosignature)))
        log_event(
            logging.INFO, "cosigned", origin=origin, old=request.old_size, size=checkpoint.tree_size, time=timestamp
        )
        return cosignature.line()

    def _last_timestamp(self, latest: Cosigned | None) -> int:
        """The time of the witness's latest cosignature for the origin: a clock set back never makes a
        larger checkpoint look older than a smaller one cosigned before it."""
        if latest is None:
            return 0
        mine = (self.cosigner.vkey.name, self.cosigner.vkey.key_id)
        stamps = [cosignature_timestamp(s) for s in latest.note.signatures if (s.name, s.key_id) == mine]
        return max(stamps, default=0)

    @staticmethod
    def _check_consistency(request: AddCheckpoint, latest: Cosigned | None) -> None:
        new = request.checkpoint
        if new.tree_size == 0 and new.root_hash != EMPTY_ROOT:
            raise RootMismatch("a checkpoint of size 0 must have the empty tree's root")
        if request.old_size == 0:
            if request.proof:
                raise ConsistencyProofInvalid("the proof from old size 0 must be empty")
            return
        assert latest is not None  # old size == latest size > 0
        old = latest.checkpoint
        if old.tree_size == new.tree_size:
            if old.root_hash != new.root_hash:
                raise LogInconsistent("same size as the latest cosigned checkpoint, different root")
            if request.proof:
                raise ConsistencyProofInvalid("the proof between equal sizes must be empty")
            return
        try:
            verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, request.proof)
        except ConsistencyProofInvalid as exc:
            raise LogInconsistent(f"consistency proof: {exc.message}") from None

    def _keep_evidence(self, origin: str, body: bytes, exc: VerificationFailed, old: int, new: int) -> None:
        try:
            digest, path = self.evidence.keep(origin, body)
        except OSError as err:
            log_event(logging.CRITICAL, "evidence-not-kept", origin=origin, error=str(err))
            return
        log_event(
            logging.CRITICAL,
            "log-inconsistent",
            origin=origin,
            latest_size=old,
            size=new,
            reason=exc.message,
            sha256=digest,
            evidence=None if path is None else str(path.relative_to(self.layout.root)),
        )

    def monitoring_checkpoint(self, origin_hash: str) -> bytes | None:
        """The latest cosigned checkpoint for the origin with this SHA-256 hex, if any."""
        origin = self.logs.origin_of(origin_hash)
        return None if origin is None else self.store.read_bytes(origin)
