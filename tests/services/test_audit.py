"""The audit against a more careful forger, the edits test_auditor.py does not make, and the report as a page.

`tests/services/test_auditor.py` causes every discrepancy kind by one direct database edit. Here a
forger also keeps the tree consistent (appends rows, tree nodes and tree size as the append path
would, bypassing only its checks), so what must catch it is the registry as it stood, the case
chain or the chain, each naming the exact event; then the edits not made there (a high-s
signature, a deleted node or checkpoint, forged erasure records, a removed revocation), worker
processes against one process, and the HTML report. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, insert, update

from ledger.audit.report import KINDS, AuditReport, Discrepancy, SignerWindow
from ledger.core import merkle
from ledger.core.encoding import parse_hex
from ledger.core.events import ServiceEvent, SignedEvent, leaf_bytes
from ledger.core.merkle import CompactRange
from ledger.core.signatures import SECP256K1_N
from ledger.reports.audit_html import events_per_day, render_audit_html
from ledger.services.proofs import make_checkpoint
from ledger.storage.schema import agency_signers, anchors, checkpoints, erasures, events, payloads, tree_nodes
from ledger.storage.sql import CaseHead, event_row
from tests.factories import TEST_DOMAIN, AgencyKey, CaseBuilder
from tests.services.test_auditor import DUKCAPIL, IMIGRASI, POLRI, POLRI_NEW, Ledger, _one, kinds

TOLERANCE_MS = 300_001  # the auditor's default registry_tolerance_ms, plus one


@pytest.fixture
def ledger(store):
    return Ledger(store)


def _row(item: dict, index: int, received: int) -> dict:
    event = ServiceEvent.from_json(item["event"])
    signed = SignedEvent.create(event, parse_hex("signature", item["signature"], 65), TEST_DOMAIN)
    leaf_hash = merkle.leaf_hash(leaf_bytes(signed.digest, signed.signature, received))
    return {
        **event_row(index, event, signed.signature, signed.signer, received, leaf_hash),
        "struct_hash": signed.struct_hash,
    }


def forge_append(ledger: Ledger, item: dict, received_at: int | None = None, with_tree: bool = True) -> int:
    """Append a signed item the way the append path writes it (tree nodes, tree size, case head),
    but without any of its checks; `with_tree=False` writes the row alone."""
    received = ledger.clock.now_ms if received_at is None else received_at
    with ledger.store.write() as tx:
        size = tx.tree_size()
        row = _row(item, size, received)
        struct_hash = row.pop("struct_hash")
        tx.insert_events([row])
        if with_tree:
            tx.insert_nodes(CompactRange.from_nodes(size, tx.get_nodes).append(row["leaf_hash"]))
            tx.set_tree_size(size + 1)
            tx.upsert_case_heads([CaseHead(row["case_commitment"], row["case_seq"], struct_hash, size)])
    return size


def record_anchor_off_chain(ledger: Ledger) -> int:
    """Checkpoint the tree and record an anchor for it that the contract never accepted."""
    checkpoint = make_checkpoint(ledger.store, "saksi/test", ledger.clock)
    ledger.sql(
        insert(anchors).values(
            tree_size=checkpoint.tree_size, chain_id=1, contract=b"\x01" * 20, tx_hash=b"\x03" * 32, nonce=9,
            block_number=9, status="confirmed", created_at=0, updated_at=0,
        )
    )  # fmt: skip
    return checkpoint.tree_size


def test_a_retired_key_signing_after_its_rotation_is_not_authorised(ledger):
    # Polri's old key (rotated out in the fixture) signs a new event; the forger appends it cleanly,
    # later than the registry's clock tolerance (block timestamps vs the ledger's clock)
    ledger.clock.advance(TOLERANCE_MS)
    item = ledger.cases[5].next_item("exam.practice_passed", "Ujian praktik lulus", signer=POLRI)
    index = forge_append(ledger, item)
    report = ledger.audit()
    assert kinds(report) == ["signer-not-authorised"]
    _one(report, "signer-not-authorised", leaf_index=index, agency=POLRI.code)


def test_a_revoked_agency_signing_after_revocation_is_not_authorised(ledger):
    ledger.clock.advance(TOLERANCE_MS)
    item = ledger.imigrasi.next_item("passport.issued", "Paspor diterbitkan")
    index = forge_append(ledger, item)
    report = ledger.audit()
    assert kinds(report) == ["signer-not-authorised"]
    _one(report, "signer-not-authorised", leaf_index=index, agency=IMIGRASI.code)


def test_an_event_back_dated_before_its_key_was_registered_is_not_authorised(ledger):
    # Polri's new key signs an event whose receivedAt the forger sets before the rotation
    item = ledger.cases[6].next_item("exam.practice_passed", "Ujian praktik lulus", signer=POLRI_NEW)
    index = forge_append(ledger, item, received_at=1_000)
    _one(ledger.audit(), "signer-not-authorised", leaf_index=index)


def test_a_signed_event_that_skips_the_case_head_breaks_the_chain(ledger):
    case = ledger.cases[2]
    case.seq += 1  # the agency's system lost an event; the next one claims caseSeq + 2
    item = case.next_item("document.collected", "Dokumen diambil")
    index = forge_append(ledger, item)
    report = ledger.audit()
    assert kinds(report) == ["case-chain-broken"]
    _one(report, "case-chain-broken", leaf_index=index, agency=DUKCAPIL.code)


def test_deleting_an_event_inside_a_case_is_reported_once_at_its_leaf(ledger):
    # leaf 2 is case 2's first event; its successor's link now points at nothing, and checkpoints and
    # anchors above it no longer recompute: all of that is the one deletion, reported at leaf 2
    ledger.sql(delete(payloads).where(payloads.c.leaf_index == 2))  # its payload first (foreign key)
    ledger.sql(delete(events).where(events.c.leaf_index == 2))
    report = ledger.audit()
    assert [(d.kind, d.leaf_index) for d in report.discrepancies] == [("leaf-missing", 2)]


def test_a_high_s_signature_is_invalid(ledger):
    signature = bytes(ledger.row(7).signature)
    s = SECP256K1_N - int.from_bytes(signature[32:64], "big")
    flipped = signature[:32] + s.to_bytes(32, "big") + bytes([signature[64] ^ 1])  # the same key's other form
    ledger.sql(update(events).where(events.c.leaf_index == 7).values(signature=flipped))
    report = ledger.audit()
    assert kinds(report) == ["signature-invalid"]
    _one(report, "signature-invalid", leaf_index=7)


def test_a_forged_row_without_tree_is_only_a_forged_event(ledger):
    item = CaseBuilder(DUKCAPIL).next_item()
    index = forge_append(ledger, item, with_tree=False)
    report = ledger.audit()
    assert kinds(report) == ["forged-event"]
    _one(report, "forged-event", leaf_index=index, agency=DUKCAPIL.code, event_id=item["event"]["eventId"])


def test_a_cleanly_forged_event_never_anchored_is_caught_by_the_chain(ledger):
    # the forger appends and checkpoints, and records an anchor the contract never accepted
    item = CaseBuilder(DUKCAPIL).next_item()
    forge_append(ledger, item)
    size = record_anchor_off_chain(ledger)
    report = ledger.audit()
    assert kinds(report) == ["anchor-missing"]
    _one(report, "anchor-missing", tree_size=size)


def test_a_checkpoint_row_deleted_under_an_anchor(ledger):
    size = min(ledger.chain_roots)
    ledger.sql(delete(anchors).where(anchors.c.tree_size == size))
    ledger.sql(delete(checkpoints).where(checkpoints.c.tree_size == size))
    report = ledger.audit()
    assert set(kinds(report)) == {"anchor-missing", "checkpoint-root-mismatch"}
    assert {d.tree_size for d in report.discrepancies} == {size}


def test_a_tree_node_deleted(ledger):
    ledger.sql(delete(tree_nodes).where(tree_nodes.c.level == 3, tree_nodes.c.idx == 1))
    report = ledger.audit()
    assert kinds(report) == ["tree-node-mismatch"]
    assert "missing" in report.discrepancies[0].detail


def test_an_erasure_record_naming_a_non_erasure_event_is_not_lawful(ledger):
    # the forger deletes a payload and writes an erasures row pointing at an ordinary event
    ledger.sql(delete(payloads).where(payloads.c.leaf_index == 4))
    ledger.sql(insert(erasures).values(leaf_index=4, erasure_leaf_index=9, legal_basis="UU 27/2022"))
    report = ledger.audit()
    assert kinds(report) == ["payload-missing"]
    _one(report, "payload-missing", leaf_index=4)


def test_an_erasure_record_naming_another_agencys_erasure_is_not_lawful(ledger):
    # the lawful erasure event of the fixture erased Dukcapil's leaf 0; reuse it for a Polri payload
    erasure_index = next(i for i in range(25) if ledger.row(i).event_type.startswith("erasure."))
    polri_leaf = next(i for i in range(25) if ledger.row(i).agency == POLRI.code)
    ledger.sql(delete(payloads).where(payloads.c.leaf_index == polri_leaf))
    ledger.sql(insert(erasures).values(leaf_index=polri_leaf, erasure_leaf_index=erasure_index, legal_basis="x"))
    report = ledger.audit()
    assert kinds(report) == ["payload-missing"]
    _one(report, "payload-missing", leaf_index=polri_leaf, agency=POLRI.code)


def test_a_revocation_removed_from_the_mirror(ledger):
    with ledger.store.read() as reader:
        chain_view = [SignerWindow(w.agency, w.signer, w.valid_from, w.valid_until) for w in reader.signer_windows()]
    ledger.sql(update(agency_signers).where(agency_signers.c.agency == IMIGRASI.code).values(valid_until=None))
    report = ledger.audit(chain_registry=chain_view)
    assert kinds(report) == ["registry-mirror-mismatch"]
    assert {d.agency for d in report.discrepancies} == {IMIGRASI.code}


def test_without_the_chains_registry_a_swapped_mirror_shows_as_unauthorised_signers(ledger):
    intruder = AgencyKey(DUKCAPIL.code, key=bytes.fromhex("33" * 32))
    ledger.sql(update(agency_signers).where(agency_signers.c.agency == DUKCAPIL.code).values(signer=intruder.address))
    report = ledger.audit(chain_registry=None)
    assert kinds(report) == ["signer-not-authorised"]
    assert {d.agency for d in report.discrepancies} == {DUKCAPIL.code}


def test_progress_reaches_the_whole_log(ledger):
    seen: list[tuple[int, int]] = []
    report = ledger.audit(progress=lambda done, total: seen.append((done, total)), page_size=8)
    assert report.clean and seen and seen[-1] == (report.tree_size, report.tree_size)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_the_kinds_are_stable():
    assert KINDS == (
        "event-field-edited", "signature-replaced", "signature-invalid", "signer-not-authorised",
        "leaf-hash-mismatch", "leaf-missing", "leaf-order", "forged-event", "tree-node-mismatch",
        "checkpoint-root-mismatch", "anchor-mismatch", "anchor-missing", "registry-mirror-mismatch",
        "case-chain-broken", "case-head-mismatch", "payload-digest-mismatch", "payload-missing", "unanchored-lag",
        "anchor-record-mismatch", "checkpoint-origin-mismatch", "payload-not-erased", "erasure-record-mismatch",
        "complaint-missing", "complaint-mismatch", "tree-size-mismatch", "checkpoint-unsigned",
        "log-signature-invalid", "cosignature-invalid", "quorum-not-met",
    )  # fmt: skip


# --- the HTML report ---------------------------------------------------------------------------


def _self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "<img" not in page and "@import" not in page
    assert not re.search(r"""(?:src|href)\s*=|url\(|https?://""", page.replace('xmlns="http://www.w3.org', ""))


def test_html_report_of_a_clean_ledger(ledger):
    report = ledger.audit()
    with ledger.store.read() as reader:
        per_day = events_per_day(reader)
    assert sum(per_day.values()) == report.tree_size and all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in per_day)
    page = render_audit_html(report, per_day)
    _self_contained(page)
    assert "Bersih" in page and page.count("<svg") == 2
    assert "Clean: no discrepancies" in render_audit_html(report.to_json(), per_day, lang="en")


def test_html_report_lists_discrepancies_escaped():
    report = AuditReport(tree_size=3, events_checked=3)
    report.discrepancies += [
        Discrepancy("event-field-edited", "summary <script>alert(1)</script>", 1, "dukcapil.jaksel", "KTP-1"),
        Discrepancy("event-field-edited", "x", 2, "dukcapil.jaksel", "KTP-2"),
        Discrepancy("anchor-missing", "no root on chain", tree_size=3),
    ]
    page = render_audit_html(report, {"2026-11-28": 3}, lang="en")
    _self_contained(page)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "3 discrepancies found" in page and "KTP-1" in page
    assert page.index(">event-field-edited<") < page.index(">anchor-missing<")  # kinds in their stable order


def test_worker_processes_find_exactly_what_one_process_finds(ledger):
    """Pages recomputed (and, on an SQLite file, read) in worker processes, merged on the right edge."""
    ledger.sql(update(events).where(events.c.leaf_index == 9).values(summary="Disetujui tanpa verifikasi"))
    ledger.sql(delete(payloads).where(payloads.c.leaf_index == 3))
    ledger.sql(update(events).where(events.c.leaf_index == 13).values(leaf_hash=b"\x66" * 32))
    ledger.sql(update(tree_nodes).where(tree_nodes.c.level == 1, tree_nodes.c.idx == 10).values(hash=b"\x77" * 32))
    forge_append(ledger, CaseBuilder(DUKCAPIL).next_item(), with_tree=False)

    def findings(report):
        return sorted((d.kind, d.leaf_index, d.tree_size) for d in report.discrepancies)

    alone = ledger.audit(page_size=4, workers=1)
    assert {k for k, _, _ in findings(alone)} == {
        "event-field-edited", "payload-missing", "leaf-hash-mismatch", "tree-node-mismatch", "forged-event",
    }  # fmt: skip
    assert findings(ledger.audit(page_size=4, workers=2)) == findings(alone)
    assert findings(ledger.audit(page_size=8, workers=2)) == findings(alone)


# --- the report's scope (issue 20.10) -------------------------------------------------------------------


def test_an_audit_without_the_chain_says_so_and_checks_no_anchor(ledger):
    """`--no-chain` reported anchors "checked"; now nothing is counted that was not compared, and the scope
    names what was skipped, when the audit ran and up to which size."""
    report = ledger.audit(root_at=None, chain_anchors=None, chain_registry=None)
    assert report.clean and report.anchors_checked == 0
    scope = report.to_json()["scope"]
    assert scope["chain"] is None and scope["notChecked"] == ["chain", "registry"]
    assert scope["treeSize"] == report.tree_size and scope["fromLeaf"] == 0
    assert scope["auditedAt"] == ledger.clock.now_ms
    page = render_audit_html(report)
    assert "Blockchain TIDAK diperiksa" in page and "registry" in page
    assert "The blockchain was NOT checked" in render_audit_html(report, lang="en")
    full = ledger.audit()
    assert full.anchors_checked == 3 and full.to_json()["scope"]["notChecked"] == []
    assert full.to_json()["scope"]["chain"] == {
        "chainId": 1, "contract": "0x" + "01" * 20, "headBlock": None, "anchorsOnChain": 3,
    }  # fmt: skip


def test_the_cli_text_output_states_the_scope():
    from ledger.cli.audit import scope_line

    line = scope_line(
        {"auditedAt": 0, "treeSize": 30, "fromLeaf": 24, "chain": None, "notChecked": ["chain", "leaves below 24"]}
    )
    assert line == (
        "scope: leaves 24-29 of 30, chain skipped, at 1970-01-01 00:00:00 UTC; not checked: chain, leaves below 24"
    )
