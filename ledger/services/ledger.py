"""The application service the API and the CLI call: one object, storage and clock passed in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from ledger.config import Settings
from ledger.core.bundle import Anchor, ProofBundle
from ledger.core.checkpoint import Checkpoint
from ledger.core.encoding import hex0x
from ledger.core.events import Domain
from ledger.errors import InvalidField, NotFound, SaksiError
from ledger.services import complaints, proofs, stats
from ledger.services.append import Appender, AppendSettings, Outcome, Submission
from ledger.services.complaints import ComplaintsDesk
from ledger.services.group_commit import GroupCommit
from ledger.services.signed_requests import check_agency_request
from ledger.services.views import (
    CaseTimeline,
    CheckpointView,
    ConsistencyProof,
    DatedCheckpoint,
    EventRecord,
    InclusionProof,
    LeafPage,
    LogInfo,
    LogStatus,
    PublicStats,
    TimelineEntry,
)
from ledger.storage.sql import AnchorRecord, CaseHead, Reader, SqlStore

__all__ = ["VERSION", "CheckpointView", "Ledger"]  # CheckpointView lives in ledger.services.views

VERSION = "0.1.0"


class Ledger:
    def __init__(
        self,
        settings: Settings,
        store: SqlStore,
        clock_ms: Callable[[], int],
        complaints_key: bytes | None = None,
    ) -> None:
        self.settings = settings
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
        return self.appender.append_parsed(parsed)

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

    def case_bundle(self, case_commitment: bytes) -> ProofBundle:
        with self.store.read() as reader:
            view = self._citizen_checkpoint(reader)
            if view is None:
                raise NotFound("no checkpoint yet: the case's events are waiting to be anchored")
            stored = reader.case_events(case_commitment)
            if not stored:
                raise NotFound("no events for this case")
            bundled = proofs.bundle_events(reader, stored, view.checkpoint)
            if not bundled:
                raise NotFound("the case's events are not covered by an anchored checkpoint yet")
        return ProofBundle(self.domain, view.checkpoint, view.anchor, case_commitment, bundled)

    def file_complaint(self, case_ref: str, access_code: str, category: str, message: str) -> dict[str, Any]:
        if self.complaints_desk is None:
            raise complaints.desk_unavailable()
        return self.complaints_desk.file(case_ref, access_code, category, message).to_json()

    def complaints_inbox(self, agency: str, timestamp: int, signature: str, after: int = 0) -> dict[str, Any]:
        complaints.check_inbox_request(self.store, agency, timestamp, signature, self.clock_ms())
        return {"agency": agency, "complaints": complaints.inbox(self.store, agency, after=after)}

    # --- auditors and anyone -----------------------------------------------------------

    def info(self) -> LogInfo:
        return LogInfo(self.origin, self.domain, self.settings.public_rpc_url or None, VERSION)

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
        """Citizens verify against the newest checkpoint the chain has accepted."""
        found = reader.latest_anchored(*self._scope)
        if found is None:
            return None
        (size, root, origin), record = found
        return self._view(Checkpoint(origin, size, root), record)

    def _checkpoint_view(self, reader: Reader, checkpoint: Checkpoint) -> CheckpointView:
        return self._view(checkpoint, reader.anchor_for(checkpoint.tree_size))

    @staticmethod
    def _view(checkpoint: Checkpoint, record: AnchorRecord | None) -> CheckpointView:
        if record is None or record.tx_hash is None or record.block_number is None:
            return CheckpointView(checkpoint, None, None if record is None else record.status)
        anchor = Anchor(record.chain_id, record.contract, record.tx_hash, record.block_number)
        return CheckpointView(checkpoint, anchor, record.status)
