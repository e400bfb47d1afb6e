"""Offline proofs in the C2SP format: a `.tlog-proof` file (c2sp.org/tlog-proof@v1) per event, and a
per-case archive of them beside the JSON proof bundle.

Each proof is against the checkpoint citizens verify against (the newest that counts, FORMATS §9.2),
carries that checkpoint as the log-signed, witness-cosigned note, and Saksi's `extra` line: the
event's 106 leaf bytes (FORMATS §5), from which a verifier computes the leaf hash the inclusion proof
binds (ledger.core.tlog_proof says why the extra line needs no trust of its own).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.core import merkle
from ledger.core.events import Domain, leaf_bytes
from ledger.core.note import Note
from ledger.core.tlog_proof import FILE_EXTENSION, TlogProof
from ledger.storage.sql import Reader, StoredEvent

#: Entries of an archive carry this fixed time, so the same proofs make the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class EventProof:
    """One event's tlog-proof with what names it in an archive."""

    stored: StoredEvent
    proof: TlogProof

    @property
    def file_name(self) -> str:
        return f"{self.stored.event.case_seq:04d}-{self.stored.event.event_id}{FILE_EXTENSION}"


def tlog_proofs(reader: Reader, domain: Domain, stored: Sequence[StoredEvent], note: Note) -> list[EventProof]:
    """The proofs of the events of ``stored`` that the checkpoint of ``note`` covers (one read of the
    nodes every proof needs: a case's proofs share most of their upper nodes)."""
    from ledger.core.checkpoint import Checkpoint

    tree = Checkpoint.from_text(note.text)
    covered = [s for s in stored if s.leaf_index < tree.tree_size]
    plans = [merkle.inclusion_plan(s.leaf_index, tree.tree_size) for s in covered]
    nodes = reader.get_nodes({node for plan in plans for node in plan.node_ids()})
    out = []
    for s, plan in zip(covered, plans, strict=True):
        leaf = leaf_bytes(s.event.digest(domain), s.signature, s.received_at)
        out.append(EventProof(s, TlogProof(s.leaf_index, tuple(merkle.assemble(plan, nodes)), note, leaf)))
    return out


def archive(proofs: Sequence[EventProof], bundle_json: bytes, policy_text: str | None) -> bytes:
    """A zip of one `.tlog-proof` per event, the JSON bundle (`bundle.json`) and the witness policy the
    proofs are meant to be checked with (`policy.txt`, when there is one); deterministic bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:

        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)

        for p in proofs:
            add(p.file_name, p.proof.serialize().encode())
        add("bundle.json", bundle_json)
        if policy_text is not None:
            add("policy.txt", policy_text.encode())
    return buffer.getvalue()
