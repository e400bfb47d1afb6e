"""The audit's own discipline (ledger/audit): numbered phases, each returning its discrepancies, and a pure
page check on bytes that reproduces the golden vectors (tests/vectors/events.json) append and the browser
are held to. The SQL it runs lives in ledger/storage/audit_scan.py (an import-linter contract keeps it so)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.audit.page import PageContext, audit_page
from ledger.audit.phases import PHASES
from ledger.audit.report import KINDS, SignerWindow
from ledger.core import merkle
from ledger.core.events import Domain
from ledger.storage.audit_scan import PageRows
from ledger.storage.events import EVENT_COLUMNS
from tests.services.test_auditor import Ledger

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "events.json"


def b(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def signed_vectors() -> list[dict]:
    return [v for v in json.loads(VECTORS.read_text())["vectors"] if v["kind"] == "signedEvent"]


def vector_page(vectors: list[dict]) -> PageRows:
    """The signed event vectors as the rows of one page, leaf i = vector i."""
    rows = []
    for i, v in enumerate(vectors):
        e = v["event"]
        row = {
            "leaf_index": i, "agency": e["agency"], "event_id": e["eventId"],
            "case_commitment": b(e["caseCommitment"]), "case_seq": e["caseSeq"],
            "prev_event_hash": b(e["prevEventHash"]), "event_type": e["eventType"], "summary": e["summary"],
            "occurred_at": e["occurredAt"], "payload_digest": b(e["payloadDigest"]),
            "signature": b(v["signature"]), "signer": b(v["signer"]), "received_at": v["receivedAt"],
            "leaf_hash": b(v["leafHash"]),
        }  # fmt: skip
        rows.append(tuple(row[c] for c in EVENT_COLUMNS))
    return PageRows(rows, {}, {})


def vector_context(vectors: list[dict], size: int) -> PageContext:
    domain = Domain.from_json(vectors[0]["domain"])
    assert all(Domain.from_json(v["domain"]) == domain for v in vectors)
    windows = tuple({(v["event"]["agency"], b(v["signer"])) for v in vectors})
    return PageContext(domain.separator, True, size, tuple(SignerWindow(a, s, 0, None) for a, s in windows), 0, 4)


def test_phases_are_numbered_and_named_in_order():
    assert [number for number, _, _ in PHASES] == list(range(1, len(PHASES) + 1))
    assert len({name for _, name, _ in PHASES}) == len(PHASES)
    assert all(callable(phase) for _, _, phase in PHASES)


def test_the_page_check_reproduces_the_golden_vectors_from_bytes():
    """Pure, on a page's bytes: every vector's leaf recomputes to its leafHash (nothing found), and the
    page's right edge folds to the root of those leaf hashes."""
    vectors = signed_vectors()
    n = len(vectors)
    page = audit_page(vector_context(vectors, n), 0, n, [n], vector_page(vectors))
    assert page.found == [] and page.flagged == {} and page.missing == []
    assert page.events_checked == page.signatures_checked == n
    want = merkle.root([b(v["leafHash"]) for v in vectors])
    assert merkle.fold([value for _, value in page.peaks]) == merkle.fold(page.roots[n]) == want
    # inside the page, each case's later events link to the vector before them
    assert page.breaks == []


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("summary", "edited", "event-field-edited"),
        ("received_at", 1, None),  # unsigned: the leaf no longer matches, decided by the tree later
        ("leaf_index", 100, "forged-event"),
    ],
)
def test_the_page_check_finds_one_edited_byte(column, value, kind):
    vectors = signed_vectors()
    n = len(vectors)
    rows = vector_page(vectors)
    position = EVENT_COLUMNS.index(column)
    rows.rows[1] = rows.rows[1][:position] + (value,) + rows.rows[1][position + 1 :]
    page = audit_page(vector_context(vectors, n), 0, n, [], rows)
    assert [d.kind for d in page.found] == ([kind] if kind else [])
    assert kind is None or kind in KINDS
    if kind is None:
        assert page.flagged == {1: ("leaf-or-row", b(vectors[1]["leafHash"]))}


def test_every_phase_returns_its_discrepancies(store):
    """Run phase by phase on a ledger with edited case heads: only phase 9 (case heads) finds it, and
    the phases' lists, in order, are the audit's report."""
    from sqlalchemy import update

    from ledger.audit.phases import AuditState
    from ledger.audit.report import AuditReport
    from ledger.audit.run import Auditor
    from ledger.storage.audit_scan import AuditScan
    from ledger.storage.schema import case_heads
    from tests.factories import TEST_DOMAIN

    ledger = Ledger(store)
    with store.write() as tx:
        tx.conn.execute(update(case_heads).values(case_seq=case_heads.c.case_seq + 5))
    report = ledger.audit()
    assert set(report.counts()) == {"case-head-mismatch"}
    auditor = Auditor(store, TEST_DOMAIN, ledger.clock, workers=1, origin="saksi/test")
    by_phase = {}
    with store.read() as reader:
        scan = AuditScan(reader.conn)
        state = AuditState(
            scan, AuditReport(), auditor._pages(scan), TEST_DOMAIN.separator, ledger.clock, None, None, "saksi/test",
            None, True, auditor.registry_tolerance_ms, auditor.page_size, 1e12, None, 0, (), reader.tree_size(),
        )  # fmt: skip
        for number, _, phase in PHASES:
            by_phase[number] = found = phase(state)
            assert isinstance(found, list)
            state.report.discrepancies.extend(found)
    assert {n for n, found in by_phase.items() if found} == {9}
    assert [d.kind for d in by_phase[9]] == [d.kind for d in report.discrepancies]
