"""What an audit reports: the discrepancy kinds (FORMATS §15), one discrepancy, the report and its scope,
the cursor an incremental audit resumes from, and the signer windows rows are checked against."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ledger.core.encoding import hex0x
from ledger.core.merkle import NodeId

KINDS = (
    "event-field-edited",
    "signature-replaced",
    "signature-invalid",
    "signer-not-authorised",
    "leaf-hash-mismatch",
    "leaf-missing",
    "leaf-order",
    "forged-event",
    "tree-node-mismatch",
    "checkpoint-root-mismatch",
    "anchor-mismatch",
    "anchor-missing",
    "registry-mirror-mismatch",
    "case-chain-broken",
    "case-head-mismatch",
    "payload-digest-mismatch",
    "payload-missing",
    "unanchored-lag",
    "anchor-record-mismatch",
    "checkpoint-origin-mismatch",
    "payload-not-erased",
    "erasure-record-mismatch",
    "complaint-missing",
    "complaint-mismatch",
    "tree-size-mismatch",
    "checkpoint-unsigned",
    "log-signature-invalid",
    "cosignature-invalid",
    "quorum-not-met",
)


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    detail: str
    leaf_index: int | None = None
    agency: str | None = None
    event_id: str | None = None
    tree_size: int | None = None
    node: NodeId | None = None  # a stored tree node (level >= 1): its level and index, not a tree size

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "leafIndex": self.leaf_index,
            "agency": self.agency,
            "eventId": self.event_id,
            "treeSize": self.tree_size,
            "node": None if self.node is None else {"level": self.node.level, "index": self.node.index},
            "detail": self.detail,
        }


@dataclass(frozen=True)
class AuditCursor:
    """Where an incremental audit resumes: a page boundary a clean audit vouched for, and the tree's
    right edge there."""

    boundary: int
    peaks: tuple[tuple[int, bytes], ...]

    def to_json(self) -> dict[str, Any]:
        return {"boundary": self.boundary, "peaks": [[level, hex0x(value)] for level, value in self.peaks]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditCursor:
        return cls(
            int(data["boundary"]), tuple((int(level), bytes.fromhex(value[2:])) for level, value in data["peaks"])
        )


@dataclass
class AuditReport:
    tree_size: int = 0
    events_checked: int = 0
    signatures_checked: int = 0
    checkpoints_checked: int = 0
    anchors_checked: int = 0
    lawful_erasures: int = 0
    incremental_from: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)
    cursor: AuditCursor | None = None
    scope: dict[str, Any] = field(default_factory=dict)  # what was checked, when, and what was not

    @property
    def clean(self) -> bool:
        return not self.discrepancies

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for d in self.discrepancies:
            out[d.kind] += 1
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "treeSize": self.tree_size,
            "incrementalFrom": self.incremental_from,
            "eventsChecked": self.events_checked,
            "signaturesChecked": self.signatures_checked,
            "checkpointsChecked": self.checkpoints_checked,
            "anchorsChecked": self.anchors_checked,
            "lawfulErasures": self.lawful_erasures,
            "scope": self.scope,
            "discrepancyCounts": self.counts(),
            "discrepancies": [d.to_json() for d in self.discrepancies],
        }


@dataclass(frozen=True)
class SignerWindow:
    agency: str
    signer: bytes
    valid_from: int
    valid_until: int | None

    def covers(self, at_ms: int, tolerance_ms: int = 0) -> bool:
        """Registry times are block timestamps, which run ahead of or behind the ledger's clock by
        seconds (and the service learns of a change only when its mirror syncs): allow that much."""
        return self.valid_from - tolerance_ms <= at_ms and (
            self.valid_until is None or at_ms < self.valid_until + tolerance_ms
        )
