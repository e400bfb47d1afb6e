"""`saksi tiles export` writes the /tlog/ tree atomically and incrementally, and refuses a directory that is not
this log's export."""

from __future__ import annotations

import pytest

from ledger.core.note import NoteSigner
from ledger.core.tiles import parse_entry_bundle
from ledger.errors import InvalidInput, NotFound
from ledger.services.tiles_export import export_tiles
from tests.factories import TEST_DOMAIN
from tests.seeded_log import SIGNER, SeededLog, files, sqlite_store


@pytest.fixture
def log(store) -> SeededLog:
    return SeededLog(store)


def export(log: SeededLog, out):
    return export_tiles(log.store, TEST_DOMAIN.separator, SIGNER.vkey, out)


def test_nothing_to_export_before_the_first_signed_checkpoint(log, tmp_path):
    log.grow(3)
    with pytest.raises(NotFound, match="no signed checkpoint yet"):
        export(log, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_rerun_writes_only_what_changed(log, tmp_path):
    out = tmp_path / "out"
    log.grow(300)
    log.checkpoint()
    first = export(log, out)
    assert (first.tree_size, first.previous_size, first.written, first.removed) == (300, None, 6, 0)
    assert sorted(files(out)) == [
        "checkpoint",
        "tile/0/000",
        "tile/0/001.p/44",
        "tile/1/000.p/1",
        "tile/entries/000",
        "tile/entries/001.p/44",
    ]
    assert parse_entry_bundle(files(out)["tile/entries/000"]) == log.leaves[:256]
    full = out / "tile/0/000"
    stamp = full.stat().st_mtime_ns
    again = export(log, out)
    assert (again.previous_size, again.written, again.removed) == (300, 0, 0)

    log.grow(300)
    log.checkpoint()
    grown = export(log, out)
    # full 0/001 and entries/001, the partials of 600 (0/002.p/88, entries/002.p/88, 1/000.p/2), the checkpoint
    assert (grown.tree_size, grown.previous_size, grown.written, grown.removed) == (600, 300, 6, 2)
    assert full.stat().st_mtime_ns == stamp  # a full tile already there is never rewritten
    assert sorted(files(out)) == [
        "checkpoint",
        "tile/0/000",
        "tile/0/001",
        "tile/0/002.p/88",
        "tile/1/000.p/1",  # the partial level-1 tile of the checkpoint at 300 stays until 1/000 is full
        "tile/1/000.p/2",
        "tile/entries/000",
        "tile/entries/001",
        "tile/entries/002.p/88",
    ]
    assert not list(out.rglob("*.tmp"))


def test_partial_tiles_of_every_checkpoint_since_the_last_export(log, tmp_path):
    out = tmp_path / "out"
    log.grow(10)
    log.checkpoint()
    export(log, out)
    for count in (5, 7):
        log.grow(count)
        log.checkpoint()
    export(log, out)
    assert sorted(name for name in files(out) if name.startswith("tile/0/")) == [
        "tile/0/000.p/10",
        "tile/0/000.p/15",
        "tile/0/000.p/22",
    ]


def test_a_directory_of_another_log_is_refused(log, tmp_path):
    out = tmp_path / "out"
    log.grow(2)
    log.checkpoint()
    export(log, out)
    other = NoteSigner(SIGNER.vkey.name, b"\x09" * 32)  # TEST KEY: same name, another key
    with pytest.raises(InvalidInput, match="not a checkpoint signed by this log"):
        export_tiles(log.store, TEST_DOMAIN.separator, other.vkey, out)
    (out / "checkpoint").write_text("not a note\n")
    with pytest.raises(InvalidInput, match="not a checkpoint signed by this log"):
        export(log, out)


def test_a_directory_ahead_of_the_log_is_refused(tmp_path, store):
    ahead = SeededLog(store)
    ahead.grow(5)
    ahead.checkpoint()
    out = tmp_path / "out"
    export(ahead, out)
    (tmp_path / "behind").mkdir()
    behind = SeededLog(sqlite_store(tmp_path / "behind"))
    try:
        behind.grow(3)
        behind.checkpoint()
        with pytest.raises(InvalidInput, match="ahead of this log"):
            export(behind, out)
    finally:
        behind.store.close()
