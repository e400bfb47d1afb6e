"""The append path on every storage adapter: receipts, idempotency, case heads, signers, bad input."""

from __future__ import annotations

import pytest

from ledger.core import merkle
from ledger.core.encoding import hex0x, parse_hex
from ledger.core.events import Leaf, ServiceEvent, leaf_bytes
from ledger.errors import (
    AuthenticationFailed,
    DuplicateEvent,
    Forbidden,
    InvalidField,
    StaleCaseHead,
    TooLarge,
)
from ledger.services.append import Appender, AppendSettings, Receipt
from tests.factories import TEST_DOMAIN, AgencyKey, CaseBuilder, FakeClock

DUKCAPIL = AgencyKey("dukcapil.jaksel", name="Dukcapil Jakarta Selatan")
POLRI = AgencyKey("polri.satpas-bandung")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def appender(store, clock) -> Appender:
    with store.write() as tx:
        for agency in (DUKCAPIL, POLRI):
            tx.register_agency(agency.code, agency.name, agency.address, at=0)
    return Appender(store, TEST_DOMAIN, clock, AppendSettings(max_batch=50, max_payload_bytes=2048))


def _tree(store) -> merkle.MemoryTree:
    with store.read() as tx:
        return merkle.MemoryTree(tx.leaf_hashes(0, tx.tree_size()))


def test_receipts_are_durable_and_leaves_recomputable(appender, store, clock):
    case = CaseBuilder(DUKCAPIL)
    items = [
        case.next_item(payload={"nik": "3174xxxxxxxx0001", "nama": "Siti"}),
        case.next_item("documents.verified", "Dokumen diverifikasi"),
        case.next_item("document.issued", "KTP-el dicetak"),
    ]
    receipts = appender.submit(items)
    assert all(isinstance(r, Receipt) and r.created for r in receipts)
    assert [r.leaf_index for r in receipts] == [0, 1, 2]
    assert receipts[-1].case_head.case_seq == 3
    with store.read() as tx:
        assert tx.tree_size() == 3
        stored = tx.case_events(case.commitment)
        assert [s.event.case_seq for s in stored] == [1, 2, 3]
        for s, r in zip(stored, receipts, strict=True):
            leaf = leaf_bytes(s.event.digest(TEST_DOMAIN), s.signature, s.received_at)
            assert merkle.leaf_hash(leaf) == s.leaf_hash == r.leaf_hash
            assert Leaf.from_bytes(leaf).received_at_ms == clock.now_ms
            assert s.signer == DUKCAPIL.address
        salt, payload = tx.payload(0)
        assert payload == b'{"nama":"Siti","nik":"3174xxxxxxxx0001"}'
        assert tx.payload(1) is None
    assert _tree(store).size == 3


def test_identical_resubmission_returns_the_existing_receipt(appender, clock):
    case = CaseBuilder(DUKCAPIL)
    item = case.next_item()
    (first,) = appender.submit([item])
    clock.advance(60_000)
    (again,) = appender.submit([item])
    assert isinstance(again, Receipt) and not again.created
    assert (again.leaf_index, again.leaf_hash, again.received_at) == (
        first.leaf_index,
        first.leaf_hash,
        first.received_at,
    )
    # the same item twice in one batch is also one event
    case2 = CaseBuilder(DUKCAPIL)
    item2 = case2.next_item()
    a, b = appender.submit([item2, item2])
    assert a.created and not b.created and a.leaf_index == b.leaf_index


def test_conflicting_duplicate_is_refused_and_nothing_written(appender, store):
    case = CaseBuilder(DUKCAPIL)
    item = case.next_item()
    appender.submit([item])
    other = CaseBuilder(DUKCAPIL).next_item(event_id=item["event"]["eventId"], summary="Lain")
    (outcome,) = appender.submit([other])
    assert isinstance(outcome, DuplicateEvent)
    with store.read() as tx:
        assert tx.tree_size() == 1


def test_stale_case_head_carries_the_current_head(appender, store):
    case = CaseBuilder(DUKCAPIL)
    appender.submit([case.next_item(), case.next_item("documents.verified", "Dokumen diverifikasi")])
    # a second writer that still believes the head is at caseSeq 1
    stale = CaseBuilder(DUKCAPIL, ref=case.ref, key=case.key)
    stale.next_item()
    (outcome,) = appender.submit([stale.next_item("application.rejected", "Ditolak", event_id="other-2")])
    assert isinstance(outcome, StaleCaseHead)
    assert outcome.evidence["caseSeq"] == 2
    assert outcome.evidence["headHash"] == case.head
    # a gap in caseSeq is refused the same way
    gap = case.next_item("document.issued", "KTP-el dicetak", advance=False, caseSeq=4)
    (outcome,) = appender.submit([gap])
    assert isinstance(outcome, StaleCaseHead)
    with store.read() as tx:
        assert tx.tree_size() == 2


def test_batch_reports_per_item_results(appender, store):
    good, bad_case = CaseBuilder(DUKCAPIL), CaseBuilder(DUKCAPIL)
    broken = bad_case.next_item(advance=False)
    broken["event"]["caseSeq"] = 0
    outcomes = appender.submit([good.next_item(), broken, good.next_item("documents.verified", "Dokumen lengkap")])
    assert isinstance(outcomes[0], Receipt) and isinstance(outcomes[2], Receipt)
    assert isinstance(outcomes[1], InvalidField) and outcomes[1].field == "caseSeq"
    assert outcomes[1].evidence["index"] == 1
    with store.read() as tx:
        assert tx.tree_size() == 2


def test_agency_a_cannot_sign_as_agency_b(appender):
    item = CaseBuilder(DUKCAPIL).next_item(signer=POLRI)
    (outcome,) = appender.submit([item])
    assert isinstance(outcome, Forbidden)


def test_unknown_and_revoked_agencies_are_forbidden(appender, store):
    unknown = AgencyKey("imigrasi.surabaya")
    (outcome,) = appender.submit([CaseBuilder(unknown).next_item()])
    assert isinstance(outcome, Forbidden)
    with store.write() as tx:
        tx.revoke_agency(POLRI.code, at=10)
    (outcome,) = appender.submit([CaseBuilder(POLRI).next_item()])
    assert isinstance(outcome, Forbidden) and "revoked" in outcome.message


def test_tampered_event_is_a_bad_signature(appender):
    item = CaseBuilder(DUKCAPIL).next_item()
    item["event"]["summary"] = "Disetujui tanpa verifikasi"
    (outcome,) = appender.submit([item])
    assert isinstance(outcome, AuthenticationFailed)


def test_rotated_key_is_refused_and_new_key_accepted(appender, store):
    new_key = AgencyKey(DUKCAPIL.code, key=bytes.fromhex("11" * 32))
    with store.write() as tx:
        tx.rotate_agency_signer(DUKCAPIL.code, new_key.address, at=5)
    (old,) = appender.submit([CaseBuilder(DUKCAPIL).next_item()])
    assert isinstance(old, Forbidden)
    (new,) = appender.submit([CaseBuilder(new_key).next_item()])
    assert isinstance(new, Receipt)


def test_event_from_another_deployment_is_refused(appender):
    from ledger.core.events import Domain

    other = CaseBuilder(DUKCAPIL, domain=Domain(1, TEST_DOMAIN.verifying_contract))
    (outcome,) = appender.submit([other.next_item()])
    assert isinstance(outcome, AuthenticationFailed)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda i: i["event"].update(eventId="bad id!"), "eventId"),
        (lambda i: i["event"].update(agency="Dukcapil"), "agency"),
        (lambda i: i["event"].update(caseCommitment="0x1234"), "caseCommitment"),
        (lambda i: i["event"].update(caseCommitment="0xzz" + "00" * 31), "caseCommitment"),
        (lambda i: i["event"].update(summary="x" * 281), "summary"),
        (lambda i: i["event"].update(summary="a\x00b"), "summary"),
        (lambda i: i["event"].update(eventType="Application"), "eventType"),
        (lambda i: i["event"].update(occurredAt=2**64), "occurredAt"),
        (lambda i: i["event"].update(occurredAt="1764000000"), "occurredAt"),
        (lambda i: i["event"].update(occurredAt=4_000_000_000), "occurredAt"),
        (lambda i: i["event"].update(prevEventHash="0x" + "11" * 32), "prevEventHash"),
        (lambda i: i["event"].update(extra=1), "event.extra"),
        (lambda i: i.update(version=2), "version"),
        (lambda i: i.update(signature="0x" + "00" * 64), "signature"),
        (lambda i: i.update(payload={"a": 1}), "payload"),
        (lambda i: i.update(unexpected=True), "unexpected"),
    ],
)
def test_malformed_fields_name_the_field_and_write_nothing(appender, store, mutate, field):
    item = CaseBuilder(DUKCAPIL).next_item(advance=False)
    mutate(item)
    (outcome,) = appender.submit([item])
    assert isinstance(outcome, InvalidField), outcome
    assert outcome.field == field
    with store.read() as tx:
        assert tx.tree_size() == 0


def test_high_s_signature_is_refused(appender):
    from ledger.core.signatures import SECP256K1_N

    item = CaseBuilder(DUKCAPIL).next_item(advance=False)
    sig = parse_hex("signature", item["signature"], 65)
    s = int.from_bytes(sig[32:64], "big")
    flipped = sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])
    item["signature"] = hex0x(flipped)
    (outcome,) = appender.submit([item])
    assert isinstance(outcome, InvalidField) and outcome.field == "signature"


def test_payload_limits(appender):
    item = CaseBuilder(DUKCAPIL).next_item(payload={"blob": "x" * 4096}, advance=False)
    (outcome,) = appender.submit([item])
    assert isinstance(outcome, TooLarge)
    with pytest.raises(TooLarge):
        appender.submit([item] * 51)


def test_large_batches_match_an_in_memory_tree(appender, store):
    cases = [CaseBuilder(DUKCAPIL) for _ in range(40)]
    for round_ in range(3):
        outcomes = appender.submit([c.next_item(summary=f"Langkah {round_}") for c in cases])
        assert all(isinstance(o, Receipt) and o.created for o in outcomes)
    with store.read() as tx:
        size = tx.tree_size()
        hashes = tx.leaf_hashes(0, size)
        plan = merkle.root_plan(size)
        assert merkle.root_from_nodes(plan, tx.get_nodes(plan)) == merkle.root(hashes)
    assert size == 120


def test_service_event_roundtrip_from_store(appender, store):
    case = CaseBuilder(DUKCAPIL)
    item = case.next_item()
    appender.submit([item])
    with store.read() as tx:
        (stored,) = tx.case_events(case.commitment)
    assert stored.event == ServiceEvent.from_json(item["event"])


def _assert_every_stored_node_matches(store) -> None:
    """Every stored perfect subtree equals the one recomputed from the leaves, and the root too."""
    with store.read() as tx:
        size = tx.tree_size()
        memory = merkle.MemoryTree(tx.leaf_hashes(0, size))
        plan = merkle.root_plan(size)
        assert merkle.root_from_nodes(plan, tx.get_nodes(plan)) == memory.root(size)
        ids = [merkle.NodeId(level, i) for level in range(1, size.bit_length()) for i in range(size >> level)]
        assert tx.get_nodes(ids) == memory.get(ids)


def test_two_appenders_on_one_store_keep_one_tree(appender, store, clock):
    """Each appender keeps the tree's right edge of its last commit; another writer (a second
    server process) appending in between must make it read the edge again, never reuse it."""
    other = Appender(store, TEST_DOMAIN, clock, AppendSettings(max_batch=50))
    cases = [CaseBuilder(DUKCAPIL) for _ in range(7)]
    for round_ in range(4):
        for n, case in enumerate(cases):
            writer = appender if (n + round_) % 3 else other
            (receipt,) = writer.submit([case.next_item(summary=f"Langkah {round_}")])
            assert isinstance(receipt, Receipt) and receipt.created
    _assert_every_stored_node_matches(store)


def test_a_rolled_back_append_leaves_no_trace_in_the_cached_edge(appender, store):
    case = CaseBuilder(DUKCAPIL)
    appender.submit([case.next_item()])
    doomed = CaseBuilder(DUKCAPIL)

    def fail(tx, outcomes):
        raise RuntimeError("the hook refuses: nothing commits")

    with pytest.raises(RuntimeError):
        appender.append(appender.parse([doomed.next_item()]), after=fail)
    for _ in range(3):
        (receipt,) = appender.submit([case.next_item("documents.verified", "Dokumen diverifikasi")])
        assert isinstance(receipt, Receipt)
    with store.read() as tx:
        assert tx.tree_size() == 4
    _assert_every_stored_node_matches(store)
