"""Checkpoints and what the citizen reads need of their anchors (the anchoring worker's own view of the
anchors is :class:`ledger.storage.anchors.AnchorRepository`; "anchored" is defined there, once)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select

from ledger.core.checkpoint import Checkpoint
from ledger.core.note import Note, NoteSignature, Vkey
from ledger.errors import Conflict
from ledger.storage.anchors import ANCHORED_SQL
from ledger.storage.queries import Queries
from ledger.storage.schema import checkpoints


@dataclass(frozen=True, slots=True)
class AnchorRecord:
    tree_size: int
    chain_id: int
    contract: bytes
    tx_hash: bytes | None
    block_number: int | None
    status: str


class CheckpointQueries(Queries):
    def latest_checkpoint(self) -> tuple[int, bytes, str] | None:
        rows = self._all("SELECT tree_size, root_hash, origin FROM checkpoints ORDER BY tree_size DESC LIMIT 1")
        return None if not rows else (rows[0][0], bytes(rows[0][1]), rows[0][2])

    def checkpoint(self, tree_size: int) -> tuple[int, bytes, str] | None:
        rows = self._all("SELECT tree_size, root_hash, origin FROM checkpoints WHERE tree_size = ?", (tree_size,))
        return None if not rows else (rows[0][0], bytes(rows[0][1]), rows[0][2])

    def signed_checkpoint(self, log_vkey: Vkey, tree_size: int | None = None) -> Note | None:
        """The checkpoint as the signed note the log serves (c2sp.org/tlog-checkpoint): its text with the
        log's signature under ``log_vkey``; the newest signed one when ``tree_size`` is None. None when
        there is no such checkpoint or it is not signed (yet)."""
        if tree_size is None:
            rows = self._all(
                "SELECT tree_size, root_hash, origin, log_signature FROM checkpoints "
                "WHERE log_signature IS NOT NULL ORDER BY tree_size DESC LIMIT 1"
            )
        else:
            rows = self._all(
                "SELECT tree_size, root_hash, origin, log_signature FROM checkpoints "
                "WHERE tree_size = ? AND log_signature IS NOT NULL",
                (tree_size,),
            )
        if not rows:
            return None
        size, root, origin, signature = rows[0]
        text = Checkpoint(origin, size, bytes(root)).to_text()
        return Note(text, (NoteSignature(log_vkey.name, log_vkey.key_id, bytes(signature)),))

    def signed_size_in(self, sizes: range) -> int | None:
        """The smallest size of a signed checkpoint in ``sizes`` (a step-1 range), or None: whether some
        checkpoint needs a partial tile (ledger.core.tiles.Tile.sizes_needing)."""
        rows = self._all(
            "SELECT tree_size FROM checkpoints WHERE tree_size >= ? AND tree_size < ? AND log_signature IS NOT NULL "
            "ORDER BY tree_size LIMIT 1",
            (sizes.start, sizes.stop),
        )
        return rows[0][0] if rows else None

    def signed_sizes(self, after: int = -1) -> list[int]:
        """The sizes of the signed checkpoints above ``after``, smallest first."""
        rows = self._all(
            "SELECT tree_size FROM checkpoints WHERE tree_size > ? AND log_signature IS NOT NULL ORDER BY tree_size",
            (after,),
        )
        return [size for (size,) in rows]

    def unsigned_checkpoints(self) -> list[tuple[int, bytes, str]]:
        """Checkpoints without the log's signature (made before the log had a key), smallest first."""
        rows = self._all(
            "SELECT tree_size, root_hash, origin FROM checkpoints WHERE log_signature IS NULL ORDER BY tree_size"
        )
        return [(size, bytes(root), origin) for size, root, origin in rows]

    def anchor_for(self, tree_size: int) -> AnchorRecord | None:
        rows = self._all(
            "SELECT tree_size, chain_id, contract, tx_hash, block_number, status FROM anchors WHERE tree_size = ?",
            (tree_size,),
        )
        if not rows:
            return None
        size, chain_id, contract, tx_hash, block_number, status = rows[0]
        return AnchorRecord(
            size, chain_id, bytes(contract), None if tx_hash is None else bytes(tx_hash), block_number, status
        )

    def latest_anchored(self, chain_id: int, contract: bytes) -> tuple[tuple[int, bytes, str], AnchorRecord] | None:
        """The newest checkpoint anchored on the ledger contract (ledger.storage.anchors) with its
        anchor, in one query: what every citizen read starts from."""
        rows = self._all(
            "SELECT c.tree_size, c.root_hash, c.origin, a.chain_id, a.contract, a.tx_hash, a.block_number, a.status "
            f"FROM checkpoints c JOIN anchors a ON a.tree_size = c.tree_size WHERE {ANCHORED_SQL} "
            "ORDER BY c.tree_size DESC LIMIT 1",
            (chain_id, contract),
        )
        if not rows:
            return None
        size, root, origin, chain_id, contract, tx_hash, block_number, status = rows[0]
        record = AnchorRecord(
            size, chain_id, bytes(contract), None if tx_hash is None else bytes(tx_hash), block_number, status
        )
        return (size, bytes(root), origin), record

    def latest_anchored_checkpoint(self, chain_id: int, contract: bytes) -> tuple[int, bytes, str] | None:
        """The newest checkpoint anchored on the ledger contract (ledger.storage.anchors)."""
        rows = self._all(
            "SELECT c.tree_size, c.root_hash, c.origin FROM checkpoints c JOIN anchors a ON a.tree_size = c.tree_size "
            f"WHERE {ANCHORED_SQL} ORDER BY c.tree_size DESC LIMIT 1",
            (chain_id, contract),
        )
        return None if not rows else (rows[0][0], bytes(rows[0][1]), rows[0][2])

    def checkpoints_page(self, limit: int, before: int | None = None) -> list[tuple[int, bytes, str, int]]:
        """Newest checkpoints first: (tree size, root, origin, created_at)."""
        query = select(checkpoints).order_by(checkpoints.c.tree_size.desc()).limit(limit)
        if before is not None:
            query = query.where(checkpoints.c.tree_size < before)
        return [(r.tree_size, bytes(r.root_hash), r.origin, r.created_at) for r in self.conn.execute(query)]

    def anchored_size(self, chain_id: int, contract: bytes) -> int:
        """The largest tree size anchored on the ledger contract (ledger.storage.anchors; 0 if none)."""
        rows = self._all(
            f"SELECT a.tree_size FROM anchors a WHERE {ANCHORED_SQL} ORDER BY a.tree_size DESC LIMIT 1",
            (chain_id, contract),
        )
        return rows[0][0] if rows else 0


class CheckpointWrites(CheckpointQueries):
    def add_checkpoint(
        self, tree_size: int, root_hash: bytes, origin: str, created_at: int, log_signature: bytes | None = None
    ) -> None:
        """Store a checkpoint (idempotent); a stored one without a signature gets ``log_signature``."""
        existing = self.checkpoint(tree_size)
        if existing is not None:
            if existing[1] != root_hash:
                raise Conflict(f"checkpoint {tree_size} already stored with another root")
            if log_signature is not None:
                self.sign_checkpoint(tree_size, log_signature)
            return
        self.conn.execute(
            insert(checkpoints).values(
                tree_size=tree_size,
                root_hash=root_hash,
                origin=origin,
                created_at=created_at,
                log_signature=log_signature,
            )
        )

    def sign_checkpoint(self, tree_size: int, log_signature: bytes) -> None:
        """Record the log's signature of a checkpoint that has none (a signature once stored stays)."""
        if len(log_signature) != 64:
            raise ValueError("an Ed25519 signature is 64 bytes")
        self._run(
            "UPDATE checkpoints SET log_signature = ? WHERE tree_size = ? AND log_signature IS NULL",
            (log_signature, tree_size),
        )
