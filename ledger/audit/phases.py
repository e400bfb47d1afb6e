"""The audit as numbered phases, in the order they run (like ``ledger.core.verify.STEPS``).

Each phase reads what earlier ones established from the :class:`AuditState`, adds what later ones need,
and returns the discrepancies it found; :func:`ledger.audit.run.Auditor.run` appends them to the report in
phase order. Each discrepancy is reported once, attributed to the most specific record that explains it:

- a row whose content no longer matches its signature → ``event-field-edited`` (or
  ``signature-replaced`` when the signature recovers to another registered key);
- a row intact but its stored leaf hash changed → ``leaf-hash-mismatch``;
- leaves intact but in the wrong place (reordered) → ``leaf-order``; a stored node that alone
  disagrees → ``tree-node-mismatch``;
- missing leaf indexes → ``leaf-missing``; rows beyond the committed tree size → ``forged-event``;
- checkpoints, anchors and the chain; the registry mirror against the chain; case chains and heads;
  payload digests, with lawful erasure recognised; events left unanchored too long;
- with a witness policy, the log's signature and the witnesses' cosignatures of every checkpoint.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from ledger.audit import anchoring, cosignatures, records, tree
from ledger.audit.inputs import ChainEvidence
from ledger.audit.page import PageContext, PageResult, SignedRecord
from ledger.audit.report import AuditCursor, AuditReport, Discrepancy, SignerWindow
from ledger.core import events, merkle
from ledger.core.encoding import ZERO32, hex0x
from ledger.core.merkle import NodeId
from ledger.core.policy import Policy
from ledger.errors import SaksiError
from ledger.storage.audit_scan import AnchorRecord, AuditScan

#: (page context, page ranges, interesting sizes) -> each page's result, in order
PageStream = Callable[[PageContext, Sequence[tuple[int, int]], Sequence[int]], Generator[PageResult, None, None]]


@dataclass
class AuditState:
    """The audit's settings and trust inputs, and what each phase established for the later ones."""

    scan: AuditScan
    report: AuditReport
    pages: PageStream
    separator: bytes
    clock_ms: Callable[[], int]
    chain: ChainEvidence | None
    chain_registry: list[SignerWindow] | None
    origin: str | None
    complaints_agency: str | None
    verify_signatures: bool
    tolerance_ms: int
    page_size: int
    max_unanchored_lag_s: float
    progress: Callable[[int, int], None] | None
    start: int = 0
    resume_peaks: tuple[tuple[int, bytes], ...] = ()
    stored_size: int = 0
    committed_size: int = 0
    windows: list[SignerWindow] = field(default_factory=list)
    stored_checkpoints: dict[int, tuple[bytes, str]] = field(default_factory=dict)
    anchor_rows: dict[int, AnchorRecord] = field(default_factory=dict)
    roots_at: dict[int, bytes] = field(default_factory=dict)
    # leaf index -> (state, stored leaf hash): "sig" (reported at the row), "missing",
    # "leaf-or-row" (undecided until the tree shows which), "row" (the row's content changed)
    flagged: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    heads: dict[bytes, tuple[int, bytes, int]] = field(default_factory=dict)  # case -> (seq, struct, leaf)
    signed_records: dict[int, SignedRecord] = field(default_factory=dict)
    unpaid: list[tuple[int, bytes, str]] = field(default_factory=list)
    explained_from: int | None = None
    # the data directory's witness policy, and the server's stored signatures of its checkpoints
    witness_policy: Policy | None = None
    cosignatures: cosignatures.CosignatureReader | None = None
    cosignatures_checked: int = 0


def committed_size(state: AuditState) -> list[Discrepancy]:
    """The tree size row against the chain: the contract only accepts a larger tree consistent with the
    last one, so a size the chain anchored is a size the log had. Below it, the row was lowered (its rows
    would all look forged): report it once and audit up to the anchored size."""
    stored = state.stored_size
    anchored = max(state.chain.anchors, default=0) if state.chain is not None else 0
    state.committed_size = state.report.tree_size = max(stored, anchored)
    if anchored <= stored:
        return []
    return [
        Discrepancy(
            "tree-size-mismatch",
            f"the committed tree size is {stored}, but the chain anchored size {anchored}",
            tree_size=stored,
        )
    ]


def registry(state: AuditState) -> list[Discrepancy]:
    """The signer windows rows are checked against: the mirror's, or (given the chain's registry) the
    chain's, with every mirror row and agency status that differs from it."""
    found: list[Discrepancy] = []
    mirror = [SignerWindow(m.agency, m.signer, m.valid_from, m.valid_until) for m in state.scan.mirrored_signers()]
    if state.chain_registry is None:
        state.windows = mirror
        return found

    def key(w: SignerWindow) -> tuple[str, bytes, int, int | None]:
        return (w.agency, w.signer, w.valid_from, w.valid_until)

    on_chain, mirrored = {key(w) for w in state.chain_registry}, {key(m) for m in mirror}
    extra = [w for w in mirror if key(w) not in on_chain]
    lacking = [w for w in state.chain_registry if key(w) not in mirrored]

    def shown(w: SignerWindow) -> str:
        return f"{hex0x(w.signer)} for {w.agency} from {w.valid_from} until {w.valid_until}"

    # one edited mirror row is one finding: pair it with the chain's window it replaced
    for w in extra:
        twin = next((c for c in lacking if c.agency == w.agency), None) or next(
            (c for c in lacking if (c.signer, c.valid_from) == (w.signer, w.valid_from)), None
        )
        if twin is not None:
            lacking.remove(twin)
            detail = f"the mirror's signer window {shown(w)} is, on the chain's registry, {shown(twin)}"
        else:
            detail = f"the mirror says {shown(w)}; the chain's registry does not"
        found.append(Discrepancy("registry-mirror-mismatch", detail, agency=w.agency))
    for w in lacking:
        found.append(
            Discrepancy(
                "registry-mirror-mismatch", f"the chain registers {shown(w)}; the mirror lacks it", agency=w.agency
            )
        )
    # The mirror's agencies and their status (what the inbox and submissions check) are the chain's:
    # an agency is active while it has an open signer window there, revoked once it has none.
    status: dict[str, str] = {}
    for w in state.chain_registry:
        if w.valid_until is None or w.agency not in status:
            status[w.agency] = "active" if w.valid_until is None else "revoked"
    listed = state.scan.agency_statuses()
    for code in sorted(set(status) | set(listed)):
        if status.get(code) != listed.get(code):
            found.append(
                Discrepancy(
                    "registry-mirror-mismatch",
                    f"the mirror lists agency {code} as {listed.get(code) or 'absent'}; "
                    f"the chain's registry as {status.get(code) or 'absent'}",
                    agency=code,
                )
            )
    state.windows = state.chain_registry
    return found


def leaves(state: AuditState) -> list[Discrepancy]:
    """Stream the events in leaf order, a page (a perfect subtree) at a time: every row recomputed and
    checked (:func:`ledger.audit.page.audit_page`), case chains linked across pages, the pages' right
    edges merged into the tree and the nodes completed on the way compared with the stored ones."""
    scan, report, start, committed = state.scan, state.report, state.start, state.committed_size
    found: list[Discrepancy] = []
    state.stored_checkpoints = scan.checkpoints()
    state.anchor_rows = scan.anchors()
    last_row = scan.last_leaf()
    span = max(committed, 0 if last_row is None else last_row + 1)
    if start % state.page_size or start > committed:
        raise SaksiError(f"cannot resume at {start}: not a page boundary within the tree")
    peaks: list[tuple[int, bytes]] = list(state.resume_peaks)
    recomputed_nodes: dict[NodeId, bytes] = {}
    mismatched_nodes: set[NodeId] = set()
    flagged, heads = state.flagged, state.heads
    chain_sizes = set(state.chain.anchors) if state.chain else set()
    sizes = sorted(set(state.stored_checkpoints) | set(state.anchor_rows) | chain_sizes)
    missing_reported = 0
    ranges = [(a, min(a + state.page_size, span)) for a in range(start, span, state.page_size)]
    ctx = PageContext(
        state.separator, state.verify_signatures, committed, tuple(state.windows), state.tolerance_ms,
        state.page_size.bit_length() - 1,
    )  # fmt: skip
    with contextlib.closing(state.pages(ctx, ranges, sizes)) as pages:
        for (a, _), page in zip(ranges, pages, strict=True):
            if not flagged and not found and not report.discrepancies and a <= committed:
                report.cursor = AuditCursor(a, tuple(peaks))  # everything before `a` checked clean
            report.events_checked += page.events_checked
            report.signatures_checked += page.signatures_checked
            found.extend(page.found)
            flagged.update(page.flagged)
            for missing in page.missing:
                flagged[missing] = ("missing", b"")
                if missing_reported < 100:
                    missing_reported += 1
                    found.append(Discrepancy("leaf-missing", f"no event at leaf {missing}", leaf_index=missing))
            # each case's first event in this page links to its head in earlier pages
            if start:
                _resume_heads(scan, [f[0] for f in page.firsts], start, heads)
            breaks = list(page.breaks)
            for commitment, index, agency, event_id, seq, prev in page.firsts:
                head = heads.get(commitment)
                want_seq, want_prev = (1, ZERO32) if head is None else (head[0] + 1, head[1])
                if seq != want_seq or prev != want_prev:
                    breaks.append((index, agency, event_id, seq, want_seq, None if head is None else head[2]))
            tree.case_breaks(sorted(breaks), flagged, found)
            heads.update(page.lasts)
            state.unpaid += page.unpaid
            state.signed_records.update(page.signed_records)
            # the tree: roots at interesting sizes inside this page, then push the page's peaks
            for size, hashes in page.roots.items():
                state.roots_at[size] = merkle.fold([h for _, h in peaks] + hashes)
            for node, value in page.peaks:
                tree.push(peaks, node.level, value, node.end, recomputed_nodes)
            if state.progress:
                state.progress(report.events_checked, span)
            tree.compare_nodes(scan, recomputed_nodes, mismatched_nodes, flagged, found, page.node_mismatches)
    return found


def _resume_heads(
    scan: AuditScan, commitments: Sequence[bytes], start: int, heads: dict[bytes, tuple[int, bytes, int]]
) -> None:
    """Each continuing case's last event before `start`, as the previous audit saw it."""
    wanted = sorted(set(commitments) - set(heads))
    for (
        index,
        event_id,
        agency,
        commitment,
        seq,
        prev,
        event_type,
        summary,
        occurred,
        digest,
    ) in scan.events_of_cases_before(wanted, start):
        struct = events.struct_hash(event_id, agency, commitment, seq, prev, event_type, summary, occurred, digest)
        heads[commitment] = (seq, struct, index)


def attribution(state: AuditState) -> list[Discrepancy]:
    """Leaves still undecided: a changed leaf hash or an edited receivedAt; stored nodes beyond the tree.
    Where the first explained difference lies (no root above it is reported again)."""
    found: list[Discrepancy] = []
    tree.classify_leaves(state.flagged, found)
    misplaced = [
        d.leaf_index for d in state.report.discrepancies + found if d.kind == "leaf-order" and d.leaf_index is not None
    ]
    state.explained_from = min(
        [i for i, (status, _) in state.flagged.items() if status != "leaf-or-row"] + misplaced, default=None
    )
    tree.nodes_beyond(state.scan, state.committed_size, found)
    return found


def erasures(state: AuditState) -> list[Discrepancy]:
    return records.check_erasures(
        state.scan, state.unpaid, state.scan.erasures(), state.signed_records, state.start, state.report
    )


def complaints(state: AuditState) -> list[Discrepancy]:
    return records.check_complaints(state.scan, state.signed_records, state.complaints_agency, state.start)


def checkpoints(state: AuditState) -> list[Discrepancy]:
    return anchoring.check_checkpoints(
        state.stored_checkpoints, state.roots_at, state.committed_size, state.start, state.explained_from,
        state.origin, state.report,
    )  # fmt: skip


def anchors(state: AuditState) -> list[Discrepancy]:
    return anchoring.check_anchors(
        state.anchor_rows, state.stored_checkpoints, state.roots_at, state.chain, state.start,
        state.explained_from, state.report,
    )  # fmt: skip


def case_heads(state: AuditState) -> list[Discrepancy]:
    return records.check_case_heads(state.scan, state.heads, state.flagged, state.start)


def unanchored_lag(state: AuditState) -> list[Discrepancy]:
    """Events received longer ago than the allowed lag and still not anchored."""
    rows, committed = state.anchor_rows, state.committed_size
    anchored = max((s for s, r in rows.items() if r.status in anchoring.ANCHORED), default=0)
    if anchored >= committed:
        return []
    oldest = state.scan.oldest_received_from(anchored)
    if oldest is None or (state.clock_ms() - oldest) / 1000 <= state.max_unanchored_lag_s:
        return []
    return [
        Discrepancy(
            "unanchored-lag",
            f"{committed - anchored} events unanchored, the oldest received {int((state.clock_ms() - oldest) / 1000)} s ago",
            leaf_index=anchored,
        )
    ]


def witness_signatures(state: AuditState) -> list[Discrepancy]:
    """With a witness policy: every signature the server kept for its checkpoints (ledger.audit.cosignatures)."""
    if state.witness_policy is None or state.cosignatures is None:
        return []
    marks = state.cosignatures
    witnessed = (
        marks.witnessed_sizes(state.witness_policy.digest)
        if isinstance(marks, cosignatures.WitnessedMarks) and state.witness_policy.digest
        else []
    )
    found, state.cosignatures_checked = cosignatures.check_cosignatures(
        state.stored_checkpoints, state.cosignatures, state.witness_policy, state.origin, witnessed
    )
    return found


#: (number, name, phase): the audit runs them in this order
PHASES: tuple[tuple[int, str, Callable[[AuditState], list[Discrepancy]]], ...] = (
    (1, "committed tree size against the chain", committed_size),
    (2, "registry mirror against the chain", registry),
    (3, "leaves, signatures, case chains and tree nodes", leaves),
    (4, "leaf hashes and nodes attributed", attribution),
    (5, "lawful erasures", erasures),
    (6, "complaint rows", complaints),
    (7, "checkpoints", checkpoints),
    (8, "anchors against the chain", anchors),
    (9, "case heads", case_heads),
    (10, "unanchored lag", unanchored_lag),
    (11, "checkpoint signatures and witness cosignatures", witness_signatures),
)
