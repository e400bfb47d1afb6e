"""tlog-scales (PyPI tlog-scales, code nobody here wrote) reads Saksi's log as c2sp.org/tlog-tiles@v0.1.0:
over HTTP from a real uvicorn port and from a `saksi tiles export` directory. Its root, its verification of
the log's signature with our logVkey, its entries and its proofs must equal Saksi's own; and the files Saksi
exports are byte for byte those tlog-scales' TilesWriter writes for the same entries, committed in batches.

The log is seeded straight into storage (tests.seeded_log, as benchmarks/ does): real FORMATS 5 leaves,
Merkle nodes and checkpoints signed by the log's TEST key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from tlog_scales.backend import HttpBackend, LocalBackend
from tlog_scales.reader import TilesReader
from tlog_scales.signing import PlainEd25519Signer, PlainEd25519Verifier
from tlog_scales.signing import Vkey as ScalesVkey
from tlog_scales.writer import TilesWriter

from api.app import create_app
from ledger.config import Settings
from ledger.core import merkle
from ledger.core.encoding import hex0x
from ledger.core.note import Note
from ledger.services.ledger import Ledger
from ledger.services.proofs import consistency_proof, inclusion_proof, root_at
from ledger.services.tiles_export import export_tiles
from tests.factories import TEST_CHAIN_ID, TEST_CONTRACT, TEST_DOMAIN, FakeClock
from tests.live import serve
from tests.seeded_log import ORIGIN, SIGNER, SeededLog, files, sqlite_store

LOG_SEED = hashlib.sha256(b"saksi test log key").digest()  # TEST KEY: the seed of log_signer_for_tests
SIZES = (1, 255, 256, 257, 1000, 65_536, 65_536 + 300)


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> Iterator[SeededLog]:
    """A log of 65,836 leaves (two levels of full tiles and a third partial), checkpointed at SIZES."""
    store = sqlite_store(tmp_path_factory.mktemp("log"))
    seeded = SeededLog(store)
    for size in SIZES:
        seeded.grow(size - seeded.size)
        seeded.checkpoint()
    yield seeded
    store.close()


@pytest.fixture(scope="module")
def http_url(log, tmp_path_factory) -> Iterator[str]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=str(log.store.engine.url),
        chain_id=TEST_CHAIN_ID,
        contract=hex0x(TEST_CONTRACT),
    )
    ledger = Ledger(settings, log.store, FakeClock(), log_vkey=SIGNER.vkey)
    with serve(create_app(settings, ledger=ledger)) as url:
        yield url


@pytest.fixture(scope="module")
def exported(log, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "tiles"
    export_tiles(log.store, TEST_DOMAIN.separator, SIGNER.vkey, out)
    return out


@pytest.fixture(params=["http", "export"])
def reader(request, log, http_url, exported) -> TilesReader:
    backend = HttpBackend(http_url + "/tlog") if request.param == "http" else LocalBackend(exported)
    return TilesReader(backend)


def pairs(size: int) -> list[tuple[int, int]]:
    """(index or old size, tree size) pairs across tile boundaries at every level, up to ``size``."""
    points = sorted(
        {p for base in (1, 255, 256, 257, 511, 512, 1000, 65_535, 65_536, 65_537) for p in (base - 1, base, base + 1)}
        | {size - 1, size}
    )
    return [(a, b) for a in points for b in SIZES if 0 <= a < b <= size]


def test_the_checkpoint_root_and_log_signature(reader, log):
    checkpoint = reader.get_checkpoint()
    assert (checkpoint.origin, checkpoint.size) == (ORIGIN, log.size)
    with log.store.read() as ours:
        assert reader.calculate_root_hash() == checkpoint.root_hash == root_at(ours, log.size)
    vkey = ScalesVkey.from_string(str(SIGNER.vkey))  # as /v1/info publishes it
    assert (vkey.name, vkey.key_id, vkey.sig_type) == (ORIGIN, SIGNER.vkey.key_id, 1)
    (signature,) = checkpoint.signatures
    assert vkey.match(signature)
    PlainEd25519Verifier(vkey).verify(signature.payload, checkpoint)
    checkpoint.verify(vkey)
    with pytest.raises(Exception):  # noqa: B017 - tlog-scales raises cryptography's InvalidSignature
        PlainEd25519Verifier(vkey).verify(bytes(64), checkpoint)


def test_entries_are_our_leaf_bytes(reader, log):
    reader.get_checkpoint()
    for index in (0, 1, 254, 255, 256, 257, 999, 65_535, 65_536, log.size - 1):
        assert reader.get_entry(index) == log.leaves[index], index


def test_inclusion_proofs_equal_ours(reader, log):
    reader.get_checkpoint()
    with log.store.read() as ours:
        for index, size in pairs(log.size):
            theirs = reader.get_inclusion_proof(index, size)
            assert theirs.node_hashes == inclusion_proof(ours, index, size), (index, size)
            theirs.check(merkle.leaf_hash(log.leaves[index]), root_at(ours, size))


def test_consistency_proofs_equal_ours(reader, log):
    reader.get_checkpoint()
    with log.store.read() as ours:
        for old, new in [(old, new) for old, new in pairs(log.size) if old > 0]:  # tlog-scales cannot prove from 0
            theirs = reader.get_consistency_proof(old, new)
            assert theirs.node_hashes == consistency_proof(ours, old, new), (old, new)
            theirs.check(root_at(ours, old), root_at(ours, new))


def test_exported_files_are_byte_identical_to_tlog_scales_writer(tmp_path):
    """The same entries, committed in the same batches: Saksi checkpoints and exports after each batch,
    tlog-scales' TilesWriter commits (and collects its superseded partial tiles); every file must match."""
    seeded = SeededLog(sqlite_store(tmp_path))
    writer = TilesWriter.create(tmp_path / "scales", ORIGIN)
    ours = tmp_path / "saksi"
    scales_signer = PlainEd25519Signer(ORIGIN, LOG_SEED)
    try:
        for batch in (1, 2, 252, 1, 1, 300, 200, 3):
            start = seeded.size
            seeded.grow(batch)
            seeded.checkpoint()
            for leaf in seeded.leaves[start:]:
                writer.add_leaf(leaf)
            writer.commit([scales_signer])
            result = export_tiles(seeded.store, TEST_DOMAIN.separator, SIGNER.vkey, ours)
            assert result.tree_size == seeded.size
            theirs, mine = files(tmp_path / "scales"), files(ours)
            assert sorted(mine) == sorted(theirs), seeded.size
            assert Note.parse(mine["checkpoint"]).text == Note.parse(theirs["checkpoint"]).text
            for name in theirs:
                assert mine[name] == theirs[name], (seeded.size, name)  # the checkpoint too: Ed25519 is deterministic
    finally:
        seeded.store.close()
