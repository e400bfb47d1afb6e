"""What the ledger's reads return: typed, frozen domain objects, rendered to the wire by the API.

`ledger.services.ledger.Ledger` answers with these; `api.render` turns each into the response model
of `api.schemas` that is also its OpenAPI schema, so the JSON of a route is written in one place.
Bytes stay bytes here (hashes, addresses, signatures) and names are the domain's; hex and camelCase
are the wire's business. `CheckpointView.to_json` stays for the proof bundle and the tests, which
need the checkpoint JSON of docs/FORMATS.md §9 without the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.core.bundle import Anchor
from ledger.core.checkpoint import Checkpoint
from ledger.core.events import Domain
from ledger.core.note import Note, Vkey
from ledger.storage.sql import CaseHead, StoredEvent


@dataclass(frozen=True)
class Cosigned:
    """A policy witness that cosigned a checkpoint, and when (its cosignature's own timestamp, seconds)."""

    name: str
    display_name: str
    key_name: str
    timestamp: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "displayName": self.display_name,
            "keyName": self.key_name,
            "timestamp": self.timestamp,
        }


@dataclass(frozen=True)
class Witnessing:
    """Who of the policy's witnesses cosigned a checkpoint; verifiers recompute it from the note."""

    quorum_met: bool
    cosigned_by: tuple[Cosigned, ...]
    witness_count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "quorumMet": self.quorum_met,
            "cosignedBy": [c.to_json() for c in self.cosigned_by],
            "witnessCount": self.witness_count,
        }


@dataclass(frozen=True)
class CheckpointView:
    """A stored checkpoint with its anchor on the configured chain (None while pending), the
    anchor's status (`pending`, `mined`, `confirmed`, ...; None when it was never sent), its signed
    note (the log's signature and the witnesses' cosignatures; None while unsigned) and who of the
    witness policy cosigned it (None without a policy)."""

    checkpoint: Checkpoint
    anchor: Anchor | None
    anchor_status: str | None
    note: Note | None = None
    witnessing: Witnessing | None = None

    def to_json(self) -> dict[str, Any]:
        data = self.checkpoint.to_json()
        data["anchor"] = None if self.anchor is None else {**self.anchor.to_json(), "status": self.anchor_status}
        data["note"] = None if self.note is None else self.note.serialize()
        data["witnessing"] = None if self.witnessing is None else self.witnessing.to_json()
        return data


@dataclass(frozen=True)
class DatedCheckpoint:
    """One row of the checkpoint history: the view and when the checkpoint was made (unix ms)."""

    view: CheckpointView
    created_at: int


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """An accepted event as a reader sees it: stored, and covered by an anchored checkpoint or not."""

    stored: StoredEvent
    anchored: bool


@dataclass(frozen=True)
class CaseTimeline:
    """A case's events in order, its head (the last event's hashStruct) and the checkpoint a
    citizen verifies against (the newest anchored one; None before the first anchor)."""

    case_commitment: bytes
    events: tuple[TimelineEntry, ...]
    head: CaseHead
    checkpoint: CheckpointView | None


@dataclass(frozen=True)
class EventRecord:
    """One event an agency reads back, with its case's current head."""

    entry: TimelineEntry
    case_head: CaseHead


@dataclass(frozen=True)
class InclusionProof:
    """RFC 9162 §2.1.3 audit path of the leaf `leaf_index` in the tree of size `tree_size`."""

    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class ConsistencyProof:
    """RFC 9162 §2.1.4 consistency proof between the trees of sizes `old_size` and `new_size`."""

    old_size: int
    new_size: int
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class LeafPage:
    """Leaf hashes `start` … `start + len(leaf_hashes)` (end exclusive): one bounded page."""

    start: int
    leaf_hashes: tuple[bytes, ...]

    @property
    def end(self) -> int:
        return self.start + len(self.leaf_hashes)


@dataclass(frozen=True)
class LogInfo:
    """What a verifier needs to know about this log before it checks anything."""

    origin: str
    domain: Domain
    public_rpc_url: str | None
    version: str
    #: the log's note-signing key (FORMATS §9.1); None for a ledger without one
    log_vkey: Vkey | None = None
    #: the witness policy's text (c2sp.org/tlog-policy), when config.json names one
    witness_policy: str | None = None
    counts_when: tuple[str, ...] = ("anchored",)


@dataclass(frozen=True)
class LogStatus:
    """Tree size, anchored size and how long the oldest unanchored leaf has waited (seconds)."""

    tree_size: int
    anchored_size: int
    anchor_lag_s: float

    @property
    def unanchored_leaves(self) -> int:
        return self.tree_size - self.anchored_size


@dataclass(frozen=True)
class PublicStats:
    """The statistics snapshot (its body as ledger.services.stats builds it), the tree size and
    time it was computed at, and the anchoring status as of now."""

    body: dict[str, Any]
    tree_size: int
    computed_at: int
    anchoring: LogStatus
