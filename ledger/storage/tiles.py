"""What the tlog-tiles read API needs of the log (ledger.services.tiles): one range query per tile.

A level-0 tile is a range of the events' leaf hashes, a level-``L`` tile a range of ``tree_nodes`` at
Merkle level ``8·L`` (every completed perfect subtree of level >= 1 is stored, ledger.storage.schema),
and an entry bundle the same range of events with what their leaf bytes are made of. Each is one
primary-key range scan, whatever the size of the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.core.tiles import Tile
from ledger.errors import NotFound
from ledger.storage.queries import Queries

_LEAF_HASHES = "SELECT leaf_hash FROM events WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index"
_NODE_HASHES = "SELECT hash FROM tree_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx"
_LEAF_PARTS = (
    "SELECT leaf_index, agency, event_id, case_commitment, case_seq, prev_event_hash, event_type, summary, "
    "occurred_at, payload_digest, signature, received_at, leaf_hash FROM events "
    "WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index"
)


@dataclass(frozen=True, slots=True)
class LeafParts:
    """What a leaf's bytes (FORMATS 5) are recomputed from: the signed fields, the signature, receivedAt;
    and the stored leaf hash they must hash to."""

    leaf_index: int
    agency: str
    event_id: str
    case_commitment: bytes
    case_seq: int
    prev_event_hash: bytes
    event_type: str
    summary: str
    occurred_at: int
    payload_digest: bytes
    signature: bytes
    received_at: int
    leaf_hash: bytes


class TileQueries(Queries):
    def tile_hashes(self, tile: Tile) -> bytes:
        """The tile's hashes, concatenated (32 bytes each); NotFound unless all of them are stored."""
        nodes = tile.nodes
        if tile.level == 0:
            rows = self._all(_LEAF_HASHES, (nodes.start, nodes.stop))
        else:
            rows = self._all(_NODE_HASHES, (tile.merkle_level, nodes.start, nodes.stop))
        if len(rows) != tile.width:
            raise NotFound(f"{tile.path()} is not complete in this log ({len(rows)} of {tile.width} hashes stored)")
        return b"".join(bytes(h) for (h,) in rows)

    def leaf_parts(self, tile: Tile) -> list[LeafParts]:
        """The parts of the leaves of an entry bundle, in order; NotFound unless all of them are stored."""
        leaves = tile.leaves
        rows = self._all(_LEAF_PARTS, (leaves.start, leaves.stop))
        if len(rows) != tile.width:
            raise NotFound(f"{tile.path()} is not complete in this log ({len(rows)} of {tile.width} entries stored)")
        return [
            LeafParts(
                index,
                agency,
                event_id,
                bytes(commitment),
                seq,
                bytes(prev),
                event_type,
                summary,
                occurred,
                bytes(digest),
                bytes(signature),
                received,
                bytes(leaf_hash),
            )  # fmt: skip
            for (
                index,
                agency,
                event_id,
                commitment,
                seq,
                prev,
                event_type,
                summary,
                occurred,
                digest,
                signature,
                received,
                leaf_hash,
            ) in rows  # fmt: skip
        ]
