"""Checkpoints, proofs and proof bundles served from storage (O(log n) reads per proof)."""

from __future__ import annotations

from collections.abc import Callable

from ledger.core import merkle
from ledger.core.bundle import Anchor, BundledEvent, ProofBundle
from ledger.core.checkpoint import Checkpoint
from ledger.core.events import Domain
from ledger.core.note import Note, NoteSignature, NoteSigner, Vkey
from ledger.errors import InvalidField, InvalidInput, NotFound
from ledger.storage.sql import Reader, SqlStore, StoredEvent


def _check_size(reader: Reader, tree_size: int) -> None:
    current = reader.tree_size()
    if tree_size > current:
        raise InvalidField("treeSize", f"must not exceed the current tree size {current}")


def root_at(reader: Reader, tree_size: int) -> bytes:
    _check_size(reader, tree_size)
    plan = merkle.root_plan(tree_size)
    return merkle.root_from_nodes(plan, reader.get_nodes(plan))


def inclusion_proof(reader: Reader, leaf_index: int, tree_size: int) -> list[bytes]:
    _check_size(reader, tree_size)
    plan = merkle.inclusion_plan(leaf_index, tree_size)
    return merkle.assemble(plan, reader.get_nodes(plan.node_ids()))


def consistency_proof(reader: Reader, old_size: int, new_size: int) -> list[bytes]:
    _check_size(reader, new_size)
    plan = merkle.consistency_plan(old_size, new_size)
    return merkle.assemble(plan, reader.get_nodes(plan.node_ids()))


def make_checkpoint(
    store: SqlStore, origin: str, clock_ms: Callable[[], int], signer: NoteSigner | None = None
) -> Checkpoint:
    """Checkpoint the current tree (idempotent for an unchanged tree), signed by the log's key when
    ``signer`` is given: its signature of exactly the three-line text (c2sp.org/signed-note, type 0x01),
    stored with the checkpoint. A checkpoint stored without one is signed by ``sign_unsigned_checkpoints``."""
    if signer is not None and signer.vkey.name != origin:
        raise InvalidInput(f"the log key signs as {signer.vkey.name!r}, not as the checkpoint origin {origin!r}")
    with store.write() as tx:
        size = tx.tree_size()
        root = root_at(tx, size)
        checkpoint = Checkpoint(origin, size, root)
        signature = None if signer is None else signer.sign(checkpoint.to_text()).signature
        tx.add_checkpoint(size, root, origin, clock_ms(), log_signature=signature)
    return checkpoint


def sign_unsigned_checkpoints(store: SqlStore, signer: NoteSigner) -> int:
    """Sign the stored checkpoints that have no log signature yet (made before the log had its key);
    returns how many. Each is signed only if its root is the log's root at its size and its origin is the
    key's name: the log signs nothing its tree does not hold (c2sp.org/tlog-checkpoint: never two
    inconsistent checkpoints)."""
    with store.read() as reader:
        unsigned = [row for row in reader.unsigned_checkpoints() if row[2] == signer.vkey.name]
    signed = 0
    for start in range(0, len(unsigned), 1000):  # the writer lock is held for one batch at a time
        with store.write() as tx:
            tree_size = tx.tree_size()
            for size, root, origin in unsigned[start : start + 1000]:
                if size > tree_size or root_at(tx, size) != root:
                    continue  # the audit reports such a checkpoint (checkpoint-root-mismatch); never sign it
                tx.sign_checkpoint(size, signer.sign(Checkpoint(origin, size, root).to_text()).signature)
                signed += 1
    return signed


def checkpoint_note(
    reader: Reader, log_vkey: Vkey, tree_size: int | None = None, extra: tuple[NoteSignature, ...] = ()
) -> Note:
    """The checkpoint as the log serves it (GET /tlog/checkpoint): the signed note of the newest signed
    checkpoint (or of ``tree_size``), with ``extra`` signature lines appended after the log's own (the
    witnesses' cosignatures, when there are some)."""
    note = reader.signed_checkpoint(log_vkey, tree_size)
    if note is None:
        raise NotFound("no signed checkpoint yet" if tree_size is None else f"no signed checkpoint at {tree_size}")
    return note.with_signatures(extra) if extra else note


def served_checkpoint_note(reader: Reader, log_vkey: Vkey, policy_hash: bytes | None = None) -> Note:
    """What GET /tlog/checkpoint and `saksi tiles export` publish: with a witness policy, the newest
    checkpoint its quorum cosigned (as a witnessed log publishes; the newest signed one before the first),
    else the newest signed one; in both cases with every cosignature stored for it."""
    witnessed = None if policy_hash is None else reader.witnessing.latest_witnessed(policy_hash)
    note = checkpoint_note(reader, log_vkey, None if witnessed is None else witnessed[0])
    stored = reader.witnessing.cosignatures_for(Checkpoint.from_text(note.text).tree_size)
    if not stored:
        return note
    return note.with_signatures(NoteSignature(c.key_name, c.key_id, c.signature) for c in stored)


def stored_checkpoint(reader: Reader, tree_size: int | None = None) -> Checkpoint:
    row = reader.latest_checkpoint() if tree_size is None else reader.checkpoint(tree_size)
    if row is None:
        raise NotFound("no checkpoint yet" if tree_size is None else f"no checkpoint at tree size {tree_size}")
    size, root, origin = row
    return Checkpoint(origin, size, root)


def bundle_events(reader: Reader, stored: list[StoredEvent], checkpoint: Checkpoint) -> tuple[BundledEvent, ...]:
    """The events under the checkpoint with their inclusion proofs; the nodes of every proof are
    read together (a case's proofs share most of their upper nodes)."""
    covered = [s for s in stored if s.leaf_index < checkpoint.tree_size]
    if not covered:
        return ()
    _check_size(reader, checkpoint.tree_size)
    plans = [merkle.inclusion_plan(s.leaf_index, checkpoint.tree_size) for s in covered]
    nodes = reader.get_nodes({node for plan in plans for node in plan.node_ids()})
    return tuple(
        BundledEvent(
            s.event,
            s.signature,
            s.signer,
            s.leaf_index,
            s.leaf_hash,
            s.received_at,
            tuple(merkle.assemble(plan, nodes)),
        )
        for s, plan in zip(covered, plans, strict=True)
    )


def case_bundle(
    store: SqlStore, domain: Domain, case_commitment: bytes, anchor: Anchor | None = None, tree_size: int | None = None
) -> ProofBundle:
    """A bundle of every event of a case covered by the checkpoint (latest by default)."""
    with store.read() as reader:
        checkpoint = stored_checkpoint(reader, tree_size)
        stored = reader.case_events(case_commitment)
        if not stored:
            raise NotFound("no events for this case")
        events = bundle_events(reader, stored, checkpoint)
        if not events:
            raise NotFound("the case's events are not covered by a checkpoint yet")
    return ProofBundle(domain, checkpoint, anchor, case_commitment, events)
