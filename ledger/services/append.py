"""The append path: verified submissions in, durable receipts out.

Per batch: every item is parsed and its signature recovered *before* the
transaction (CPU work outside the writer lock); then one transaction checks
idempotency, signers and case heads, assigns leaf indexes, extends the tree and
commits. Results are per item: an item that fails gets its error and writes
nothing, the others commit together. A receipt exists only after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ledger.core import merkle
from ledger.core.commitment import SALT_SIZE, canonical_json, check_payload
from ledger.core.encoding import ZERO32, hex0x, parse_hex
from ledger.core.events import Domain, ServiceEvent, SignedEvent, leaf_bytes
from ledger.core.merkle import CompactRange, NodeId
from ledger.errors import (
    AuthenticationFailed,
    DuplicateEvent,
    Forbidden,
    InvalidField,
    SaksiError,
    StaleCaseHead,
    TooLarge,
)
from ledger.storage.sql import AgencySigner, CaseHead, SqlStore, StoredEvent, WriteTx, event_row

SUBMISSION_FIELDS = {"event", "signature", "payload", "payloadSalt", "version"}


@dataclass(frozen=True)
class AppendSettings:
    max_clock_skew_s: int = 300
    max_payload_bytes: int = 64 * 1024
    max_batch: int = 1000


@dataclass(frozen=True, slots=True)
class Submission:
    """A parsed submission item: the signed event and its optional payload (canonical bytes)."""

    signed: SignedEvent
    payload_json: bytes | None
    salt: bytes | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.signed.event.agency, self.signed.event.event_id)


@dataclass(frozen=True, slots=True)
class Receipt:
    agency: str
    event_id: str
    leaf_index: int
    leaf_hash: bytes
    received_at: int
    created: bool
    anchored: bool
    case_head: CaseHead

    def to_json(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "eventId": self.event_id,
            "leafIndex": self.leaf_index,
            "leafHash": hex0x(self.leaf_hash),
            "receivedAt": self.received_at,
            "status": "anchored" if self.anchored else "pending",
            "created": self.created,
            "caseHead": {"caseSeq": self.case_head.case_seq, "headHash": hex0x(self.case_head.head_hash)},
        }


ERASURE_DOOR = (
    "erasure.* events enter the log only through POST /v1/erasures (saksi erase), which shreds the payloads they name"
)


# How deep a payload may nest (docs/FORMATS.md 8.3): a ledger's limit, like its size, not a rule of the
# format. RFC 8785 canonicalisation recurses per level; without it a payload as deep as the JSON parser
# allows (1024) ran past the server's recursion limit (an internal error, not a refusal).
MAX_PAYLOAD_DEPTH = 64


def nesting_depth(value: Any) -> int:
    """How many arrays and objects deep `value` is (0 for a scalar), without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, (list, tuple)):
            deepest = max(deepest, depth)
            continue
        deepest = max(deepest, depth + 1)
        pending.extend((child, depth + 1) for child in item)
    return deepest


def parse_submission(
    item: Any, domain: Domain, settings: AppendSettings, now_ms: int, erasure: bool = False
) -> Submission:
    """Parse one item of docs/FORMATS.md §11; raises InvalidField or AuthenticationFailed.

    `erasure` is set only by the erasure door (services.lawful_erasure): anywhere else an
    `erasure.*` event is refused, so that the log never claims an erasure nothing carried out."""
    if not isinstance(item, dict):
        raise InvalidField("item", "must be an object")
    unknown = sorted(set(item) - SUBMISSION_FIELDS)
    if unknown:
        raise InvalidField(unknown[0], "is not a submission field")
    if item.get("version", 1) != 1:
        raise InvalidField("version", "unknown event version (this ledger accepts version 1)")
    event = ServiceEvent.from_json(item.get("event"))
    if event.event_type.startswith("erasure.") and not erasure:
        raise InvalidField("event.eventType", ERASURE_DOOR)
    if event.occurred_at * 1000 > now_ms + settings.max_clock_skew_s * 1000:
        raise InvalidField("occurredAt", f"is more than {settings.max_clock_skew_s} s in the future")
    signature = parse_hex("signature", item.get("signature"), 65)
    payload, salt_hex = item.get("payload"), item.get("payloadSalt")
    salt = None if salt_hex is None else parse_hex("payloadSalt", salt_hex, SALT_SIZE)
    if payload is not None and nesting_depth(payload) > MAX_PAYLOAD_DEPTH:
        raise InvalidField("payload", f"is nested more than {MAX_PAYLOAD_DEPTH} levels deep")
    check_payload(event.payload_digest, payload, salt)
    payload_json = None
    if payload is not None:
        payload_json = canonical_json(payload)
        if len(payload_json) > settings.max_payload_bytes:
            raise TooLarge(f"payload: canonical JSON is {len(payload_json)} bytes, limit {settings.max_payload_bytes}")
    return Submission(SignedEvent.create(event, signature, domain), payload_json, salt)


Outcome = Receipt | SaksiError


class Appender:
    """Appends submissions to the log; storage, domain and clock are passed in."""

    def __init__(
        self, store: SqlStore, domain: Domain, clock_ms: Callable[[], int], settings: AppendSettings | None = None
    ) -> None:
        self.store = store
        self.domain = domain
        self.clock_ms = clock_ms
        self.settings = settings or AppendSettings()
        # The tree's right edge after this process's last commit. The log only grows, so the
        # peaks of a given size never change: reused when the size read under the writer lock
        # matches (another process or thread may have appended since; then it is read again).
        self._edge: tuple[int, tuple[bytes, ...]] = (-1, ())

    def parse(self, items: Sequence[Any], erasure: bool = False) -> list[Submission | SaksiError]:
        if len(items) > self.settings.max_batch:
            raise TooLarge(f"batch has {len(items)} events, limit {self.settings.max_batch}")
        now = self.clock_ms()
        out: list[Submission | SaksiError] = []
        for position, item in enumerate(items):
            try:
                out.append(parse_submission(item, self.domain, self.settings, now, erasure))
            except SaksiError as exc:
                exc.evidence.setdefault("index", position)
                out.append(exc)
        return out

    def submit(self, items: Sequence[Any]) -> list[Outcome]:
        """Parse, verify and append raw JSON items; one outcome per item, in order."""
        return self.append_parsed(self.parse(items))

    def append_parsed(self, parsed: Sequence[Submission | SaksiError]) -> list[Outcome]:
        """Append what `parse` accepted; its refusals stay in place. One outcome per item, in order.

        The split lets a server parse and recover signatures for many requests at once, outside
        the writer's turn, and append them together (see ledger.services.group_commit)."""
        ready = [(i, s) for i, s in enumerate(parsed) if isinstance(s, Submission)]
        outcomes: list[Outcome] = [p for p in parsed]  # type: ignore[misc]
        if ready:
            for (position, _), outcome in zip(ready, self.append([s for _, s in ready]), strict=True):
                if isinstance(outcome, SaksiError):
                    outcome.evidence.setdefault("index", position)
                outcomes[position] = outcome
        return outcomes

    def append(
        self,
        submissions: Sequence[Submission],
        after: Callable[[WriteTx, list[Outcome]], None] | None = None,
    ) -> list[Outcome]:
        """Append already-parsed submissions in one transaction.

        `after(tx, outcomes)` runs inside the same transaction once the events are
        written (complaint records, lawful erasure); if it raises, nothing commits.
        """
        with self.store.write() as tx:
            outcomes, compact = self._append_locked(tx, submissions)
            if after is not None:
                after(tx, outcomes)
        self._edge = (compact.size, compact.peaks)  # committed
        return outcomes

    def _append_locked(self, tx: WriteTx, submissions: Sequence[Submission]) -> tuple[list[Outcome], CompactRange]:
        received_at = self.clock_ms()
        size = tx.tree_size()
        existing = tx.events_by_key(list({s.key for s in submissions}))
        # only a resubmission's receipt can say "anchored" (a new leaf is past any checkpoint): one
        # statement less in the common append
        anchored = tx.anchored_size(self.domain.chain_id, self.domain.verifying_contract) if existing else 0
        signers = tx.active_signers({s.signed.event.agency for s in submissions})
        stored_heads = tx.case_heads(s.signed.event.case_commitment for s in submissions)
        heads = dict(stored_heads)
        edge_size, peaks = self._edge
        compact = CompactRange(size, peaks) if edge_size == size else CompactRange.from_nodes(size, tx.get_nodes)

        outcomes: list[Outcome] = []
        accepted: dict[tuple[str, str], Receipt] = {}
        accepted_struct: dict[tuple[str, str], bytes] = {}
        event_rows: list[dict[str, Any]] = []
        payload_rows: list[dict[str, Any]] = []
        new_nodes: list[tuple[NodeId, bytes]] = []
        refused_signers: list[bytes] = []

        for submission in submissions:
            signed, event = submission.signed, submission.signed.event
            key = submission.key
            # 1. idempotency: same agency + eventId
            if key in existing or key in accepted:
                previous_struct = existing[key].event.hash_struct() if key in existing else accepted_struct[key]
                if previous_struct != signed.struct_hash:
                    outcomes.append(
                        DuplicateEvent(
                            f"event {event.agency}/{event.event_id} was already accepted with different content",
                            agency=event.agency,
                            eventId=event.event_id,
                        )
                    )
                else:
                    outcomes.append(
                        replace(accepted[key], created=False)
                        if key in accepted
                        else self._existing_receipt(existing[key], heads, anchored)
                    )
                continue
            # 2. the signer must be the agency's active signer
            current = signers.get(event.agency)
            if current is None or current.status != "active" or current.signer != signed.signer:
                refused_signers.append(signed.signer)
                outcomes.append(_signer_error(tx, event.agency, signed.signer, current))
                continue
            # 3. the event must extend its case head
            head = heads.get(event.case_commitment)
            expected_seq = 1 if head is None else head.case_seq + 1
            expected_prev = ZERO32 if head is None else head.head_hash
            if event.case_seq != expected_seq or event.prev_event_hash != expected_prev:
                outcomes.append(
                    StaleCaseHead(
                        f"case head is caseSeq {expected_seq - 1}; the next event must have caseSeq {expected_seq} "
                        f"and prevEventHash {hex0x(expected_prev)}",
                        caseSeq=expected_seq - 1,
                        headHash=expected_prev,
                    )
                )
                continue
            # 4. the leaf
            leaf_index = size + len(event_rows)
            leaf_hash = merkle.leaf_hash(leaf_bytes(signed.digest, signed.signature, received_at))
            new_nodes += compact.append(leaf_hash)
            new_head = CaseHead(event.case_commitment, event.case_seq, signed.struct_hash, leaf_index)
            heads[event.case_commitment] = new_head
            event_rows.append(event_row(leaf_index, event, signed.signature, signed.signer, received_at, leaf_hash))
            if submission.payload_json is not None:
                payload_rows.append(
                    {"leaf_index": leaf_index, "salt": submission.salt, "payload": submission.payload_json}
                )
            receipt = Receipt(event.agency, event.event_id, leaf_index, leaf_hash, received_at, True, False, new_head)
            accepted[key] = receipt
            accepted_struct[key] = signed.struct_hash
            outcomes.append(receipt)

        if event_rows:
            tx.insert_events(event_rows)
            tx.insert_payloads(payload_rows)
            tx.insert_nodes(new_nodes)
            changed = {h.case_commitment: h for h in heads.values() if stored_heads.get(h.case_commitment) != h}
            tx.upsert_case_heads(changed.values())
            tx.set_tree_size(size + len(event_rows))
        return outcomes, compact

    def _existing_receipt(self, stored: StoredEvent, heads: dict[bytes, CaseHead], anchored: int) -> Receipt:
        head = heads.get(stored.event.case_commitment) or CaseHead(
            stored.event.case_commitment, stored.event.case_seq, stored.event.hash_struct(), stored.leaf_index
        )
        return Receipt(
            stored.event.agency,
            stored.event.event_id,
            stored.leaf_index,
            stored.leaf_hash,
            stored.received_at,
            False,
            stored.leaf_index < anchored,
            head,
        )


def _signer_error(tx: WriteTx, agency: str, signer: bytes, current: AgencySigner | None) -> SaksiError:
    if current is None:
        return Forbidden(f"agency {agency} is not registered", agency=agency, signer=signer)
    if current.status != "active":
        return Forbidden(f"agency {agency} is revoked", agency=agency, signer=signer)
    if not tx.signer_history([signer]):
        # Recovers to an address nobody registered: the signature is over other content, or forged.
        return AuthenticationFailed(
            f"signature recovers to {hex0x(signer)}, which is not any agency's signer", agency=agency, signer=signer
        )
    return Forbidden(f"{hex0x(signer)} is not the active signer of agency {agency}", agency=agency, signer=signer)
