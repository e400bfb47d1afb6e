"""Checkpoints and anchors against the recomputed log and the chain's own records.

- checkpoints: root against the recomputed tree, origin against this ledger's own;
- anchors: each anchored size once, against the chain's own ``CheckpointAnchored`` log (its transaction,
  block, size and root) and the contract's ``rootAt``.

A difference inside the tree that was already reported (an edited, missing or misplaced leaf) explains every
root above it: those are not reported again (``explained_from``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ledger.audit.inputs import ChainAnchor, ChainEvidence
from ledger.audit.report import AuditReport, Discrepancy
from ledger.core import merkle
from ledger.core.encoding import hex0x
from ledger.storage.audit_scan import AnchorRecord

ANCHORED = ("mined", "confirmed")


def check_checkpoints(
    stored: Mapping[int, tuple[bytes, str]],
    roots_at: Mapping[int, bytes],
    committed_size: int,
    start: int,
    explained_from: int | None,
    expected_origin: str | None,
    report: AuditReport,
) -> list[Discrepancy]:
    """Every stored checkpoint above `start`: its root is the recomputed one, its origin this ledger's."""
    found: list[Discrepancy] = []
    for size, (root, origin) in sorted(stored.items()):
        if size <= start:
            continue  # vouched for by the audit this one resumes
        report.checkpoints_checked += 1
        if expected_origin is not None and origin != expected_origin:
            found.append(
                Discrepancy(
                    "checkpoint-origin-mismatch",
                    f"checkpoint at size {size} names origin {origin!r}; this ledger's is {expected_origin!r}",
                    tree_size=size,
                )
            )
        expected_root = roots_at.get(size) if size else merkle.EMPTY_ROOT
        if size > committed_size or expected_root is None:
            found.append(
                Discrepancy("checkpoint-root-mismatch", f"checkpoint at size {size} is beyond the tree", tree_size=size)
            )
        elif expected_root != root and (explained_from is None or explained_from >= size):
            found.append(
                Discrepancy(
                    "checkpoint-root-mismatch",
                    f"stored checkpoint root {hex0x(root)} differs from the recomputed {hex0x(expected_root)}",
                    tree_size=size,
                )
            )
    return found


def check_anchors(
    rows: Mapping[int, AnchorRecord],
    stored_checkpoints: Mapping[int, tuple[bytes, str]],
    roots_at: Mapping[int, bytes],
    chain: ChainEvidence | None,
    start: int,
    explained_from: int | None,
    report: AuditReport,
) -> list[Discrepancy]:
    """Each anchored size above `start` once: the database's anchor record, the chain's log of it, the
    contract's rootAt and the recomputed root must all agree. Without chain evidence nothing is checked
    (and the report's scope says so)."""
    if chain is None:
        return []
    found: list[Discrepancy] = []
    sizes = {s for s, r in rows.items() if r.status in ANCHORED} | set(chain.anchors)
    for size in sorted(s for s in sizes if s > start):
        report.anchors_checked += 1
        row, log = rows.get(size), chain.anchors.get(size)
        chain_root = chain.root_at(size) if chain.root_at is not None else None
        if log is None and chain_root is not None and chain.root_at is not None and not chain.anchors:
            log = ChainAnchor(size, chain_root)  # roots only (no logs were given)
        if log is None:
            if chain_root is None:
                found.append(
                    Discrepancy(
                        "anchor-missing",
                        f"the anchor record says size {size} is on chain; the contract has no root for it",
                        tree_size=size,
                    )
                )
            else:
                found.append(
                    Discrepancy(
                        "anchor-mismatch",
                        f"the contract has a root for size {size} but no CheckpointAnchored log of it",
                        tree_size=size,
                    )
                )
            continue
        if row is None or (row.status not in ANCHORED and not _status_lags(row, log)):
            state = "no anchor record" if row is None else f"an anchor record with status {row.status!r}"
            found.append(
                Discrepancy(
                    "anchor-missing",
                    f"the chain anchored size {size} in block {log.block_number}; the database has {state}",
                    tree_size=size,
                )
            )
        else:
            _check_anchor_record(size, row, log, chain, found)
        recomputed = roots_at.get(size)
        explained = explained_from is not None and explained_from < size
        if size not in stored_checkpoints:
            found.append(
                Discrepancy(
                    "checkpoint-root-mismatch",
                    f"the chain anchored size {size}; no checkpoint row exists",
                    tree_size=size,
                )
            )
        elif recomputed is not None and recomputed != log.root_hash and not explained:
            found.append(
                Discrepancy(
                    "anchor-mismatch",
                    f"the chain's root for size {size} is {hex0x(log.root_hash)}, recomputed {hex0x(recomputed)}",
                    tree_size=size,
                )
            )
        elif chain_root is not None and chain_root != log.root_hash:
            found.append(
                Discrepancy(
                    "anchor-mismatch",
                    f"the contract's rootAt({size}) {hex0x(chain_root)} differs from its own log {hex0x(log.root_hash)}",
                    tree_size=size,
                )
            )
    return found


def _status_lags(row: AnchorRecord, log: ChainAnchor) -> bool:
    """A pending record of the very transaction the chain mined: the anchoring worker has not seen the
    receipt yet (an audit while the server runs), not a discrepancy."""
    return row.status == "pending" and row.tx_hash is not None and bytes(row.tx_hash) == log.tx_hash


def _check_anchor_record(
    size: int, row: AnchorRecord, log: ChainAnchor, chain: ChainEvidence, found: list[Discrepancy]
) -> None:
    wrong = []
    if log.tx_hash is not None and (row.tx_hash is None or bytes(row.tx_hash) != log.tx_hash):
        wrong.append(f"transaction {hex0x(bytes(row.tx_hash or b''))} (the chain's log is in {hex0x(log.tx_hash)})")
    if log.block_number is not None and row.status in ANCHORED and row.block_number != log.block_number:
        wrong.append(f"block {row.block_number} (the chain's log is in block {log.block_number})")
    if chain.chain_id is not None and row.chain_id != chain.chain_id:
        wrong.append(f"chain id {row.chain_id} (the audited chain is {chain.chain_id})")
    if chain.contract is not None and bytes(row.contract) != chain.contract:
        wrong.append(f"contract {hex0x(bytes(row.contract))} (the audited contract is {hex0x(chain.contract)})")
    if wrong:
        found.append(
            Discrepancy(
                "anchor-record-mismatch",
                f"the anchor record of size {size} names " + "; ".join(wrong),
                tree_size=size,
            )
        )
