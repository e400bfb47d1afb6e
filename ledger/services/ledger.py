"""The application service the API and the CLI call: one object, storage and clock passed in."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from ledger.config import Settings
from ledger.core.bundle import Anchor, ProofBundle
from ledger.core.checkpoint import Checkpoint
from ledger.core.encoding import hex0x
from ledger.core.events import Domain
from ledger.core.note import Note, NoteSignature, Vkey
from ledger.core.policy import Policy
from ledger.core.receipt_proof import ReceiptProof
from ledger.errors import InvalidField, NotFound, SaksiError
from ledger.services import complaints, proofs, stats, tlog_proofs
from ledger.services.append import Appender, AppendSettings, Outcome, Receipt, Submission
from ledger.services.complaints import ComplaintsDesk
from ledger.services.group_commit import GroupCommit
from ledger.services.signed_requests import check_agency_request
from ledger.services.tlog_proofs import EventProof
from ledger.services.views import (
    CaseTimeline,
    CheckpointView,
    ConsistencyProof,
    Cosigned,
    DatedCheckpoint,
    EventRecord,
    InclusionProof,
    LeafPage,
    LogInfo,
    LogStatus,
    PublicStats,
    TimelineEntry,
    Witnessing,
)
from ledger.storage.sql import AnchorRecord, CaseHead, Reader, SqlStore, StoredEvent

__all__ = ["VERSION", "CheckpointView", "Ledger"]  # CheckpointView lives in ledger.services.views

VERSION = "0.1.0"


class Ledger:
    def __init__(
        self,
        settings: Settings,
        store: SqlStore,
        clock_ms: Callable[[], int],
        complaints_key: bytes | None = None,
        log_vkey: Vkey | None = None,
        witness_policy: tuple[Policy, str] | None = None,
    ) -> None:
        self.settings = settings
        # the witness policy (c2sp.org/tlog-policy) and its text, when config.json names one
        self.policy = None if witness_policy is None else witness_policy[0]
        self.policy_text = None if witness_policy is None else witness_policy[1]
        self.policy_hash = None if witness_policy is None else hashlib.sha256(witness_policy[1].encode()).digest()
        # the log's note-signing key (FORMATS 9.1), published in /v1/info; None for a ledger without one
        self.log_vkey = log_vkey
        self.store = store
        self.clock_ms = clock_ms
        self.domain: Domain = settings.domain
        self.origin = settings.origin
        # "anchored" means on this ledger contract (ledger.storage.anchors), as the anchoring worker counts it
        self._scope = (self.domain.chain_id, self.domain.verifying_contract)
        limits = settings.limits
        self.appender = Appender(
            store,
            self.domain,
            clock_ms,
            AppendSettings(
                max_clock_skew_s=limits.max_clock_skew_s,
                max_payload_bytes=limits.max_payload_bytes,
                max_batch=limits.max_batch,
            ),
        )

        self._append_listeners: list[Callable[[], None]] = []
        # concurrent submissions of the async edge share appends (group commit, one per event loop)
        self.group_commit = GroupCommit(self.append_parsed, limits.max_batch)
        self._stats = stats.StatsCache(
            stats.LogStats(store, clock_ms).snapshot, clock_ms, int(limits.stats_max_age_s * 1000)
        )
        self.complaints_desk = (
            ComplaintsDesk(store, self.appender, self.domain, settings.complaints_agency, complaints_key, clock_ms)
            if complaints_key is not None and settings.complaints_agency
            else None
        )

    # --- agencies ------------------------------------------------------------------------

    def submit(self, items: Sequence[Any]) -> list[Outcome]:
        return self.appender.submit(items)

    def parse(self, items: Sequence[Any]) -> list[Submission | SaksiError]:
        """Parse and verify items (signatures recovered) without touching storage."""
        return self.appender.parse(items)

    def append_parsed(self, parsed: Sequence[Submission | SaksiError]) -> list[Outcome]:
        outcomes = self.appender.append_parsed(parsed)
        if self._append_listeners and any(isinstance(o, Receipt) and o.created for o in outcomes):
            for listener in self._append_listeners:
                listener()
        return outcomes

    async def append_grouped(self, parsed: Sequence[Submission | SaksiError]) -> list[Outcome]:
        """`append_parsed` from a coroutine, together with the submissions that arrive while an
        append runs (ledger.services.group_commit); the append itself runs on the loop's executor."""
        return await self.group_commit.submit(parsed)

    def erase(self, item: Any) -> dict[str, Any]:
        """Lawful erasure: append the agency's signed erasure.* event and shred the payloads it names."""
        from ledger.services.lawful_erasure import erase

        return erase(self.appender, item)

    def event(self, agency: str, event_id: str, timestamp: int, signature: str) -> EventRecord:
        """An agency reads back one of its events; the request is signed by its active signer.

        Not public: the answer carries the case commitment, which opens the whole timeline, and
        an eventId may be guessable (docs/THREAT_MODEL.md, linkability of event ids)."""
        check_agency_request(self.store, "events", agency, timestamp, signature, self.clock_ms())
        with self.store.read() as reader:
            found = reader.events_by_key([(agency, event_id)]).get((agency, event_id))
            if found is None:
                raise NotFound(f"no event {agency}/{event_id}")
            anchored = reader.anchored_size(*self._scope)
            head = reader.case_heads([found.event.case_commitment])[found.event.case_commitment]
        return EventRecord(TimelineEntry(found, found.leaf_index < anchored), head)

    # --- citizens ------------------------------------------------------------------------

    def case_timeline(self, case_commitment: bytes) -> CaseTimeline:
        with self.store.read() as reader:
            stored = reader.case_events(case_commitment)
            if not stored:
                raise NotFound("no events for this case")
            view = self._citizen_checkpoint(reader)
        anchored = 0 if view is None else view.checkpoint.tree_size  # the largest mined or confirmed anchor
        last = stored[-1]
        head = CaseHead(case_commitment, last.event.case_seq, last.event.hash_struct(), last.leaf_index)
        events = tuple(TimelineEntry(s, s.leaf_index < anchored) for s in stored)
        return CaseTimeline(case_commitment, events, head, view)

    # --- live case streams (api.live) ------------------------------------------------------

    def add_append_listener(self, listener: Callable[[], None]) -> None:
        """Call `listener` (from the appending thread, so: quickly) after each append that added events."""
        self._append_listeners.append(listener)

    def case_heads(self, commitments: Sequence[bytes]) -> dict[bytes, CaseHead]:
        """The head (newest caseSeq and its leaf) of each of these cases that has events."""
        with self.store.read() as reader:
            return reader.case_heads(commitments)

    def case_news(self, case_commitment: bytes, after_seq: int) -> tuple[TimelineEntry, ...]:
        """The case's events after `after_seq`, as the timeline shows them."""
        with self.store.read() as reader:
            stored = reader.case_events(case_commitment, after_seq)
            anchored = reader.anchored_size(*self._scope) if stored else 0
        return tuple(TimelineEntry(s, s.leaf_index < anchored) for s in stored)

    def citizen_checkpoint(self) -> CheckpointView | None:
        """The newest checkpoint citizens verify against (FORMATS §9.2), or None before the first."""
        with self.store.read() as reader:
            return self._citizen_checkpoint(reader)

    def case_bundle(self, case_commitment: bytes) -> ProofBundle:
        with self.store.read() as reader:
            return self._case_bundle(reader, case_commitment)[0]

    def _case_bundle(
        self, reader: Reader, case_commitment: bytes
    ) -> tuple[ProofBundle, CheckpointView, list[StoredEvent]]:
        view = self._citizen_checkpoint(reader)
        if view is None:
            raise NotFound("no checkpoint yet: the case's events are waiting to be anchored")
        stored = reader.case_events(case_commitment)
        if not stored:
            raise NotFound("no events for this case")
        bundled = proofs.bundle_events(reader, stored, view.checkpoint)
        if not bundled:
            raise NotFound("the case's events are not covered by an anchored checkpoint yet")
        bundle = ProofBundle(self.domain, view.checkpoint, view.anchor, case_commitment, bundled, view.note)
        return bundle, view, stored

    def tlog_proof(self, leaf_index: int) -> EventProof:
        """The c2sp.org/tlog-proof@v1 file of the event at ``leaf_index``, against the checkpoint that
        counts for citizens, with its signed and cosigned note."""
        with self.store.read() as reader:
            view = self._citizen_checkpoint(reader)
            if view is None or view.note is None:
                raise NotFound("no signed checkpoint citizens can verify against yet")
            if leaf_index >= view.checkpoint.tree_size:
                raise NotFound(
                    f"leaf {leaf_index} is not covered yet by the checkpoint citizens verify against "
                    f"(tree size {view.checkpoint.tree_size})"
                )
            return tlog_proofs.tlog_proofs(reader, self.domain, [reader.event_at(leaf_index)], view.note)[0]

    def case_receipt(self, case_commitment: bytes, case_seq: int | None = None) -> ReceiptProof:
        """The self-proving receipt (FORMATS 16.6) of the case's step `case_seq` (default: its newest step
        the checkpoint citizens verify against covers), against that checkpoint's signed note."""
        with self.store.read() as reader:
            stored = reader.case_events(case_commitment)
            if not stored:
                raise NotFound("no events for this case")
            view = self._citizen_checkpoint(reader)
            if view is None or view.note is None:
                raise NotFound("no signed checkpoint citizens can verify against yet")
            covered = [s for s in stored if s.leaf_index < view.checkpoint.tree_size]
            if case_seq is None:
                chosen = covered[-1] if covered else None
            else:
                chosen = next((s for s in covered if s.event.case_seq == case_seq), None)
            if chosen is None:
                which = "no step" if case_seq is None else f"step {case_seq} is not"
                raise NotFound(f"{which} covered yet by the checkpoint citizens verify against")
            proof = tlog_proofs.tlog_proofs(reader, self.domain, [chosen], view.note)[0]
        return ReceiptProof.from_tlog_proof(chosen.event, proof.proof)

    def case_archive(self, case_commitment: bytes) -> bytes:
        """A zip of the case's tlog-proof files, its JSON bundle and the witness policy: one read."""
        with self.store.read() as reader:
            bundle, view, stored = self._case_bundle(reader, case_commitment)
            if view.note is None:
                raise NotFound("the checkpoint citizens verify against is not signed yet")
            event_proofs = tlog_proofs.tlog_proofs(reader, self.domain, stored, view.note)
        return tlog_proofs.archive(event_proofs, orjson.dumps(bundle.to_json()), self.policy_text)

    def file_complaint(self, case_ref: str, access_code: str, category: str, message: str) -> dict[str, Any]:
        if self.complaints_desk is None:
            raise complaints.desk_unavailable()
        return self.complaints_desk.file(case_ref, access_code, category, message).to_json()

    def complaints_inbox(self, agency: str, timestamp: int, signature: str, after: int = 0) -> dict[str, Any]:
        complaints.check_inbox_request(self.store, agency, timestamp, signature, self.clock_ms())
        return {"agency": agency, "complaints": complaints.inbox(self.store, agency, after=after)}

    # --- auditors and anyone -----------------------------------------------------------

    def info(self) -> LogInfo:
        return LogInfo(
            self.origin,
            self.domain,
            self.settings.public_rpc_url or None,
            VERSION,
            log_vkey=self.log_vkey,
            witness_policy=self.policy_text,
            counts_when=tuple(sorted(self.settings.counts_when)),
        )

    def checkpoint(self, tree_size: int | None = None) -> CheckpointView:
        with self.store.read() as reader:
            return self._checkpoint_view(reader, proofs.stored_checkpoint(reader, tree_size))

    def inclusion(self, leaf_index: int, tree_size: int) -> InclusionProof:
        with self.store.read() as reader:
            proof = proofs.inclusion_proof(reader, leaf_index, tree_size)
            leaf = reader.get_nodes([proofs.merkle.NodeId(0, leaf_index)])
        return InclusionProof(leaf_index, tree_size, next(iter(leaf.values())), tuple(proof))

    def consistency(self, old_size: int, new_size: int) -> ConsistencyProof:
        with self.store.read() as reader:
            proof = proofs.consistency_proof(reader, old_size, new_size)
        return ConsistencyProof(old_size, new_size, tuple(proof))

    def leaves(self, start: int, end: int) -> LeafPage:
        page = self.settings.limits.leaves_page
        if start < 0 or end < start:
            raise InvalidField("end", "must be >= start >= 0")
        end = min(end, start + page)
        with self.store.read() as reader:
            end = min(end, reader.tree_size())
            hashes = reader.leaf_hashes(start, end) if end > start else []
        return LeafPage(start, tuple(hashes))

    def agencies(self) -> list[dict[str, Any]]:
        """Each agency with its current signer and every signer's window (unix ms), so that an
        event signed before a rotation can be checked against the key valid when it was received."""
        with self.store.read() as reader:
            rows = reader.agencies()
            windows = reader.signer_windows()
        history: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for w in windows:
            history[w.agency].append(
                {"signer": hex0x(w.signer), "validFrom": w.valid_from, "validUntil": w.valid_until}
            )
        return [
            {**r, "signer": None if r["signer"] is None else hex0x(r["signer"]), "signers": history.get(r["code"], [])}
            for r in rows
        ]

    def checkpoints(self, limit: int = 100, before: int | None = None) -> list[DatedCheckpoint]:
        """Recent checkpoints, newest first, each with its anchor (for the anchoring cadence)."""
        with self.store.read() as reader:
            return [
                DatedCheckpoint(self._checkpoint_view(reader, Checkpoint(origin, size, root)), created_at)
                for size, root, origin, created_at in reader.checkpoints_page(min(max(limit, 1), 1000), before)
            ]

    def status(self) -> LogStatus:
        """Tree size, anchoring lag and the newest checkpoint: for health, metrics and stats."""
        with self.store.read() as reader:
            size = reader.tree_size()
            latest = reader.latest_anchored_checkpoint(*self._scope)
            anchored = 0 if latest is None else latest[0]
            # the first leaf not yet anchored is the oldest waiting (a key lookup; the minimum of
            # received_at over the unanchored range was a scan of the whole log before any anchor)
            created = None
            if anchored < size:
                created = reader.received_at(anchored)
        now = self.clock_ms()
        lag_s = 0.0 if created is None else max(0.0, (now - created) / 1000)  # created: only while anchored < size
        return LogStatus(size, anchored, lag_s)

    def stats(self) -> PublicStats:
        """Volumes, cases, time to completion and complaints as of a tree size at most
        `limits.stats_max_age_s` old (ledger.services.stats), with the anchoring lag as of now."""
        snapshot = self._stats.get()
        return PublicStats(snapshot.body, snapshot.tree_size, snapshot.computed_at, self.status())

    def refresh_stats(self) -> None:
        """Fold new leaves into the statistics once they are half their maximum age, so that the
        server's background thread keeps them fresh before a request would have to (the first
        fold of a large log takes seconds: benchmarks/results.json, `timeline-1m`)."""
        self._stats.get(max_age_ms=self._stats.max_age_ms // 2)

    # --- helpers -------------------------------------------------------------------------

    def _citizen_checkpoint(self, reader: Reader) -> CheckpointView | None:
        """Citizens verify against the newest checkpoint that counts (FORMATS §9.2): anchored on the
        ledger contract, cosigned by the witness policy's quorum, or both, as config.json says."""
        counts = self.settings.counts_when
        if "witnessed" not in counts or self.policy_hash is None:
            found = reader.latest_anchored(*self._scope)
            if found is None:
                return None
            (size, root, origin), record = found
            return self._view(reader, Checkpoint(origin, size, root), record)
        if "anchored" in counts:
            row = reader.witnessing.latest_witnessed_and_anchored(self.policy_hash, *self._scope)
        else:
            witnessed = reader.witnessing.latest_witnessed(self.policy_hash)
            row = None if witnessed is None else witnessed[:3]
        if row is None:
            return None
        size, root, origin = row
        return self._view(reader, Checkpoint(origin, size, root), reader.anchor_for(size))

    def _checkpoint_view(self, reader: Reader, checkpoint: Checkpoint) -> CheckpointView:
        return self._view(reader, checkpoint, reader.anchor_for(checkpoint.tree_size))

    def _view(self, reader: Reader, checkpoint: Checkpoint, record: AnchorRecord | None) -> CheckpointView:
        note, witnessing = self._note(reader, checkpoint.tree_size)
        if record is None or record.tx_hash is None or record.block_number is None:
            return CheckpointView(checkpoint, None, None if record is None else record.status, note, witnessing)
        anchor = Anchor(record.chain_id, record.contract, record.tx_hash, record.block_number)
        return CheckpointView(checkpoint, anchor, record.status, note, witnessing)

    def _note(self, reader: Reader, tree_size: int) -> tuple[Note | None, Witnessing | None]:
        """The checkpoint's signed note with every cosignature stored for it, and who those are."""
        if self.log_vkey is None:
            return None, None
        note = reader.signed_checkpoint(self.log_vkey, tree_size)
        if note is None:
            return None, None
        stored = reader.witnessing.cosignatures_for(tree_size)
        if stored:
            note = note.with_signatures(NoteSignature(c.key_name, c.key_id, c.signature) for c in stored)
        if self.policy is None:
            return note, None
        by_key = {(c.key_name, c.key_id): c for c in stored}
        cosigned = tuple(
            Cosigned(
                w.name, w.display_name, w.vkey.name, int.from_bytes(by_key[(w.vkey.name, w.vkey.key_id)].signature[:8])
            )
            for w in self.policy.witnesses
            if (w.vkey.name, w.vkey.key_id) in by_key
        )
        quorum = self.policy.quorum_met(c.name for c in cosigned)
        return note, Witnessing(quorum, cosigned, len(self.policy.witnesses))
