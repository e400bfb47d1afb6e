"""Storage conformance: every adapter (SQLite, PostgreSQL) must pass these."""

from __future__ import annotations

import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ledger.core import merkle
from ledger.core.events import ServiceEvent
from ledger.core.merkle import CompactRange, MemoryTree, NodeId
from ledger.errors import Conflict, NotFound
from ledger.storage.engine import DatabaseSettings, create_database_engine, upgrade
from ledger.storage.schema import metadata
from ledger.storage.sql import CaseHead, SqlStore, StoredEvent, event_row


def _event(leaf_index: int, agency: str = "dukcapil.jaksel") -> ServiceEvent:
    return ServiceEvent(
        event_id=f"e-{leaf_index}",
        agency=agency,
        case_commitment=leaf_index.to_bytes(32, "big"),
        case_seq=1,
        prev_event_hash=bytes(32),
        event_type="application.submitted",
        summary="Permohonan diterima",
        occurred_at=1_764_000_000,
        payload_digest=bytes(32),
    )


def _event_row(leaf_index: int, leaf_hash: bytes, agency: str = "dukcapil.jaksel") -> dict:
    return event_row(leaf_index, _event(leaf_index, agency), bytes(65), bytes(20), 1_764_000_000_000, leaf_hash)


def _append_leaves(store, hashes: list[bytes]) -> None:
    with store.write() as tx:
        size = tx.tree_size()
        compact = CompactRange.from_nodes(size, tx.get_nodes)
        nodes = compact.extend(hashes)
        tx.insert_events([_event_row(size + i, h) for i, h in enumerate(hashes)])
        tx.insert_nodes(nodes)
        tx.set_tree_size(size + len(hashes))


def test_migrations_produce_exactly_the_schema(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_new_store_is_empty(store):
    with store.read() as tx:
        assert tx.tree_size() == 0
        assert tx.latest_checkpoint() is None
        assert tx.anchored_size(1, bytes(20)) == 0


@pytest.mark.parametrize("batches", [[1], [5, 1, 1, 9], [64, 63, 2], [300]])
def test_appended_nodes_serve_every_proof(store, batches):
    hashes = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(sum(batches))]
    start = 0
    for count in batches:
        _append_leaves(store, hashes[start : start + count])
        start += count
    reference = MemoryTree(hashes)
    n = len(hashes)
    with store.read() as tx:
        assert tx.tree_size() == n
        for size in sorted({s for s in (1, 2, 3, n // 2, n - 1, n) if 1 <= s <= n}):
            plan = merkle.root_plan(size)
            assert merkle.root_from_nodes(plan, tx.get_nodes(plan)) == reference.root(size)
            for index in sorted({0, size // 3, size - 1}):
                plan = merkle.inclusion_plan(index, size)
                assert merkle.assemble(plan, tx.get_nodes(plan.node_ids())) == reference.inclusion_proof(index, size)
            for old in sorted({1, size // 2 or 1, size}):
                plan = merkle.consistency_plan(old, size)
                assert merkle.assemble(plan, tx.get_nodes(plan.node_ids())) == reference.consistency_proof(old, size)
        assert tx.leaf_hashes(2, 7) == hashes[2:7]


def test_proof_reads_are_logarithmic(store):
    _append_leaves(store, [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(1000)])
    plan = merkle.inclusion_plan(517, 1000)
    # One node per proof element plus the ragged right edge: O(log n), never O(n).
    assert len(plan.node_ids()) <= 2 * 10


def test_missing_node_is_not_found(store):
    with store.read() as tx, pytest.raises(NotFound):
        tx.get_nodes([NodeId(3, 0)])


def test_failed_write_rolls_back(store):
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.insert_events([_event_row(0, bytes(32))])
        tx.set_tree_size(1)
        raise RuntimeError("crash between statements")
    with store.read() as tx:
        assert tx.tree_size() == 0
        assert tx.leaf_hashes(0, 10) == []


def test_case_heads_insert_then_update(store):
    _append_leaves(store, [bytes(32), bytes(32)])
    commitment = b"\x07" * 32
    with store.write() as tx:
        tx.upsert_case_heads([CaseHead(commitment, 1, b"\x01" * 32, 0)])
    with store.write() as tx:
        tx.upsert_case_heads([CaseHead(commitment, 2, b"\x02" * 32, 1)])
    with store.read() as tx:
        assert tx.case_heads([commitment])[commitment] == CaseHead(commitment, 2, b"\x02" * 32, 1)


def test_agency_registry_lifecycle(store):
    code = "polri.satpas-bandung"
    with store.write() as tx:
        tx.register_agency(code, "Satpas Polrestabes Bandung", b"\x01" * 20, at=1000)
    with store.write() as tx, pytest.raises(Conflict):
        tx.register_agency(code, "again", b"\x02" * 20, at=1001)
    with store.write() as tx:
        tx.rotate_agency_signer(code, b"\x02" * 20, at=2000)
    with store.read() as tx:
        assert tx.active_signers([code])[code].signer == b"\x02" * 20
        history = sorted(tx.signer_history([b"\x01" * 20, b"\x02" * 20]), key=lambda s: s.valid_from)
        assert [(h.valid_from, h.valid_until) for h in history] == [(1000, 2000), (2000, None)]
    with store.write() as tx:
        tx.revoke_agency(code, at=3000)
    with store.read() as tx:
        assert tx.active_signers([code])[code].status == "revoked"
    with store.write() as tx, pytest.raises(NotFound):
        tx.rotate_agency_signer(code, b"\x03" * 20, at=4000)


def test_checkpoints_are_immutable(store):
    _append_leaves(store, [merkle.leaf_hash(b"a")])
    with store.write() as tx:
        tx.add_checkpoint(1, b"\x01" * 32, "saksi/test", created_at=5)
        tx.add_checkpoint(1, b"\x01" * 32, "saksi/test", created_at=6)  # idempotent
    with store.write() as tx, pytest.raises(Conflict):
        tx.add_checkpoint(1, b"\x02" * 32, "saksi/test", created_at=7)
    with store.read() as tx:
        assert tx.latest_checkpoint() == (1, b"\x01" * 32, "saksi/test")


# --- SQLite's write-ahead log, checkpointed off the request path by a server ------------------------


def _wal_frames(store) -> tuple[int, int]:
    """(frames in the WAL, frames already copied into the database file)."""
    raw = store.engine.raw_connection()
    try:
        _, log, copied = raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        raw.close()
    return log, copied


def _server_store(tmp_path) -> SqlStore:
    engine = create_database_engine(DatabaseSettings(f"sqlite:///{tmp_path}/wal.db", sqlite_wal_autocheckpoint=0))
    upgrade(engine)
    return SqlStore(engine)


def test_server_store_leaves_the_wal_checkpoint_to_its_own_thread(tmp_path):
    store = _server_store(tmp_path)
    try:
        for n in range(60):
            _append_leaves(store, [merkle.leaf_hash(b"wal %d" % (n * 50 + i)) for i in range(50)])
        wal = tmp_path / "wal.db-wal"
        assert wal.stat().st_size > 4096 * 1000  # past SQLite's default threshold: no commit checkpointed
        store.start_wal_checkpoints(interval_s=0.05)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log, copied = _wal_frames(store)
            if log == copied:
                break
            time.sleep(0.05)
        assert log == copied > 0
    finally:
        store.close()
    with pytest.raises(ValueError, match="whole number of pages"):
        create_database_engine(DatabaseSettings(f"sqlite:///{tmp_path}/x.db", sqlite_wal_autocheckpoint=-1))
    with pytest.raises(ValueError, match="whole number of bytes"):
        create_database_engine(DatabaseSettings(f"sqlite:///{tmp_path}/x.db", sqlite_journal_size_limit=-1))


def test_wal_file_is_cut_back_once_a_long_read_ends(tmp_path):
    """A reader on an old snapshot keeps the WAL from restarting, so it grows; once the reader is
    gone and a checkpoint has copied everything, the next commit restarts the log and cuts the
    file back to the journal size limit instead of keeping it at its largest."""
    limit = 256 * 1024
    engine = create_database_engine(
        DatabaseSettings(f"sqlite:///{tmp_path}/wal.db", sqlite_wal_autocheckpoint=0, sqlite_journal_size_limit=limit)
    )
    upgrade(engine)
    store = SqlStore(engine)
    wal = tmp_path / "wal.db-wal"
    try:
        with store.read() as reader:  # the long read: its snapshot predates every append below
            reader.tree_size()
            for n in range(40):
                _append_leaves(store, [merkle.leaf_hash(b"long read %d" % (n * 50 + i)) for i in range(50)])
                store.checkpoint_wal()  # copies what it can; cannot finish past the reader's snapshot
        grown = wal.stat().st_size
        assert grown > 4 * limit
        store.checkpoint_wal()  # the reader is gone: everything is copied
        _append_leaves(store, [merkle.leaf_hash(b"after")])  # restarts the log from the top
        assert wal.stat().st_size <= limit < grown
    finally:
        store.close()


def test_an_event_row_reads_back_as_the_event_it_was_made_of(store):
    """`event_row` is the one mapping from an event to its row; every read maps it back."""
    event = ServiceEvent(
        event_id="ev-7",
        agency="bpn.depok",
        case_commitment=b"\x07" * 32,
        case_seq=1,
        prev_event_hash=bytes(32),
        event_type="application.submitted",
        summary="Permohonan sertifikat diterima",
        occurred_at=1_764_000_123,
        payload_digest=b"\x09" * 32,
    )
    stored = StoredEvent(0, event, b"\x01" * 65, b"\x02" * 20, 1_764_000_123_456, b"\x03" * 32)
    with store.write() as tx:
        tx.insert_events([event_row(0, event, stored.signature, stored.signer, stored.received_at, stored.leaf_hash)])
        tx.set_tree_size(1)
    with store.read() as reader:
        assert reader.event_at(0) == stored
        assert reader.events_by_key([("bpn.depok", "ev-7")]) == {("bpn.depok", "ev-7"): stored}
        assert reader.case_events(b"\x07" * 32) == [stored]
        assert reader.case_events(b"\x07" * 32, after_seq=0) == [stored]  # a live stream's news
        assert reader.case_events(b"\x07" * 32, after_seq=1) == []
