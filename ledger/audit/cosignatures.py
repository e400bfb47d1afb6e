"""The audit's witness phase: every signature the server kept for its checkpoints, checked against the
witness policy of the data directory (c2sp.org/tlog-policy; FORMATS 15).

For each stored checkpoint, the signatures the server stored for it (its own Ed25519 note signature and
the witnesses' cosignatures, read through :class:`CosignatureReader`) are verified one by one, so one bad
signature hides no other:

- ``checkpoint-unsigned``: no signature by the policy's log key for the checkpoint's origin;
- ``log-signature-invalid``: a stored signature under the log key's name and ID that does not verify (or
  a policy that names no log key for this ledger's origin, so that nothing can be checked);
- ``cosignature-invalid``: a stored cosignature under a policy witness's name and ID that does not verify;
- ``quorum-not-met``: a checkpoint the server marked as cosigned by the policy's quorum (so that it counts
  for citizens) whose valid stored cosignatures do not meet that quorum, or that is not stored at all.

Signatures by keys the policy does not know are ignored, as c2sp.org/signed-note says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from ledger.audit.report import Discrepancy
from ledger.core.checkpoint import Checkpoint
from ledger.core.note import Note, NoteSignature, Vkey, verify_note
from ledger.core.policy import Policy
from ledger.errors import SaksiError


@runtime_checkable
class CosignatureReader(Protocol):
    """The signatures the server kept for the checkpoint of a tree size (the log's and the witnesses')."""

    def cosignatures_for(self, tree_size: int) -> list[NoteSignature]: ...


@runtime_checkable
class WitnessedMarks(Protocol):
    """The tree sizes the server marked as cosigned by a quorum of the policy with this digest."""

    def witnessed_sizes(self, policy_digest: bytes) -> list[int]: ...


class StoredSignatures:
    """:class:`CosignatureReader` over the storage's reader: the log's signature kept on the checkpoint row
    (``reader.signed_checkpoint(log_vkey, tree_size)``, a note signed under the key the policy trusts) and
    the witnesses' cosignatures (``reader.witnessing.cosignatures_for(tree_size)``, rows with ``key_name``,
    ``key_id`` and ``signature``). Duck-typed: the audit depends on those two reads, not on their tables."""

    def __init__(self, reader: Any, log_vkey: Vkey | None) -> None:
        self.reader = reader
        self.log_vkey = log_vkey

    @staticmethod
    def available(reader: Any) -> bool:
        return hasattr(reader, "signed_checkpoint") and hasattr(getattr(reader, "witnessing", None), "cosignatures_for")

    def cosignatures_for(self, tree_size: int) -> list[NoteSignature]:
        found: list[NoteSignature] = []
        if self.log_vkey is not None:
            note = self.reader.signed_checkpoint(self.log_vkey, tree_size)
            if note is not None:
                found += list(note.signatures)
        for row in self.reader.witnessing.cosignatures_for(tree_size):
            found.append(NoteSignature(row.key_name, row.key_id, bytes(row.signature)))
        return found

    def witnessed_sizes(self, policy_digest: bytes) -> list[int]:
        return list(self.reader.witnessing.witnessed_sizes(policy_digest))


def _fails(text: str, signature: NoteSignature, vkey: Vkey) -> str | None:
    """Why `signature` by `vkey` over the checkpoint `text` does not verify, or None when it does."""
    try:
        verify_note(Note(text, (signature,)), [vkey])
    except SaksiError as exc:
        return exc.message
    return None


def check_cosignatures(
    checkpoints: dict[int, tuple[bytes, str]],
    reader: CosignatureReader,
    policy: Policy,
    origin: str | None,
    witnessed: Iterable[int] = (),
) -> tuple[list[Discrepancy], int]:
    """The findings over `checkpoints` (tree size -> (root, origin)), and how many signatures were verified.
    `witnessed`: the sizes the server marked as cosigned by the policy's quorum, each held to the valid
    cosignatures stored for it."""
    found: list[Discrepancy] = []
    verified = 0
    if origin is not None and policy.log_for(origin) is None:
        detail = f"the witness policy names no log key for this ledger's origin {origin}: no signature was checked"
        return [Discrepancy("log-signature-invalid", detail)], 0
    witnesses = {(w.vkey.name, w.vkey.key_id): w for w in policy.witnesses}
    cosigned_by: dict[int, set[str]] = {}
    for size, (root, cp_origin) in sorted(checkpoints.items()):
        text = Checkpoint(cp_origin, size, root).to_text()
        log = policy.log_for(cp_origin)
        stored = _distinct(reader.cosignatures_for(size))
        if log is None:
            detail = f"the checkpoint's origin {cp_origin} is not a log of the witness policy"
            found.append(Discrepancy("log-signature-invalid", detail, tree_size=size))
            continue
        by_log = [s for s in stored if (s.name, s.key_id) == (log.name, log.key_id)]
        if not by_log:
            detail = f"no signature by the log key {log} is stored for the checkpoint of size {size}"
            found.append(Discrepancy("checkpoint-unsigned", detail, tree_size=size))
        for signature in by_log:
            verified += 1
            problem = _fails(text, signature, log)
            if problem:
                found.append(Discrepancy("log-signature-invalid", f"size {size}: {problem}", tree_size=size))
        for signature in stored:
            witness = witnesses.get((signature.name, signature.key_id))
            if witness is None:
                continue
            verified += 1
            problem = _fails(text, signature, witness.vkey)
            if problem:
                detail = f"the cosignature of {witness.display_name} ({witness.name}) of size {size}: {problem}"
                found.append(Discrepancy("cosignature-invalid", detail, tree_size=size))
            else:
                cosigned_by.setdefault(size, set()).add(witness.name)
    for size in sorted(set(witnessed)):
        if size not in checkpoints:
            detail = f"size {size} is marked as witnessed by the policy's quorum, but no such checkpoint is stored"
            found.append(Discrepancy("quorum-not-met", detail, tree_size=size))
        elif not policy.quorum_met(cosigned_by.get(size, ())):
            names = ", ".join(sorted(cosigned_by.get(size, ()))) or "no witness"
            detail = f"size {size} is marked as witnessed by the policy's quorum, but only {names} validly cosigned it"
            found.append(Discrepancy("quorum-not-met", detail, tree_size=size))
    return found, verified


def _distinct(signatures: Iterable[NoteSignature]) -> list[NoteSignature]:
    seen: list[NoteSignature] = []
    for signature in signatures:
        if signature not in seen:
            seen.append(signature)
    return seen
