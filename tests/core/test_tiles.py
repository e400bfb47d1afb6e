"""ledger.core.tiles against c2sp.org/tlog-tiles@v0.1.0's own examples, the RFC 9162 oracle, and hostile paths."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.core import merkle
from ledger.core.tiles import (
    Tile,
    encode_index,
    entry_bundle,
    full_tiles,
    has_tile,
    parse_entry_bundle,
    parse_tile_path,
    partial_tiles,
    split_hashes,
    tile_root,
)
from ledger.errors import InvalidField, NotFound


def test_the_specs_index_example():
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(0) == "000"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"
    assert parse_tile_path("0/x001/x234/067") == Tile(0, 1234067)


def test_the_specs_tree_of_70000():
    assert partial_tiles(70_000) == [
        Tile(0, 273, 112),
        Tile(0, 273, 112, entries=True),
        Tile(1, 1, 17),
        Tile(2, 0, 1),
    ]
    full = list(full_tiles(0, 70_000))
    assert [t for t in full if t.level == 0 and not t.entries] == [Tile(0, n) for n in range(273)]
    assert [t for t in full if t.level == 1] == [Tile(1, 0)]
    assert len([t for t in full if t.entries]) == 273
    assert not [t for t in full if t.level >= 2]


def test_a_tree_of_256_is_a_full_tile_and_a_partial_level_1_tile():
    assert list(full_tiles(0, 256)) == [Tile(0, 0), Tile(0, 0, entries=True)]
    assert partial_tiles(256) == [Tile(1, 0, 1)]
    assert partial_tiles(0) == [] and list(full_tiles(0, 0)) == []
    assert partial_tiles(1) == [Tile(0, 0, 1), Tile(0, 0, 1, entries=True)]


def test_full_tiles_between_two_sizes_are_only_the_new_ones():
    assert list(full_tiles(255, 257)) == [Tile(0, 0), Tile(0, 0, entries=True)]
    assert list(full_tiles(256, 511)) == []
    assert list(full_tiles(65_535, 65_536)) == [Tile(0, 255), Tile(0, 255, entries=True), Tile(1, 0)]
    assert set(full_tiles(0, 70_000)) == set(full_tiles(0, 300)) | set(full_tiles(300, 70_000))


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 0), "tile/0/000"),
        (Tile(0, 0, 1), "tile/0/000.p/1"),
        (Tile(63, 5, 255), "tile/63/005.p/255"),
        (Tile(1, 1234067), "tile/1/x001/x234/067"),
        (Tile(0, 1234, 7, entries=True), "tile/entries/x001/234.p/7"),
        (Tile(0, 12, entries=True), "tile/entries/012"),
    ],
)
def test_paths_round_trip(tile, path):
    assert tile.path() == path
    assert parse_tile_path(path.removeprefix("tile/")) == tile


@pytest.mark.parametrize(
    "path",
    [
        "00/000",  # leading zero in L
        "01/000",
        "64/000",  # L above 63
        "-1/000",
        "+1/000",
        "a/000",
        "",
        "0",
        "0/",
        "0/0",  # N not three digits
        "0/0000",
        "0/1",
        "0/x001",  # the last element must not have an x
        "0/001/002",  # all but the last must have an x
        "0/x000/001",  # a leading zero group: another spelling of 001
        "0/X001/001",
        "0/x01/001",
        "0/x001/x002",
        "0/000.p/0",  # W 1..255
        "0/000.p/256",
        "0/000.p/01",
        "0/000.p/",
        "0/000.p",
        "0/000.p/5/6",
        "0/000.q/5",
        "0/x000.p/5",
        "0/ 000",
        "0/٠٠٠",  # Arabic-Indic digits are not ASCII digits
        "0/x001/x001/x001/x001/x001/x001/x001/001",  # more groups than any tree of 2^63 leaves has
        "entries/x000/001",
        "entries",
        "entries/000.p/256",
        "ENTRIES/000",
    ],
)
def test_malformed_paths_are_no_tile(path):
    with pytest.raises(NotFound, match="not a tile path"):
        parse_tile_path(path)


def test_which_tiles_a_size_has():
    assert has_tile(256, Tile(0, 0)) and not has_tile(255, Tile(0, 0))
    assert has_tile(255, Tile(0, 0, 255)) and not has_tile(255, Tile(0, 0, 254)) and not has_tile(256, Tile(0, 0, 255))
    assert has_tile(65_536, Tile(1, 0)) and not has_tile(65_535, Tile(1, 0))
    assert has_tile(65_535, Tile(1, 0, 255)) and has_tile(65_536 + 255, Tile(1, 0))
    assert has_tile(256, Tile(1, 0, 1)) and has_tile(511, Tile(1, 0, 1)) and not has_tile(512, Tile(1, 0, 1))
    assert not has_tile(0, Tile(0, 0, 1))


def test_the_sizes_needing_a_partial_tile():
    assert Tile(0, 0, 5).sizes_needing() == range(5, 6)
    assert Tile(1, 0, 1).sizes_needing() == range(256, 512)
    assert Tile(2, 1, 3).sizes_needing() == range((256 + 3) * 65_536, (256 + 4) * 65_536)
    assert Tile(0, 0).sizes_needing() == range(0)
    for tile in (Tile(0, 3, 5), Tile(1, 2, 200), Tile(2, 0, 9)):
        sizes = tile.sizes_needing()
        assert has_tile(sizes.start, tile) and has_tile(sizes.stop - 1, tile)
        assert not has_tile(sizes.start - 1, tile) and not has_tile(sizes.stop, tile)


def test_the_nodes_and_leaves_of_a_tile():
    assert Tile(0, 2, 3).nodes == range(512, 515) and Tile(0, 2, 3).leaves == range(512, 515)
    assert Tile(1, 1).merkle_level == 8 and Tile(1, 1).nodes == range(256, 512)
    assert Tile(1, 1, 2).leaves == range(65_536, 65_536 + 512)


def _leaf(i: int) -> bytes:
    return merkle.leaf_hash(f"leaf {i}".encode())


def test_a_tile_root_is_the_subtree_root_the_level_above_holds():
    leaves = [_leaf(i) for i in range(512)]
    assert tile_root(leaves[:256]) == merkle.root(leaves[:256])
    assert tile_root(leaves[256:]) == merkle.root(leaves[256:])
    tree = merkle.MemoryTree(leaves)
    assert tile_root(leaves[256:]) == tree.get([merkle.NodeId(8, 1)])[merkle.NodeId(8, 1)]
    with pytest.raises(InvalidField):
        tile_root(leaves[:255])


def test_split_hashes_refuses_what_no_tile_is():
    assert split_hashes(b"\x01" * 64) == [b"\x01" * 32, b"\x01" * 32]
    for bad in (b"", b"\x00" * 31, b"\x00" * 33, b"\x00" * 32 * 257):
        with pytest.raises(InvalidField):
            split_hashes(bad)


def test_entry_bundles_round_trip_and_refuse_truncation():
    entries = [b"", b"a", b"\x01" * 106, b"\xff" * 0xFFFF]
    data = entry_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert parse_entry_bundle(data) == entries
    assert parse_entry_bundle(b"") == []
    for bad in (data[:-1], b"\x00", b"\x00\x05abcd"):
        with pytest.raises(InvalidField):
            parse_entry_bundle(bad)
    with pytest.raises(InvalidField):
        parse_entry_bundle(entry_bundle([b"x"] * 257))
    with pytest.raises(InvalidField):
        entry_bundle([b"\x00" * 0x10000])


def test_leaf_hashes_of_entries_fill_the_level_0_tile():
    entries = [hashlib.sha256(bytes([i])).digest() for i in range(3)]
    assert [merkle.leaf_hash(e) for e in parse_entry_bundle(entry_bundle(entries))] == [
        merkle.leaf_hash(e) for e in entries
    ]


@given(
    level=st.integers(0, 63),
    index=st.integers(0, 10**18),
    width=st.integers(1, 256),
    entries=st.booleans(),
)
def test_every_tile_path_parses_back_to_its_tile(level, index, width, entries):
    tile = Tile(0 if entries else level, index, width, entries)
    assert parse_tile_path(tile.path().removeprefix("tile/")) == tile


@given(text=st.text(alphabet="0123456789x./pentries", max_size=40))
def test_a_path_parses_only_to_the_tile_that_prints_it(text):
    try:
        tile = parse_tile_path(text)
    except NotFound:
        return
    assert tile.path() == "tile/" + text


@given(size=st.integers(0, 1 << 40))
def test_a_size_has_exactly_its_own_partial_tiles(size):
    for tile in partial_tiles(size):
        assert has_tile(size, tile) and size in tile.sizes_needing()
        assert not has_tile(size, tile.full())
