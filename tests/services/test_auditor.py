"""The integrity audit: every discrepancy kind caused by editing the database directly, on SQLite and PostgreSQL,
and zero false positives on a clean ledger with lawful erasures, key rotations and revocations."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import delete, insert, select, update

from ledger.audit.report import SignerWindow
from ledger.audit.run import Auditor
from ledger.chain.port import CheckpointEvent
from ledger.core import merkle
from ledger.core.encoding import hex0x
from ledger.errors import Forbidden
from ledger.services.append import Appender, AppendSettings
from ledger.services.lawful_erasure import erase
from ledger.services.proofs import make_checkpoint
from ledger.storage.schema import agency_signers, anchors, case_heads, checkpoints, events, payloads, tree_nodes
from tests.factories import TEST_DOMAIN, AgencyKey, CaseBuilder, FakeClock

DUKCAPIL = AgencyKey("dukcapil.jaksel")
POLRI = AgencyKey("polri.satpas-bandung")
IMIGRASI = AgencyKey("imigrasi.surabaya")
POLRI_NEW = AgencyKey("polri.satpas-bandung", key=bytes.fromhex("22" * 32))
ORIGIN = "saksi/test"


class Ledger:
    """A small ledger with everything a real one has: payloads, rotation, revocation, erasure, anchors."""

    def __init__(self, store):
        self.store = store
        self.clock = FakeClock()
        self.appender = Appender(store, TEST_DOMAIN, self.clock, AppendSettings())
        self.chain_roots: dict[int, bytes] = {}
        with store.write() as tx:
            for agency in (DUKCAPIL, POLRI, IMIGRASI):
                tx.register_agency(agency.code, agency.code, agency.address, at=0)
        self.cases = [CaseBuilder(DUKCAPIL) for _ in range(5)] + [CaseBuilder(POLRI) for _ in range(3)]
        self.submit(
            [c.next_item(payload={"nama": f"Warga {i}", "nik": f"3174{i:012d}"}) for i, c in enumerate(self.cases)]
        )
        self.anchor()
        self.submit([c.next_item("documents.verified", "Dokumen diverifikasi") for c in self.cases])
        # Polri rotates its key; later Polri events are signed with the new one
        self.clock.advance(1000)
        with store.write() as tx:
            tx.rotate_agency_signer(POLRI.code, POLRI_NEW.address, at=self.clock.now_ms)
        self.clock.advance(1000)
        for case in self.cases[5:]:
            case.agency = POLRI_NEW
        self.submit([c.next_item("exam.theory_passed", "Ujian teori lulus") for c in self.cases[5:]])
        # Imigrasi records one case, then is revoked; its past events stay valid
        self.imigrasi = CaseBuilder(IMIGRASI)
        self.submit([self.imigrasi.next_item()])
        with store.write() as tx:
            tx.revoke_agency(IMIGRASI.code, at=self.clock.now_ms + 1)
        self.anchor()
        # lawful erasure of the first case's payload
        first = self.cases[0]
        item = first.next_item(
            "erasure.personal_data",
            "Data pribadi dihapus atas permintaan warga",
            payload={"erases": [0], "legalBasis": "UU 27/2022 Pasal 8"},
        )
        erase(self.appender, item)
        self.submit([c.next_item("document.issued", "Dokumen diserahkan") for c in self.cases[1:5]])
        self.anchor()

    def submit(self, items):
        for outcome in self.appender.submit(items):
            assert not isinstance(outcome, Exception), outcome

    def anchor(self):
        checkpoint = make_checkpoint(self.store, ORIGIN, self.clock)
        with self.store.write() as tx:
            tx.conn.execute(
                insert(anchors).values(
                    tree_size=checkpoint.tree_size,
                    chain_id=1,
                    contract=b"\x01" * 20,
                    tx_hash=self.tx_hash(checkpoint.tree_size),
                    nonce=0,
                    block_number=checkpoint.tree_size + 100,
                    status="confirmed",
                    created_at=0,
                    updated_at=0,
                )
            )
        self.chain_roots[checkpoint.tree_size] = checkpoint.root_hash

    @staticmethod
    def tx_hash(size: int) -> bytes:
        return hashlib.sha256(b"anchor %d" % size).digest()

    def chain_anchors(self) -> list[CheckpointEvent]:
        """What the chain's CheckpointAnchored logs say: one transaction and block per anchored size."""
        return [
            CheckpointEvent(size, root, 0, size + 100, self.tx_hash(size), 0)
            for size, root in sorted(self.chain_roots.items())
        ]

    def audit(self, resume=None, **kwargs):
        with self.store.read() as reader:
            windows = [SignerWindow(w.agency, w.signer, w.valid_from, w.valid_until) for w in reader.signer_windows()]
        options = {
            "root_at": self.chain_roots.get,
            "chain_anchors": self.chain_anchors(),
            "chain_id": 1,
            "contract": b"\x01" * 20,
            "origin": ORIGIN,
            "chain_registry": windows,
            "workers": 1,
        }
        options.update(kwargs)
        return Auditor(self.store, TEST_DOMAIN, self.clock, **options).run(resume)

    def row(self, leaf_index):
        with self.store.read() as reader:
            return reader.conn.execute(select(events).where(events.c.leaf_index == leaf_index)).one()

    def sql(self, statement):
        with self.store.write() as tx:
            tx.conn.execute(statement)


@pytest.fixture
def ledger(store):
    return Ledger(store)


def kinds(report):
    return sorted({d.kind for d in report.discrepancies})


def test_clean_ledger_has_no_discrepancies(ledger):
    report = ledger.audit()
    assert report.discrepancies == []
    assert report.lawful_erasures == 1 and report.events_checked == report.tree_size == 25
    assert report.signatures_checked == report.events_checked
    fast = ledger.audit(verify_signatures=False)
    assert fast.discrepancies == [] and fast.signatures_checked == 0


def test_small_pages_in_worker_processes_agree(ledger):
    """Pages are perfect subtrees merged on the right edge; worker processes recompute them."""
    assert ledger.audit(page_size=4, workers=2).discrepancies == []
    ledger.sql(update(events).where(events.c.leaf_index == 9).values(summary="Disetujui tanpa verifikasi"))
    ledger.sql(update(tree_nodes).where(tree_nodes.c.level == 4, tree_nodes.c.idx == 0).values(hash=b"\x77" * 32))
    report = ledger.audit(page_size=4, workers=2)
    assert kinds(report) == ["event-field-edited"]  # the node above an edited leaf is that leaf's, not a second finding
    ledger.sql(update(tree_nodes).where(tree_nodes.c.level == 3, tree_nodes.c.idx == 2).values(hash=b"\x78" * 32))
    report = ledger.audit(page_size=4, workers=2)
    assert kinds(report) == ["event-field-edited", "tree-node-mismatch"]


def test_the_erased_timeline_still_verifies(ledger):
    with ledger.store.read() as reader:
        assert reader.payload(0) is None
        size = reader.tree_size()
        leaves = reader.leaf_hashes(0, size)
    assert merkle.root(leaves) == ledger.chain_roots[size]


def test_erasure_by_another_agency_is_refused(ledger):
    case = ledger.cases[1]
    item = case.next_item(
        "erasure.personal_data", "hapus", payload={"erases": [1], "legalBasis": "x"}, signer=POLRI_NEW, advance=False
    )
    item_agency = dict(item)
    with pytest.raises(Forbidden):
        erase(ledger.appender, item_agency)


def _one(report, kind, **expected):
    matching = [d for d in report.discrepancies if d.kind == kind]
    assert matching, (kind, [d.to_json() for d in report.discrepancies])
    for key, value in expected.items():
        assert getattr(matching[0], key) == value, matching[0]
    return matching


def test_payload_edited(ledger):
    ledger.sql(update(payloads).where(payloads.c.leaf_index == 3).values(payload=b'{"nama":"Orang Lain"}'))
    assert kinds(r := ledger.audit()) == ["payload-digest-mismatch"]
    _one(r, "payload-digest-mismatch", leaf_index=3)


def test_event_field_edited(ledger):
    ledger.sql(update(events).where(events.c.leaf_index == 9).values(summary="Disetujui tanpa verifikasi"))
    report = ledger.audit()
    assert kinds(report) == ["event-field-edited"]
    _one(report, "event-field-edited", leaf_index=9)
    # without the signature recheck the edit still shows, attributed to the same row
    fast = ledger.audit(verify_signatures=False)
    assert kinds(fast) == ["event-field-edited"] and fast.discrepancies[0].leaf_index == 9


def test_received_at_edited(ledger):
    ledger.sql(update(events).where(events.c.leaf_index == 4).values(received_at=events.c.received_at + 1))
    report = ledger.audit()
    assert kinds(report) == ["event-field-edited"]
    _one(report, "event-field-edited", leaf_index=4)


def test_signature_replaced(ledger):
    from ledger.core.signatures import sign_digest

    with ledger.store.read() as reader:
        stored = reader.event_at(2)
    # the same content, signed by another registered key (Polri's): the row no longer proves Dukcapil signed it
    forged = sign_digest(stored.event.digest(TEST_DOMAIN), POLRI_NEW.key)
    ledger.sql(update(events).where(events.c.leaf_index == 2).values(signature=forged))
    report = ledger.audit()
    assert kinds(report) == ["signature-replaced"]
    _one(report, "signature-replaced", leaf_index=2)


def test_event_deleted(ledger):
    ledger.sql(delete(payloads).where(payloads.c.leaf_index == 5))
    ledger.sql(delete(events).where(events.c.leaf_index == 5))
    report = ledger.audit()
    assert "leaf-missing" in kinds(report)
    _one(report, "leaf-missing", leaf_index=5)
    assert set(kinds(report)) <= {"leaf-missing", "case-chain-broken", "case-head-mismatch"}


def test_events_reordered(ledger):
    a, b = 10, 13  # two events of different cases
    ledger.sql(update(events).where(events.c.leaf_index == a).values(leaf_index=-1))
    ledger.sql(update(events).where(events.c.leaf_index == b).values(leaf_index=a))
    ledger.sql(update(events).where(events.c.leaf_index == -1).values(leaf_index=b))
    report = ledger.audit()
    assert "leaf-order" in kinds(report)
    positions = {d.leaf_index for d in report.discrepancies if d.kind == "leaf-order"}
    assert positions == {a, 12} or positions == {a - a % 2, b - b % 2}


def test_forged_event_inserted(ledger):
    with ledger.store.read() as reader:
        size = reader.tree_size()
    case = CaseBuilder(DUKCAPIL)
    item = case.next_item()
    from ledger.core.encoding import parse_hex
    from ledger.core.events import ServiceEvent, SignedEvent, leaf_bytes

    event = ServiceEvent.from_json(item["event"])
    signed = SignedEvent.create(event, parse_hex("s", item["signature"], 65), TEST_DOMAIN)
    ledger.sql(
        insert(events).values(
            leaf_index=size,
            agency=event.agency,
            event_id=event.event_id,
            case_commitment=event.case_commitment,
            case_seq=1,
            prev_event_hash=bytes(32),
            event_type=event.event_type,
            summary=event.summary,
            occurred_at=event.occurred_at,
            payload_digest=event.payload_digest,
            signature=signed.signature,
            signer=signed.signer,
            received_at=ledger.clock.now_ms,
            leaf_hash=merkle.leaf_hash(leaf_bytes(signed.digest, signed.signature, ledger.clock.now_ms)),
        )
    )
    report = ledger.audit()
    _one(report, "forged-event", leaf_index=size)


def test_leaf_hash_edited(ledger):
    ledger.sql(update(events).where(events.c.leaf_index == 6).values(leaf_hash=b"\x66" * 32))
    report = ledger.audit()
    assert kinds(report) == ["leaf-hash-mismatch"]
    _one(report, "leaf-hash-mismatch", leaf_index=6)


def test_tree_node_edited(ledger):
    ledger.sql(update(tree_nodes).where(tree_nodes.c.level == 2, tree_nodes.c.idx == 1).values(hash=b"\x77" * 32))
    report = ledger.audit()
    assert kinds(report) == ["tree-node-mismatch"]


def test_checkpoint_edited(ledger):
    size = min(ledger.chain_roots)
    ledger.sql(update(checkpoints).where(checkpoints.c.tree_size == size).values(root_hash=b"\x55" * 32))
    report = ledger.audit()
    assert kinds(report) == ["checkpoint-root-mismatch"]
    _one(report, "checkpoint-root-mismatch", tree_size=size)


def test_anchor_record_removed_or_edited(ledger):
    sizes = sorted(ledger.chain_roots)
    ledger.sql(delete(anchors).where(anchors.c.tree_size == sizes[0]))
    report = ledger.audit()
    _one(report, "anchor-missing", tree_size=sizes[0])
    ledger.sql(update(anchors).where(anchors.c.tree_size == sizes[1]).values(tree_size=sizes[0]))
    report = ledger.audit()
    assert "anchor-missing" in kinds(report)
    # the chain itself says something else than the recomputed tree: the log was rewritten
    ledger.chain_roots[sizes[-1]] = b"\x44" * 32
    report = ledger.audit()
    _one(report, "anchor-mismatch", tree_size=sizes[-1])


def test_a_root_anchored_under_another_size(ledger):
    """The contract accepts a root under a size it does not have (no proof can bind a size:
    tests/core/test_merkle.py::test_a_root_does_not_tell_its_size); the audit recomputes every anchored
    root from the leaves and names it."""
    sizes = sorted(ledger.chain_roots)
    ledger.chain_roots[sizes[0]] = ledger.chain_roots[sizes[-1]]  # a real root of the log, at the wrong size
    report = ledger.audit()
    _one(report, "anchor-mismatch", tree_size=sizes[0])


def test_agency_signer_swapped_in_mirror(ledger):
    intruder = AgencyKey("dukcapil.jaksel", key=bytes.fromhex("33" * 32))
    with ledger.store.read() as reader:
        chain_view = [SignerWindow(w.agency, w.signer, w.valid_from, w.valid_until) for w in reader.signer_windows()]
    ledger.sql(update(agency_signers).where(agency_signers.c.agency == DUKCAPIL.code).values(signer=intruder.address))
    report = ledger.audit(chain_registry=chain_view)
    assert "registry-mirror-mismatch" in kinds(report)
    assert all(d.kind == "registry-mirror-mismatch" for d in report.discrepancies)


def test_case_chain_broken(ledger):
    ledger.sql(update(case_heads).values(case_seq=case_heads.c.case_seq + 5))
    report = ledger.audit()
    assert kinds(report) == ["case-head-mismatch"]


def test_payload_deleted_without_erasure(ledger):
    ledger.sql(delete(payloads).where(payloads.c.leaf_index == 7))
    report = ledger.audit()
    assert kinds(report) == ["payload-missing"]
    _one(report, "payload-missing", leaf_index=7)


def test_unanchored_lag(ledger):
    ledger.submit([ledger.cases[5].next_item("exam.practice_passed", "Ujian praktik lulus", signer=POLRI_NEW)])
    ledger.clock.advance(2 * 3600 * 1000)
    report = ledger.audit(max_unanchored_lag_s=3600)
    assert kinds(report) == ["unanchored-lag"]


def test_report_json(ledger):
    ledger.sql(update(events).where(events.c.leaf_index == 9).values(summary="x"))
    data = ledger.audit().to_json()
    assert data["clean"] is False and data["discrepancyCounts"] == {"event-field-edited": 1}
    assert data["discrepancies"][0]["leafIndex"] == 9 and hex0x(b"") == "0x"


def test_incremental_audit_checks_only_what_is_new(ledger):
    first = ledger.audit(page_size=8)
    assert first.clean and first.cursor is not None and first.cursor.boundary == 24
    # new events: some continue old cases, one is a new case
    ledger.submit([c.next_item("document.collected", "Dokumen diambil") for c in ledger.cases[1:5]])
    ledger.submit([CaseBuilder(DUKCAPIL).next_item()])
    ledger.anchor()
    # an old event tampered with after the full audit: not re-verified by design
    ledger.sql(update(events).where(events.c.leaf_index == 3).values(summary="diubah setelah audit"))
    again = ledger.audit(page_size=8, resume=first.cursor)
    assert again.clean and again.incremental_from == 24
    assert again.events_checked == 30 - 24
    # tampering among the new events is found
    ledger.sql(update(events).where(events.c.leaf_index == 27).values(summary="Diubah"))
    third = ledger.audit(page_size=8, resume=first.cursor)
    assert kinds(third) == ["event-field-edited"] and third.discrepancies[0].leaf_index == 27
    assert third.cursor is not None and third.cursor.boundary == 24
    # the full audit still sees both
    assert {d.leaf_index for d in ledger.audit().discrepancies} == {3, 27}
