"""Storage conformance for the aggregates' repositories (anchors, registry mirror, complaints, erasures)
and the log's small queries: every query on SQLite and PostgreSQL, through the store's transactions."""

from __future__ import annotations

import datetime as dt

from ledger.core import merkle
from ledger.reports.audit_html import events_per_day
from ledger.storage import anchors
from ledger.storage.complaints import ComplaintRecord, FiledComplaint
from ledger.storage.erasures import ErasureTarget
from tests.storage.test_conformance import _append_leaves

CHAIN, CONTRACT = 31337, b"\xaa" * 20
OTHER_CHAIN, OTHER_CONTRACT = 11155111, b"\xbb" * 20


def _checkpoints(store, *sizes: int) -> None:
    _append_leaves(store, [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(max(sizes))])
    with store.write() as tx:
        for size in sizes:
            tx.add_checkpoint(size, size.to_bytes(32, "big"), "saksi/test", created_at=size)


def test_an_anchor_row_lives_pending_mined_confirmed_dropped_and_pending_again(store):
    _checkpoints(store, 2, 4)
    with store.write() as tx:
        repo = tx.anchors(CHAIN, CONTRACT)
        repo.record_pending(2, b"\x01" * 32, nonce=7, now_ms=100)
        repo.record_found(4, b"\x02" * 32, block_number=9, now_ms=110)
    with store.read() as reader:
        repo = reader.anchors(CHAIN, CONTRACT)
        two = repo.get(2)
        assert two is not None
        assert (two.status, two.nonce, two.tx_hash, two.block_number, two.created_at) == (
            anchors.PENDING, 7, b"\x01" * 32, None, 100
        )  # fmt: skip
        assert two.root_hash == (2).to_bytes(32, "big") and two.chain_id == CHAIN and two.contract == CONTRACT
        assert [r.tree_size for r in repo.with_status((anchors.PENDING, anchors.MINED))] == [2, 4]
        assert repo.latest().tree_size == 4
        assert repo.last_created_at() == 110
        assert repo.get(3) is None
    with store.write() as tx:
        tx.anchors(CHAIN, CONTRACT).set_status(2, anchors.MINED, 120, block_number=8)
        tx.anchors(CHAIN, CONTRACT).set_status(4, anchors.DROPPED, 130, clear_block=True)
    with store.read() as reader:
        repo = reader.anchors(CHAIN, CONTRACT)
        assert (repo.get(2).status, repo.get(2).block_number, repo.get(2).updated_at) == (anchors.MINED, 8, 120)
        assert (repo.get(4).status, repo.get(4).block_number) == (anchors.DROPPED, None)
        assert repo.latest().tree_size == 2
        assert repo.latest((anchors.DROPPED,)).tree_size == 4
        assert repo.last_created_at() == 100  # a dropped row is not live
    with store.write() as tx:
        tx.anchors(CHAIN, CONTRACT).record_pending(4, b"\x03" * 32, nonce=8, now_ms=140)
        tx.anchors(CHAIN, CONTRACT).set_status(2, anchors.CONFIRMED, 150, tx_hash=b"\x04" * 32)
    with store.read() as reader:
        repo = reader.anchors(CHAIN, CONTRACT)
        again = repo.get(4)
        assert (again.status, again.tx_hash, again.nonce, again.created_at, again.updated_at) == (
            anchors.PENDING, b"\x03" * 32, 8, 110, 140
        )  # fmt: skip
        assert (repo.get(2).status, repo.get(2).tx_hash, repo.get(2).block_number) == (
            anchors.CONFIRMED, b"\x04" * 32, 8
        )  # fmt: skip
        assert [r.tree_size for r in repo.with_status((anchors.CONFIRMED,))] == [2]


def test_anchored_means_mined_or_confirmed_on_the_configured_chain_and_contract(store):
    """One definition: the citizen reads, the status and the receipts' "anchored" count only the
    ledger contract's anchors, as the anchoring worker does; an anchor on another chain or contract
    (an earlier deployment) anchors nothing the citizen page can check."""
    _checkpoints(store, 2, 4, 6)
    with store.write() as tx:
        tx.anchors(CHAIN, CONTRACT).record_found(2, b"\x01" * 32, block_number=5, now_ms=1)
        tx.anchors(OTHER_CHAIN, CONTRACT).record_found(4, b"\x02" * 32, block_number=6, now_ms=2)
        tx.anchors(CHAIN, OTHER_CONTRACT).record_found(6, b"\x03" * 32, block_number=7, now_ms=3)
    with store.read() as reader:
        assert reader.anchored_size(CHAIN, CONTRACT) == 2
        assert reader.latest_anchored_checkpoint(CHAIN, CONTRACT) == (2, (2).to_bytes(32, "big"), "saksi/test")
        (checkpoint, record) = reader.latest_anchored(CHAIN, CONTRACT)
        assert checkpoint[0] == 2 and (record.chain_id, record.contract, record.block_number) == (CHAIN, CONTRACT, 5)
        assert reader.anchors(CHAIN, CONTRACT).latest().tree_size == 2
        assert reader.anchored_size(OTHER_CHAIN, CONTRACT) == 4
        assert reader.anchored_size(CHAIN, OTHER_CONTRACT) == 6
        assert reader.anchored_size(OTHER_CHAIN, OTHER_CONTRACT) == 0
        assert reader.latest_anchored(OTHER_CHAIN, OTHER_CONTRACT) is None
        assert reader.latest_anchored_checkpoint(OTHER_CHAIN, OTHER_CONTRACT) is None
    with store.write() as tx:
        tx.anchors(CHAIN, CONTRACT).set_status(2, anchors.PENDING, 9, clear_block=True)
    with store.read() as reader:
        assert reader.anchored_size(CHAIN, CONTRACT) == 0  # pending is not anchored
        assert reader.latest_anchored(CHAIN, CONTRACT) is None


def test_received_at_and_events_per_day(store):
    _append_leaves(store, [bytes(32)] * 3)
    with store.read() as reader:
        assert reader.received_at(0) == 1_764_000_000_000
        assert reader.received_at(3) is None
        day = 1_764_000_000_000 // 86_400_000
        assert reader.events_per_day() == {day: 3}
        iso = dt.datetime.fromtimestamp(day * 86_400, dt.UTC).date().isoformat()
        assert events_per_day(reader) == {iso: 3}


def test_the_registry_mirror_knows_what_it_mirrored(store):
    with store.read() as reader:
        assert reader.registry_mirror.last_mirrored_block() is None
    with store.write() as tx:
        tx.register_agency("bpn.depok", "bpn.depok", b"\x01" * 20, at=1000, block_number=12)
        tx.register_agency("dukcapil.jaksel", "Dukcapil", b"\x02" * 20, at=1000)  # not from chain
        tx.rotate_agency_signer("bpn.depok", b"\x03" * 20, at=2000, block_number=15)
    with store.read() as reader:
        mirror = reader.registry_mirror
        assert mirror.last_mirrored_block() == 15
        assert mirror.has_mirrored("bpn.depok", b"\x01" * 20, 12)
        assert mirror.has_mirrored("bpn.depok", b"\x03" * 20, 15)
        assert not mirror.has_mirrored("bpn.depok", b"\x03" * 20, 12)
        assert not mirror.has_mirrored("dukcapil.jaksel", b"\x02" * 20, 12)


def _complaint(leaf: int, agency: str = "bpn.depok") -> ComplaintRecord:
    return ComplaintRecord(bytes([leaf]) * 32, bytes([100 + leaf]) * 32, agency, "delay", leaf, 5000 + leaf)


def test_complaints_about_an_agency_oldest_first_with_their_payload(store):
    _append_leaves(store, [bytes(32)] * 4)
    with store.write() as tx:
        tx.insert_payloads([{"leaf_index": i, "salt": bytes(16), "payload": b'{"m":%d}' % i} for i in range(4)])
        for leaf in (2, 0, 3):
            tx.complaints.record(_complaint(leaf))
        tx.complaints.record(_complaint(1, agency="dukcapil.jaksel"))
        tx.erasures.erase_payload(3, 1, "UU PDP Pasal 8")
    with store.read() as reader:
        assert reader.complaints.about("bpn.depok") == [
            FiledComplaint(_complaint(0), b'{"m":0}'),
            FiledComplaint(_complaint(2), b'{"m":2}'),
            FiledComplaint(_complaint(3), None),
        ]
        assert [f.record.filed_leaf_index for f in reader.complaints.about("bpn.depok", after=1, limit=1)] == [2]
        assert [f.record.filed_leaf_index for f in reader.complaints.about("dukcapil.jaksel")] == [1]
        assert reader.complaints.about("nobody") == []


def test_erasure_targets_and_the_shredding(store):
    _append_leaves(store, [bytes(32)] * 3)
    with store.write() as tx:
        tx.insert_payloads([{"leaf_index": 1, "salt": b"\x05" * 16, "payload": b"{}"}])
    with store.read() as reader:
        found = reader.erasures.targets([0, 1, 7, 1])
        assert found == {
            0: ErasureTarget(0, (0).to_bytes(32, "big"), "dukcapil.jaksel", False),
            1: ErasureTarget(1, (1).to_bytes(32, "big"), "dukcapil.jaksel", True),
        }
    with store.write() as tx:
        tx.erasures.erase_payload(1, 2, "court order")
    with store.read() as reader:
        assert reader.payload(1) is None
        assert reader.erasures.targets([1])[1].has_payload is False


def test_checkpoints_newest_first_each_with_its_anchor(store):
    _checkpoints(store, 2, 4, 6)
    with store.write() as tx:
        tx.anchors(CHAIN, CONTRACT).record_found(4, b"\x04" * 32, block_number=11, now_ms=1)
        tx.anchors(CHAIN, CONTRACT).record_pending(6, b"\x06" * 32, nonce=3, now_ms=2)
    root = lambda size: size.to_bytes(32, "big")  # noqa: E731
    with store.read() as reader:
        assert reader.checkpoints_page(10) == [(s, root(s), "saksi/test", s) for s in (6, 4, 2)]
        assert reader.checkpoints_page(1, before=6) == [(4, root(4), "saksi/test", 4)]
        assert reader.checkpoint(4) == (4, root(4), "saksi/test") and reader.checkpoint(5) is None
        assert reader.latest_checkpoint() == (6, root(6), "saksi/test")
        four = reader.anchor_for(4)
        assert (four.chain_id, four.contract, four.tx_hash, four.block_number, four.status) == (
            CHAIN, CONTRACT, b"\x04" * 32, 11, anchors.MINED
        )  # fmt: skip
        six = reader.anchor_for(6)
        assert (six.tx_hash, six.block_number, six.status) == (b"\x06" * 32, None, anchors.PENDING)
        assert reader.anchor_for(2) is None


def test_agencies_and_their_signer_windows(store):
    with store.write() as tx:
        tx.register_agency("dukcapil.jaksel", "Dukcapil Jakarta Selatan", b"\x01" * 20, at=1000)
        tx.register_agency("bpn.depok", "bpn.depok", b"\x02" * 20, at=1500, block_number=4)
        tx.set_agency_name("bpn.depok", "BPN Kota Depok")
        tx.rotate_agency_signer("dukcapil.jaksel", b"\x03" * 20, at=2000)
        tx.revoke_agency("bpn.depok", at=3000)
    with store.read() as reader:
        assert reader.agencies() == [
            {"code": "bpn.depok", "name": "BPN Kota Depok", "status": "revoked", "signer": None, "since": None},
            {
                "code": "dukcapil.jaksel",
                "name": "Dukcapil Jakarta Selatan",
                "status": "active",
                "signer": b"\x03" * 20,
                "since": 2000,
            },
        ]
        assert [(w.agency, w.signer, w.valid_from, w.valid_until, w.status) for w in reader.signer_windows()] == [
            ("bpn.depok", b"\x02" * 20, 1500, 3000, "revoked"),
            ("dukcapil.jaksel", b"\x01" * 20, 1000, 2000, "active"),
            ("dukcapil.jaksel", b"\x03" * 20, 2000, None, "active"),
        ]
        revoked = reader.active_signers(["bpn.depok", "nobody"])
        assert list(revoked) == ["bpn.depok"] and (revoked["bpn.depok"].status, revoked["bpn.depok"].signer) == (
            "revoked", b""
        )  # fmt: skip


def test_a_payload_is_its_salt_and_bytes(store):
    _append_leaves(store, [bytes(32)] * 2)
    with store.write() as tx:
        tx.insert_payloads([{"leaf_index": 1, "salt": b"\x05" * 16, "payload": b'{"a":1}'}])
    with store.read() as reader:
        assert reader.payload(1) == (b"\x05" * 16, b'{"a":1}')
        assert reader.payload(0) is None


def test_witnessing_cosignatures_progress_and_quorum_marks(store):
    """Every query of ledger.storage.witnessing: a cosignature stored once (a newer one from the same key
    replaces it, an older or equal one does not), each witness's progress, and the quorum marks per policy
    with "witnessed and anchored" using the one definition of anchored."""
    _checkpoints(store, 2, 4, 6)
    older, newer = (1).to_bytes(8, "big") + b"\x11" * 56, (2).to_bytes(8, "big") + b"\x22" * 56
    with store.write() as tx:
        repo = tx.witnessing
        assert repo.add_cosignature(4, "bpk.example-test", 7, newer, received_at=10)
        assert not repo.add_cosignature(4, "bpk.example-test", 7, newer, received_at=11)  # the same: once
        assert not repo.add_cosignature(4, "bpk.example-test", 7, older, received_at=12)  # older: kept newer
        assert repo.add_cosignature(4, "ui.example-test", 8, older, received_at=13)
        assert repo.add_cosignature(2, "ui.example-test", 8, older, received_at=14)
        repo.set_progress("bpk.example-test", 7, 2, at=20)
        repo.set_progress("bpk.example-test", 7, 4, at=21)
        assert repo.mark_witnessed(2, b"\x01" * 32, at=30)
        assert repo.mark_witnessed(4, b"\x01" * 32, at=31)
        assert not repo.mark_witnessed(4, b"\x01" * 32, at=32)
        assert repo.mark_witnessed(6, b"\x02" * 32, at=33)
        tx.anchors(CHAIN, CONTRACT).record_found(2, b"\x03" * 32, block_number=5, now_ms=40)
        tx.anchors(OTHER_CHAIN, OTHER_CONTRACT).record_found(4, b"\x04" * 32, block_number=5, now_ms=41)
    with store.read() as reader:
        repo = reader.witnessing
        assert [(c.key_name, c.key_id, c.signature, c.received_at) for c in repo.cosignatures_for(4)] == [
            ("bpk.example-test", 7, newer, 10),
            ("ui.example-test", 8, older, 13),
        ]
        assert repo.cosignatures_for(6) == []
        assert repo.cosigned_sizes() == {
            4: {("bpk.example-test", 7), ("ui.example-test", 8)},
            2: {("ui.example-test", 8)},
        }
        assert list(repo.cosigned_sizes(limit=1)) == [4]
        assert repo.progress() == {("bpk.example-test", 7): (4, 21)}
        assert repo.witnessed_sizes(b"\x01" * 32) == [2, 4] and repo.witnessed_sizes(b"\x03" * 32) == []
        assert repo.latest_witnessed(b"\x01" * 32) == (4, (4).to_bytes(32, "big"), "saksi/test", 31)
        assert repo.latest_witnessed(b"\x03" * 32) is None
        # size 4 is anchored only on another chain: not anchored here
        assert repo.latest_witnessed_and_anchored(b"\x01" * 32, CHAIN, CONTRACT) == (
            2, (2).to_bytes(32, "big"), "saksi/test"
        )  # fmt: skip
        assert repo.latest_witnessed_and_anchored(b"\x02" * 32, CHAIN, CONTRACT) is None
        assert repo.newest_checkpoint_created_at() == 6
