"""Checkpoints, proofs and proof bundles served from storage (O(log n) reads per proof)."""

from __future__ import annotations

from collections.abc import Callable

from ledger.core import merkle
from ledger.core.bundle import Anchor, BundledEvent, ProofBundle
from ledger.core.checkpoint import Checkpoint
from ledger.core.events import Domain
from ledger.errors import InvalidField, NotFound
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


def make_checkpoint(store: SqlStore, origin: str, clock_ms: Callable[[], int]) -> Checkpoint:
    """Checkpoint the current tree (idempotent for an unchanged tree)."""
    with store.write() as tx:
        size = tx.tree_size()
        root = root_at(tx, size)
        tx.add_checkpoint(size, root, origin, clock_ms())
    return Checkpoint(origin, size, root)


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
