"""C2SP tlog-tiles (c2sp.org/tlog-tiles@v0.1.0): tile coordinates, their paths, and which tiles a tree has.

Pure arithmetic over the RFC 9162 tree of :mod:`ledger.core.merkle`. A tile at level ``L`` and index
``N`` holds the hashes of the perfect subtrees of height ``8·L`` (Merkle level ``8·L``) numbered
``N·256`` to ``N·256 + width − 1``: level 0 holds leaf hashes, and each hash of a level ``L ≥ 1`` tile is
the root of a full tile at level ``L − 1``. An entry bundle (``tile/entries/N``) holds the log entries
whose leaf hashes fill the level-0 tile ``N``, each behind its big-endian uint16 length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from ledger.core import merkle
from ledger.errors import InvalidField, NotFound

TILE_WIDTH = 256
TILE_HEIGHT = 8  # Merkle levels per tile level: 256 = 2**8
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF  # uint16 length prefix
# 2**63 leaves at most (FORMATS 9.1): an index of 7 groups of 3 digits covers every tile of such a tree
_MAX_GROUPS = 7

_LEVEL_RE = re.compile(r"0|[1-9][0-9]?")
_GROUP_RE = re.compile(r"[0-9]{3}")
_WIDTH_RE = re.compile(r"[1-9][0-9]{0,2}")


class Tile(NamedTuple):
    """One tile (``entries`` False) or entry bundle (``entries`` True; its level is 0).

    ``width`` is 256 for a full tile, 1-255 for a partial one."""

    level: int
    index: int  # type: ignore[assignment]  # shadows tuple.index, which no caller uses; the spec names it N
    width: int = TILE_WIDTH
    entries: bool = False

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def merkle_level(self) -> int:
        """The Merkle level of the tile's hashes (:class:`ledger.core.merkle.NodeId` levels)."""
        return TILE_HEIGHT * self.level

    @property
    def first(self) -> int:
        """The index, at its Merkle level, of the tile's first hash (a leaf index at level 0)."""
        return self.index * TILE_WIDTH

    @property
    def nodes(self) -> range:
        """Indexes of the tile's hashes at :attr:`merkle_level`: ``first`` to ``first + width − 1``."""
        return range(self.first, self.first + self.width)

    @property
    def leaves(self) -> range:
        """The leaf indexes the tile's hashes span (its entries, for a bundle)."""
        span = 1 << self.merkle_level
        return range(self.first * span, (self.first + self.width) * span)

    def path(self) -> str:
        """The path below the log's prefix: ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]``."""
        head = "tile/entries/" if self.entries else f"tile/{self.level}/"
        tail = f".p/{self.width}" if self.partial else ""
        return head + encode_index(self.index) + tail

    def full(self) -> Tile:
        return self._replace(width=TILE_WIDTH)

    def sizes_needing(self) -> range:
        """The tree sizes whose checkpoints need exactly this partial tile (empty for a full tile)."""
        if not self.partial:
            return range(0)
        span = 1 << self.merkle_level
        return range(self.leaves.stop, self.leaves.stop + span)


def encode_index(index: int) -> str:
    """``<N>``: zero-padded 3-digit groups, all but the last behind an ``x`` (1234067 -> ``x001/x234/067``)."""
    if index < 0:
        raise InvalidField("tile.index", "must not be negative")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def parse_tile_path(path: str) -> Tile:
    """A tile's path below ``tile/`` (``0/x001/234/067.p/5``, ``entries/001``), strictly as the spec writes
    it: ``<L>`` 0-63 without leading zeros, ``<N>`` in canonical 3-digit groups (no all-zero leading
    ``x000`` group), ``<W>`` 1-255 without leading zeros. Anything else raises NotFound (no such tile)."""
    parts = path.split("/")
    head = parts[0]
    if head == "entries":
        entries, level = True, 0
    elif _LEVEL_RE.fullmatch(head) and int(head) <= MAX_LEVEL:
        entries, level = False, int(head)
    else:
        raise NotFound(f"not a tile path: level {head[:20]!r} is not 0-63 or entries")
    rest = parts[1:]
    width = TILE_WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if not _WIDTH_RE.fullmatch(rest[-1]) or int(rest[-1]) >= TILE_WIDTH:
            raise NotFound(f"not a tile path: partial width {rest[-1][:20]!r} is not 1-255")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    if not rest or len(rest) > _MAX_GROUPS:
        raise NotFound("not a tile path: the index needs 1-7 groups of three digits")
    index = 0
    for n, group in enumerate(rest):
        digits = group[1:] if n < len(rest) - 1 and group.startswith("x") else group
        if (n < len(rest) - 1) != group.startswith("x") or not _GROUP_RE.fullmatch(digits):
            raise NotFound(f"not a tile path: index element {group[:20]!r} (x-prefixed groups, then the last)")
        index = index * 1000 + int(digits)
    tile = Tile(level, index, width, entries)
    if tile.path() != "tile/" + path:  # a leading x000 group: another spelling of a shorter index
        raise NotFound("not a tile path: the index has a leading all-zero group")
    return tile


def level_width(tree_size: int, level: int) -> int:
    """How many hashes level ``level`` of the tiled tree has at ``tree_size``: floor(size / 256**level)."""
    return tree_size >> (TILE_HEIGHT * level)


def partial_tiles(tree_size: int) -> list[Tile]:
    """The partial tiles a checkpoint of ``tree_size`` needs, one per level that has one, and the partial
    entry bundle (the spec's example: 70,000 -> level 0 width 112, level 1 width 17, level 2 width 1)."""
    out: list[Tile] = []
    level = 0
    while level <= MAX_LEVEL and level_width(tree_size, level):
        index, width = divmod(level_width(tree_size, level), TILE_WIDTH)
        if width:
            out.append(Tile(level, index, width))
            if level == 0:
                out.append(Tile(0, index, width, entries=True))
        level += 1
    return out


def full_tiles(old_size: int, new_size: int) -> Iterator[Tile]:
    """Every full tile and entry bundle that a tree of ``new_size`` has and one of ``old_size`` has not,
    level by level, lower levels first."""
    level = 0
    while level <= MAX_LEVEL and level_width(new_size, level) >= TILE_WIDTH:
        for index in range(level_width(old_size, level) // TILE_WIDTH, level_width(new_size, level) // TILE_WIDTH):
            yield Tile(level, index)
            if level == 0:
                yield Tile(0, index, entries=True)
        level += 1


def has_tile(tree_size: int, tile: Tile) -> bool:
    """Whether a tree of ``tree_size`` holds ``tile``: a full one that it has completed, or exactly the
    partial one of its own size (other partial widths belong to other sizes)."""
    have = level_width(tree_size, tile.level)
    if tile.partial:
        return have == tile.first + tile.width
    return have >= tile.first + TILE_WIDTH


def tile_root(hashes: Sequence[bytes]) -> bytes:
    """The hash one level up of a full tile: MTH of its 256 hashes (a perfect subtree of height 8)."""
    if len(hashes) != TILE_WIDTH:
        raise InvalidField("tile", f"a full tile has {TILE_WIDTH} hashes, not {len(hashes)}")
    level = list(hashes)
    while len(level) > 1:
        level = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def split_hashes(data: bytes) -> list[bytes]:
    """A tile's bytes as its hashes (32 bytes each)."""
    if len(data) % merkle.HASH_SIZE or not data or len(data) > TILE_WIDTH * merkle.HASH_SIZE:
        raise InvalidField("tile", "must be 1-256 hashes of 32 bytes")
    return [data[i : i + merkle.HASH_SIZE] for i in range(0, len(data), merkle.HASH_SIZE)]


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    """Entries behind their big-endian uint16 lengths, concatenated."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_SIZE:
            raise InvalidField("entry", f"an entry of a bundle is at most {MAX_ENTRY_SIZE} bytes")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle; refuses a truncated one and one of more than 256 entries."""
    entries: list[bytes] = []
    position = 0
    while position < len(data):
        if position + 2 > len(data):
            raise InvalidField("bundle", "truncated length prefix")
        length = int.from_bytes(data[position : position + 2], "big")
        if position + 2 + length > len(data):
            raise InvalidField("bundle", "truncated entry")
        entries.append(data[position + 2 : position + 2 + length])
        position += 2 + length
        if len(entries) > TILE_WIDTH:
            raise InvalidField("bundle", f"more than {TILE_WIDTH} entries")
    return entries
