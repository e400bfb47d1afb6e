"""Witnessing: the cosignatures witnesses returned, how far each witness has cosigned, and the checkpoints
whose cosignatures met a policy's quorum (so that "counts for citizens" is one indexed join, not a
policy evaluation per read).

A witness is known here by its key name and key id (c2sp.org/signed-note: the pair that names a key);
which key that is, and what quorum means, is the policy's business (ledger.core.policy), not storage's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from ledger.storage.anchors import ANCHORED_SQL
from ledger.storage.queries import Queries
from ledger.storage.schema import checkpoints, cosignatures, witness_progress, witnessed_checkpoints


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    """One cosignature line as a witness returned it: ``signature`` is what follows the 4-byte key id."""

    tree_size: int
    key_name: str
    key_id: int
    signature: bytes
    received_at: int


class WitnessingRepository(Queries):
    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)

    # --- cosignatures ---

    def cosignatures_for(self, tree_size: int) -> list[StoredCosignature]:
        """Every cosignature stored for the checkpoint of ``tree_size``, in the order they arrived."""
        rows = self._all(
            "SELECT tree_size, key_name, key_id, signature, received_at FROM cosignatures WHERE tree_size = ? "
            "ORDER BY received_at, key_name, key_id",
            (tree_size,),
        )
        return [StoredCosignature(r[0], r[1], r[2], bytes(r[3]), r[4]) for r in rows]

    def cosigned_sizes(self, limit: int = 100) -> dict[int, set[tuple[str, int]]]:
        """The newest ``limit`` checkpoint sizes with at least one cosignature, each with its cosigners."""
        rows = self._all(
            "SELECT c.tree_size, c.key_name, c.key_id FROM cosignatures c WHERE c.tree_size IN "
            "(SELECT DISTINCT tree_size FROM cosignatures ORDER BY tree_size DESC LIMIT ?)",
            (limit,),
        )
        found: dict[int, set[tuple[str, int]]] = {}
        for size, name, key_id in rows:
            found.setdefault(size, set()).add((name, key_id))
        return found

    def add_cosignature(self, tree_size: int, key_name: str, key_id: int, signature: bytes, received_at: int) -> bool:
        """Store a cosignature once (True if new); a second, different one from the same key for the same
        checkpoint replaces the first only if it is newer: a witness re-cosigning later is no conflict."""
        existing = self.conn.execute(
            select(cosignatures.c.signature).where(
                cosignatures.c.tree_size == tree_size,
                cosignatures.c.key_name == key_name,
                cosignatures.c.key_id == key_id,
            )
        ).first()
        if existing is not None:
            if bytes(existing[0]) == signature or bytes(existing[0])[:8] >= signature[:8]:
                return False
            self.conn.execute(
                update(cosignatures)
                .where(
                    cosignatures.c.tree_size == tree_size,
                    cosignatures.c.key_name == key_name,
                    cosignatures.c.key_id == key_id,
                )
                .values(signature=signature, received_at=received_at)
            )
            return True
        self.conn.execute(
            insert(cosignatures).values(
                tree_size=tree_size, key_name=key_name, key_id=key_id, signature=signature, received_at=received_at
            )
        )
        return True

    # --- each witness's progress ---

    def progress(self) -> dict[tuple[str, int], tuple[int, int]]:
        """(key name, key id) -> (tree size the witness last cosigned or named, when we learnt it)."""
        rows = self.conn.execute(select(witness_progress)).all()
        return {(r.key_name, r.key_id): (r.tree_size, r.updated_at) for r in rows}

    def set_progress(self, key_name: str, key_id: int, tree_size: int, at: int) -> None:
        self.conn.execute(
            delete(witness_progress).where(witness_progress.c.key_name == key_name, witness_progress.c.key_id == key_id)
        )
        self.conn.execute(
            insert(witness_progress).values(key_name=key_name, key_id=key_id, tree_size=tree_size, updated_at=at)
        )

    # --- checkpoints a quorum has cosigned ---

    def mark_witnessed(self, tree_size: int, policy_hash: bytes, at: int) -> bool:
        if self.conn.execute(
            select(witnessed_checkpoints.c.met_at).where(
                witnessed_checkpoints.c.tree_size == tree_size, witnessed_checkpoints.c.policy_hash == policy_hash
            )
        ).first():
            return False
        self.conn.execute(insert(witnessed_checkpoints).values(tree_size=tree_size, policy_hash=policy_hash, met_at=at))
        return True

    def witnessed_sizes(self, policy_hash: bytes) -> list[int]:
        """Every tree size marked as cosigned by a quorum of the policy ``policy_hash``, ascending (what the
        audit holds to the stored cosignatures)."""
        rows = self._all(
            "SELECT tree_size FROM witnessed_checkpoints WHERE policy_hash = ? ORDER BY tree_size", (policy_hash,)
        )
        return [row[0] for row in rows]

    def latest_witnessed(self, policy_hash: bytes) -> tuple[int, bytes, str, int] | None:
        """The newest checkpoint whose cosignatures met the quorum of the policy ``policy_hash``:
        (tree size, root, origin, when the quorum met)."""
        rows = self._all(
            "SELECT c.tree_size, c.root_hash, c.origin, w.met_at FROM witnessed_checkpoints w "
            "JOIN checkpoints c ON c.tree_size = w.tree_size WHERE w.policy_hash = ? "
            "ORDER BY w.tree_size DESC LIMIT 1",
            (policy_hash,),
        )
        return None if not rows else (rows[0][0], bytes(rows[0][1]), rows[0][2], rows[0][3])

    def latest_witnessed_and_anchored(
        self, policy_hash: bytes, chain_id: int, contract: bytes
    ) -> tuple[int, bytes, str] | None:
        """The newest checkpoint both witnessed (under ``policy_hash``) and anchored on the ledger
        contract (ledger.storage.anchors' one definition of anchored)."""
        rows = self._all(
            "SELECT c.tree_size, c.root_hash, c.origin FROM checkpoints c "
            "JOIN witnessed_checkpoints w ON w.tree_size = c.tree_size AND w.policy_hash = ? "
            f"JOIN anchors a ON a.tree_size = c.tree_size WHERE {ANCHORED_SQL} "
            "ORDER BY c.tree_size DESC LIMIT 1",
            (policy_hash, chain_id, contract),
        )
        return None if not rows else (rows[0][0], bytes(rows[0][1]), rows[0][2])

    def newest_checkpoint_created_at(self) -> int | None:
        row = self.conn.execute(
            select(checkpoints.c.created_at).order_by(checkpoints.c.tree_size.desc()).limit(1)
        ).first()
        return None if row is None else int(row[0])
