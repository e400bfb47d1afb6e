"""The log's tree across pages: the pages' right edges merged into one compact range, the nodes completed
on the way compared with the stored ones, and every difference attributed once, to the most specific
record that explains it (an edited row, a changed leaf hash, leaves out of place, one stored node).

- a row intact but its stored leaf hash changed → ``leaf-hash-mismatch``;
- leaves intact but in the wrong place (reordered) → ``leaf-order``; a stored node that alone
  disagrees → ``tree-node-mismatch`` (the parent node decides which side is genuine);
- a broken case link that no edited or missing event explains → ``case-chain-broken``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ledger.audit.report import Discrepancy
from ledger.core import merkle
from ledger.core.encoding import hex0x
from ledger.core.merkle import NodeId
from ledger.storage.audit_scan import AuditScan


def case_breaks(
    breaks: Sequence[tuple[Any, ...]], flagged: dict[int, tuple[str, bytes]], found: list[Discrepancy]
) -> None:
    """Report the broken case links that no finding explains: a link through an edited or missing
    event (the event itself, its predecessor, or one between them) is that event's finding."""
    unreliable = sorted(flagged)
    for index, agency, event_id, seq, want_seq, head_leaf in breaks:
        low = -1 if head_leaf is None else head_leaf
        position = bisect.bisect_left(unreliable, low)
        if position < len(unreliable) and unreliable[position] <= index:
            continue
        found.append(
            Discrepancy(
                "case-chain-broken",
                f"caseSeq {seq} follows caseSeq {want_seq - 1}; expected caseSeq {want_seq} linked to its predecessor",
                leaf_index=index,
                agency=agency,
                event_id=event_id,
            )
        )


def push(peaks: list[tuple[int, bytes]], level: int, value: bytes, end: int, nodes: dict[NodeId, bytes]) -> None:
    """Add a perfect subtree ending at leaf `end` to the right edge, merging equal levels."""
    while peaks and peaks[-1][0] == level:
        value = merkle.node_hash(peaks.pop()[1], value)
        level += 1
        nodes[NodeId(level, (end >> level) - 1)] = value
    peaks.append((level, value))


def compare_nodes(
    scan: AuditScan, recomputed: dict[NodeId, bytes], mismatched_all: set[NodeId],
    flagged: dict[int, tuple[str, bytes]], found: list[Discrepancy], page_mismatches: dict[NodeId, bytes | None] | None = None,
) -> None:  # fmt: skip
    """Compare the nodes completed so far with the stored ones (a page's own nodes were compared
    where the page was recomputed: `page_mismatches`) and attribute every difference."""
    page_mismatches = page_mismatches or {}
    if not recomputed and not page_mismatches:
        return
    by_level: dict[int, list[int]] = defaultdict(list)
    for node in recomputed:
        by_level[node.level].append(node.index)
    stored: dict[NodeId, bytes] = {}
    for level, indexes in by_level.items():
        for idx, value in scan.stored_nodes(level, min(indexes), max(indexes)):
            stored[NodeId(level, idx)] = value
    mismatched = {n for n, v in recomputed.items() if stored.get(n) != v} | set(page_mismatches)
    stored.update({n: v for n, v in page_mismatches.items() if v is not None})
    mismatched_all |= mismatched
    for node in sorted(mismatched):
        child_mismatch = node.level > 1 and (
            NodeId(node.level - 1, node.index * 2) in mismatched_all
            or NodeId(node.level - 1, node.index * 2 + 1) in mismatched_all
        )
        if child_mismatch:
            continue  # explained lower down
        leaves = range(node.begin, node.end)
        if any(i in flagged for i in leaves):
            for i in leaves:
                if i in flagged and flagged[i][0] == "leaf-or-row":
                    flagged[i] = ("row", flagged[i][1])  # the recomputed leaf changed the tree: the row was edited
            continue
        parent = NodeId(node.level + 1, node.index // 2)
        sibling = NodeId(node.level, node.index ^ 1)
        stored_parent = stored.get(parent) or scan.stored_node(*parent)
        stored_sibling = stored.get(sibling) or scan.stored_node(*sibling)
        genuine_stored = False
        if stored_parent is not None and stored_sibling is not None and node in stored:
            pair = (stored[node], stored_sibling) if node.index % 2 == 0 else (stored_sibling, stored[node])
            genuine_stored = merkle.node_hash(*pair) == stored_parent
        if genuine_stored or node not in stored:
            if node not in stored:
                found.append(
                    Discrepancy(
                        "tree-node-mismatch",
                        f"tree node {node} (leaves {node.begin}-{node.end - 1}) is missing",
                        node=node,
                    )
                )
            else:
                found.append(
                    Discrepancy(
                        "leaf-order",
                        f"leaves {node.begin}-{node.end - 1} are not the leaves that were appended there (reordered or replaced)",
                        leaf_index=node.begin,
                        node=node,
                    )
                )
        else:
            found.append(
                Discrepancy(
                    "tree-node-mismatch",
                    f"stored tree node {node} (leaves {node.begin}-{node.end - 1}) differs from the recomputed one",
                    node=node,
                )
            )
    recomputed.clear()


def nodes_beyond(scan: AuditScan, committed_size: int, found: list[Discrepancy]) -> None:
    """Stored nodes of subtrees the committed tree does not have yet (a proof beyond it would use them)."""
    for level in range(1, 64):
        for idx in scan.node_indexes_from(level, committed_size >> level, 100):
            found.append(
                Discrepancy(
                    "tree-node-mismatch",
                    f"stored tree node {NodeId(level, idx)} lies beyond the committed tree size {committed_size}",
                    node=NodeId(level, idx),
                )
            )


def classify_leaves(flagged: dict[int, tuple[str, bytes]], found: list[Discrepancy]) -> None:
    for index, (state, stored) in sorted(flagged.items()):
        if state == "leaf-or-row":
            # Content, signature and tree agree; only the stored leaf hash differs.
            found.append(
                Discrepancy(
                    "leaf-hash-mismatch",
                    f"stored leaf hash {hex0x(stored)} differs from the leaf recomputed from the event",
                    leaf_index=index,
                )
            )
        elif state == "row":
            # The signature still holds, so the signed fields are intact: receivedAt was changed.
            found.append(
                Discrepancy(
                    "event-field-edited",
                    "receivedAt (or the leaf's unsigned part) differs from what was appended",
                    leaf_index=index,
                )
            )
