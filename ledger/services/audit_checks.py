"""The audit's checks after the leaves: what other tables and the chain restate about the recomputed log.

Streaming the leaves (:mod:`ledger.services.auditor`) establishes the recomputed roots, the case heads, the
payloads that are gone and the signed payloads of erasure and complaint events. Each function here compares
one table (or the chain) with that, and reports each difference once, at the record that carries it:

- checkpoints: root against the recomputed tree, origin against this ledger's own;
- anchors: each anchored size once, against the chain's own ``CheckpointAnchored`` log (its transaction,
  block, size and root) and the contract's ``rootAt``;
- lawful erasure: the shredded set equals what the agency signed, both ways;
- complaints: every complaint row restates its desk-signed ``complaint.filed`` event, and every such event
  has its row;
- case heads: against the last event of each case.

A difference inside the tree that was already reported (an edited, missing or misplaced leaf) explains every
root above it: those are not reported again (``explained_from``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select

from ledger.core import merkle
from ledger.core.encoding import hex0x
from ledger.storage.schema import agencies, complaints, events, payloads

ANCHORED = ("mined", "confirmed")


@dataclass(frozen=True)
class ChainAnchor:
    """What the chain itself says about one anchored size: its ``CheckpointAnchored`` log (where known)."""

    tree_size: int
    root_hash: bytes
    tx_hash: bytes | None = None  # None: the caller gave roots only (no log), so tx and block are not compared
    block_number: int | None = None


@dataclass(frozen=True)
class ChainEvidence:
    """The chain's side of an audit, read without any key."""

    anchors: Mapping[int, ChainAnchor]
    root_at: Callable[[int], bytes | None] | None = None
    chain_id: int | None = None
    contract: bytes | None = None
    head_block: int | None = None

    @classmethod
    def of(
        cls,
        anchors: Iterable[Any] | Mapping[int, bytes] | None,
        root_at: Callable[[int], bytes | None] | None,
        chain_id: int | None = None,
        contract: bytes | None = None,
        head_block: int | None = None,
    ) -> ChainEvidence | None:
        """From CheckpointEvent-like logs (tree_size, root_hash, tx_hash, block_number) or a size -> root map."""
        if anchors is None and root_at is None:
            return None
        found: dict[int, ChainAnchor] = {}
        if isinstance(anchors, Mapping):
            found = {int(s): ChainAnchor(int(s), bytes(r)) for s, r in anchors.items()}
        elif anchors is not None:
            for e in anchors:  # oldest first: a later log of the same size (the contract refuses one) wins
                found[e.tree_size] = ChainAnchor(e.tree_size, bytes(e.root_hash), bytes(e.tx_hash), e.block_number)
        return cls(found, root_at, chain_id, contract, head_block)


def check_checkpoints(
    stored: Mapping[int, tuple[bytes, str]],
    roots_at: Mapping[int, bytes],
    committed_size: int,
    start: int,
    explained_from: int | None,
    expected_origin: str | None,
    report: Any,
) -> None:
    """Every stored checkpoint above `start`: its root is the recomputed one, its origin this ledger's."""
    from ledger.services.auditor import Discrepancy

    found = report.discrepancies
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


def check_anchors(
    rows: Mapping[int, Any],
    stored_checkpoints: Mapping[int, tuple[bytes, str]],
    roots_at: Mapping[int, bytes],
    chain: ChainEvidence | None,
    start: int,
    explained_from: int | None,
    report: Any,
) -> None:
    """Each anchored size above `start` once: the database's anchor record, the chain's log of it, the
    contract's rootAt and the recomputed root must all agree. Without chain evidence nothing is checked
    (and the report's scope says so)."""
    if chain is None:
        return
    from ledger.services.auditor import Discrepancy

    found = report.discrepancies
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


def _status_lags(row: Any, log: ChainAnchor) -> bool:
    """A pending record of the very transaction the chain mined: the anchoring worker has not seen the
    receipt yet (an audit while the server runs), not a discrepancy."""
    return row.status == "pending" and row.tx_hash is not None and bytes(row.tx_hash) == log.tx_hash


def _check_anchor_record(size: int, row: Any, log: ChainAnchor, chain: ChainEvidence, found: list) -> None:
    from ledger.services.auditor import Discrepancy

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


# --- lawful erasure ---------------------------------------------------------------------------------


def signed_erasure(body: bytes | None) -> tuple[frozenset[int], str] | None:
    """(the leaves an erasure event's signed payload names, its legal basis), or None if it names none."""
    if body is None:
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    erases, basis = data.get("erases") if isinstance(data, dict) else None, data.get("legalBasis", "")
    if not isinstance(erases, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in erases):
        return None
    return frozenset(erases), basis if isinstance(basis, str) else ""


def check_erasures(
    conn,
    unpaid: Iterable[tuple[int, bytes, str]],
    erasure_of: Mapping[int, tuple[int, str]],
    records: Mapping[int, Any],
    start: int,
    report: Any,
) -> None:
    """The shredded payloads are exactly those the owning agency's signed erasure events name.

    `unpaid`: leaves (above `start`) whose payload is gone; `erasure_of`: the erasures table; `records`:
    the erasure events seen, with their signed payloads."""
    from ledger.services.auditor import Discrepancy

    found = report.discrepancies
    erasure_events = {i: r for i, r in records.items() if r.event_type.startswith("erasure.")}
    named_by: dict[int, int] = {}  # leaf -> the signed erasure event naming it
    for index, record in sorted(erasure_events.items()):
        signed = signed_erasure(record.body)
        if signed is not None:
            for leaf in signed[0]:
                named_by.setdefault(leaf, index)
    gone = set()
    for index, commitment, agency in unpaid:
        gone.add(index)
        record = erasure_of.get(index)
        if record is None:
            naming = named_by.get(index)
            if naming is not None and _owns(erasure_events[naming], commitment, agency):
                found.append(
                    Discrepancy(
                        "erasure-record-mismatch",
                        f"the payload was lawfully erased by the event at leaf {naming}, but its erasure record is gone",
                        leaf_index=index,
                        agency=agency,
                    )
                )
            else:
                found.append(
                    Discrepancy(
                        "payload-missing",
                        "payload deleted without a lawful erasure event",
                        leaf_index=index,
                        agency=agency,
                    )
                )
            continue
        erasure_index, basis = record
        event = erasure_events.get(erasure_index)
        if event is None or not _owns(event, commitment, agency):
            found.append(
                Discrepancy(
                    "payload-missing",
                    f"erasure record names leaf {erasure_index}, which is not an erasure.* event by {agency} on this case",
                    leaf_index=index,
                    agency=agency,
                )
            )
            continue
        signed = signed_erasure(event.body)
        if signed is None:
            if event.body is None and event.body_edited:
                continue  # the erasure event's own payload was edited: reported there, it explains this
            if event.body is None:
                continue  # the erasure event's own payload is gone: reported there (payload-missing)
            found.append(
                Discrepancy(
                    "payload-missing",
                    f"the erasure event at leaf {erasure_index} does not name any leaf in its signed payload",
                    leaf_index=index,
                    agency=agency,
                )
            )
        elif index not in signed[0]:
            found.append(
                Discrepancy(
                    "payload-missing",
                    f"the erasure event at leaf {erasure_index} never named leaf {index} (it signed {sorted(signed[0])})",
                    leaf_index=index,
                    agency=agency,
                )
            )
        elif basis != signed[1]:
            found.append(
                Discrepancy(
                    "erasure-record-mismatch",
                    f"the erasure record's legal basis {basis!r} is not the signed {signed[1]!r}",
                    leaf_index=index,
                    agency=agency,
                )
            )
        else:
            report.lawful_erasures += 1
    # the other way: a leaf a signed erasure names must have lost its payload
    wanted = sorted(leaf for leaf, e in named_by.items() if e >= start and leaf not in gone)
    still_there = set()
    for chunk in range(0, len(wanted), 500):
        part = wanted[chunk : chunk + 500]
        still_there |= set(conn.execute(select(payloads.c.leaf_index).where(payloads.c.leaf_index.in_(part))).scalars())
    for leaf in sorted(still_there):
        event = erasure_events[named_by[leaf]]
        found.append(
            Discrepancy(
                "payload-not-erased",
                f"the signed erasure event at leaf {named_by[leaf]} names leaf {leaf}, whose payload is still stored",
                leaf_index=leaf,
                agency=event.agency,
            )
        )
    # an erasure record for a payload that is still there says something that did not happen
    for leaf, (erasure_index, _) in sorted(erasure_of.items()):
        if leaf >= start and leaf not in gone and leaf not in still_there:
            present = conn.execute(select(payloads.c.leaf_index).where(payloads.c.leaf_index == leaf)).first()
            if present is not None:
                found.append(
                    Discrepancy(
                        "erasure-record-mismatch",
                        f"an erasure record (by leaf {erasure_index}) exists, but the payload is still stored",
                        leaf_index=leaf,
                    )
                )


def _owns(record: Any, commitment: bytes, agency: str) -> bool:
    return record.case_commitment == commitment and record.agency == agency


# --- complaints ---------------------------------------------------------------------------------------


def complaint_summaries(category: str, concerns_agency: str, agency_name: str | None) -> set[str]:
    """The summaries the complaints desk may have signed on `complaint.filed` for this category and
    agency: today's wording (ledger.services.complaints.complaint_summary: the category in words, the
    agency by its registry name, or its code without one) and the first wording (both as codes)."""
    from ledger.services.complaints import CATEGORY_NAMES
    from ledger.services.complaints import complaint_summary as desk_summary

    summaries = {f"Pengaduan diterima ({category}) tentang layanan {concerns_agency}"}
    if category in CATEGORY_NAMES:
        summaries |= {desk_summary(category, name) for name in {agency_name or concerns_agency, concerns_agency}}
    return summaries


def _signed_complaint(record: Any) -> dict[str, Any]:
    """What the desk signed about a complaint: from its payload when it is there (the whole statement),
    else from its signed summary (category and agency; the case it concerns went with the payload)."""
    out: dict[str, Any] = {"case_commitment": record.case_commitment, "filed_at": record.received_at}
    if record.body is not None:
        try:
            data = orjson.loads(record.body)
            concerns = data["concerns"]
            out.update(
                concerns_case=bytes.fromhex(concerns["caseCommitment"].removeprefix("0x")),
                concerns_agency=concerns["agency"],
                category=data["category"],
            )
            return out
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            pass
    return out


def check_complaints(conn, records: Mapping[int, Any], desk_agency: str | None, start: int, report: Any) -> None:
    """Every complaint row (the inbox an agency reads) restates its desk-signed `complaint.filed` event,
    field by field, and every such event above `start` has its row."""
    from ledger.services.auditor import Discrepancy

    found = report.discrepancies
    filed = {
        i: r
        for i, r in records.items()
        if r.event_type == "complaint.filed" and (desk_agency is None or r.agency == desk_agency)
    }
    must_have_row = filed if desk_agency is not None else {}  # without a desk, no event is a complaint
    rows = list(conn.execute(select(complaints).where(complaints.c.filed_leaf_index >= start)))
    names = {code: name for code, name in conn.execute(select(agencies.c.code, agencies.c.name))}
    seen: set[int] = set()
    for row in sorted(rows, key=lambda r: r.filed_leaf_index):
        index = row.filed_leaf_index
        record = filed.get(index)
        if record is None or index in seen:
            found.append(
                Discrepancy(
                    "complaint-mismatch",
                    f"the complaint row of case {hex0x(bytes(row.case_commitment))} names leaf {index}, "
                    + (
                        "which another complaint row names too"
                        if index in seen
                        else "which is not a desk-signed complaint.filed"
                    ),
                    leaf_index=index,
                    agency=row.concerns_agency,
                )
            )
            continue
        seen.add(index)
        signed = _signed_complaint(record)
        stored = {
            "case_commitment": bytes(row.case_commitment),
            "filed_at": row.filed_at,
            "concerns_case": bytes(row.concerns_case),
            "concerns_agency": row.concerns_agency,
            "category": row.category,
        }
        wrong = [name for name, value in signed.items() if stored[name] != value]
        if "concerns_agency" not in signed and record.summary not in complaint_summaries(
            row.category, row.concerns_agency, names.get(row.concerns_agency)
        ):
            wrong.append("category or concerns_agency (against the signed summary)")
        if wrong:
            found.append(
                Discrepancy(
                    "complaint-mismatch",
                    f"the complaint row differs from its signed complaint.filed in: {', '.join(wrong)}",
                    leaf_index=index,
                    agency=signed.get("concerns_agency", row.concerns_agency),
                    event_id=record.event_id,
                )
            )
    for index, record in sorted(must_have_row.items()):
        if index >= start and index not in seen:
            found.append(
                Discrepancy(
                    "complaint-missing",
                    "a desk-signed complaint.filed has no complaint row: no agency's inbox shows it",
                    leaf_index=index,
                    agency=_signed_complaint(record).get("concerns_agency"),
                    event_id=record.event_id,
                )
            )


# --- case heads -----------------------------------------------------------------------------------------


def check_case_heads(
    conn, heads: Mapping[bytes, tuple[int, bytes, int]], flagged: Mapping[int, Any], start: int, report: Any
) -> None:
    """Each stored case head is the last event of its case, recomputed (above `start`: the cases seen)."""
    from ledger.services.auditor import Discrepancy
    from ledger.storage.schema import case_heads

    stored_heads = {
        bytes(r.case_commitment): (r.case_seq, bytes(r.head_hash), r.leaf_index)
        for r in conn.execute(select(case_heads))
    }
    wrong = []
    for commitment in sorted((set(stored_heads) | set(heads)) if not start else set(heads)):
        head, stored = heads.get(commitment), stored_heads.get(commitment)
        if any(h is not None and flagged.get(h[2], ("",))[0] in ("sig", "missing") for h in (head, stored)):
            continue  # the head event itself was edited or is missing: reported at that event
        if stored != head:
            wrong.append((commitment, head, stored))
    # a stored head whose case commitment was edited: the case lacks its head and a head names no case,
    # both at the same leaf: one finding
    orphans = {s[2]: c for c, h, s in wrong if h is None and s is not None}
    renamed = {h[2] for c, h, s in wrong if s is None and h is not None and h[2] in orphans}
    wrong = [(c, h, s) for c, h, s in wrong if not (h is None and s is not None and s[2] in renamed)]
    leaves = {h[2] for _, h, s in wrong if h is not None} | {s[2] for _, h, s in wrong if s is not None}
    agency_of = dict(
        conn.execute(select(events.c.leaf_index, events.c.agency).where(events.c.leaf_index.in_(sorted(leaves)))).all()
    ) if leaves else {}  # fmt: skip
    for commitment, head, stored in wrong:
        leaf = head[2] if head is not None else stored[2]
        found_head = "none" if stored is None else f"caseSeq {stored[0]} at leaf {stored[2]}"
        if stored is None and leaf in renamed:
            found_head = f"stored under another case commitment, {hex0x(orphans[leaf])}"
        want = "none" if head is None else f"caseSeq {head[0]} at leaf {head[2]}"
        report.discrepancies.append(
            Discrepancy(
                "case-head-mismatch",
                f"the stored head of case {hex0x(commitment)} is {found_head}; its last event is {want}",
                leaf_index=leaf,
                agency=agency_of.get(leaf),
            )
        )
