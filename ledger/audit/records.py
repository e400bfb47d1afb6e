"""What other tables restate about the recomputed log: lawful erasures, complaints and case heads.

Streaming the leaves establishes the case heads, the payloads that are gone and the signed payloads of
erasure and complaint events (:class:`ledger.audit.page.SignedRecord`). Each function here compares one
table with that, and reports each difference once, at the record that carries it:

- lawful erasure: the shredded set equals what the agency signed, both ways;
- complaints: every complaint row restates its desk-signed ``complaint.filed`` event, and every such event
  has its row;
- case heads: against the last event of each case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from ledger.audit.page import SignedRecord
from ledger.audit.report import AuditReport, Discrepancy
from ledger.core.encoding import hex0x
from ledger.storage.audit_scan import AuditScan

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
    scan: AuditScan,
    unpaid: Iterable[tuple[int, bytes, str]],
    erasure_of: Mapping[int, tuple[int, str]],
    records: Mapping[int, SignedRecord],
    start: int,
    report: AuditReport,
) -> list[Discrepancy]:
    """The shredded payloads are exactly those the owning agency's signed erasure events name.

    `unpaid`: leaves (above `start`) whose payload is gone; `erasure_of`: the erasures table; `records`:
    the erasure events seen, with their signed payloads."""
    found: list[Discrepancy] = []
    erasure_events = {i: r for i, r in records.items() if r.event_type.startswith("erasure.")}
    named_by: dict[int, int] = {}  # leaf -> the signed erasure event naming it
    for index, erasure_event in sorted(erasure_events.items()):
        signed = signed_erasure(erasure_event.body)
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
    still_there = scan.payloads_present(wanted)
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
    recorded = [leaf for leaf in sorted(erasure_of) if leaf >= start and leaf not in gone and leaf not in still_there]
    present = scan.payloads_present(recorded)
    for leaf in recorded:
        if leaf in present:
            found.append(
                Discrepancy(
                    "erasure-record-mismatch",
                    f"an erasure record (by leaf {erasure_of[leaf][0]}) exists, but the payload is still stored",
                    leaf_index=leaf,
                )
            )
    return found


def _owns(record: SignedRecord, commitment: bytes, agency: str) -> bool:
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


def _signed_complaint(record: SignedRecord) -> dict[str, Any]:
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


def check_complaints(
    scan: AuditScan, records: Mapping[int, SignedRecord], desk_agency: str | None, start: int
) -> list[Discrepancy]:
    """Every complaint row (the inbox an agency reads) restates its desk-signed `complaint.filed` event,
    field by field, and every such event above `start` has its row."""
    found: list[Discrepancy] = []
    filed = {
        i: r
        for i, r in records.items()
        if r.event_type == "complaint.filed" and (desk_agency is None or r.agency == desk_agency)
    }
    must_have_row = filed if desk_agency is not None else {}  # without a desk, no event is a complaint
    rows = scan.complaints_from(start)
    names = scan.agency_names()
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
            "case_commitment": row.case_commitment,
            "filed_at": row.filed_at,
            "concerns_case": row.concerns_case,
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
    return found


# --- case heads -----------------------------------------------------------------------------------------


def check_case_heads(
    scan: AuditScan, heads: Mapping[bytes, tuple[int, bytes, int]], flagged: Mapping[int, tuple[str, bytes]], start: int
) -> list[Discrepancy]:
    """Each stored case head is the last event of its case, recomputed (above `start`: the cases seen)."""
    found: list[Discrepancy] = []
    stored_heads = scan.case_heads()
    wrong = []
    if not start and stored_heads == heads:
        return found  # the common case: every stored head as recomputed
    cases = (stored_heads.keys() | heads.keys()) if not start else heads.keys()
    for commitment in sorted(c for c in cases if heads.get(c) != stored_heads.get(c)):
        head, stored = heads.get(commitment), stored_heads.get(commitment)
        if any(h is not None and flagged.get(h[2], ("",))[0] in ("sig", "missing") for h in (head, stored)):
            continue  # the head event itself was edited or is missing: reported at that event
        wrong.append((commitment, head, stored))
    # a stored head whose case commitment was edited: the case lacks its head and a head names no case,
    # both at the same leaf: one finding
    orphans = {s[2]: c for c, h, s in wrong if h is None and s is not None}
    renamed = {h[2] for c, h, s in wrong if s is None and h is not None and h[2] in orphans}
    wrong = [(c, h, s) for c, h, s in wrong if not (h is None and s is not None and s[2] in renamed)]
    leaves = {h[2] for _, h, s in wrong if h is not None} | {s[2] for _, h, s in wrong if s is not None}
    agency_of = scan.agencies_of(leaves)
    for commitment, head, stored in wrong:
        source = head if head is not None else stored
        assert source is not None  # a case is wrong because one of them is not its head
        leaf = source[2]
        found_head = "none" if stored is None else f"caseSeq {stored[0]} at leaf {stored[2]}"
        if stored is None and leaf in renamed:
            found_head = f"stored under another case commitment, {hex0x(orphans[leaf])}"
        want = "none" if head is None else f"caseSeq {head[0]} at leaf {head[2]}"
        found.append(
            Discrepancy(
                "case-head-mismatch",
                f"the stored head of case {hex0x(commitment)} is {found_head}; its last event is {want}",
                leaf_index=leaf,
                agency=agency_of.get(leaf),
            )
        )
    return found
