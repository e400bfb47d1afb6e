"""A log seeded straight into storage, as the append path would store it (tests and benchmarks).

Real FORMATS 5 leaves, the tree's nodes, checkpoints signed by the log's TEST key; the events' ECDSA
signatures are well-formed bytes made by no key (nothing that reads tiles checks them, and 100,000
signatures would only cost time). Every key here is a TEST KEY.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ledger.core import merkle
from ledger.core.checkpoint import Checkpoint, default_origin
from ledger.core.encoding import ZERO32
from ledger.core.events import Domain, ServiceEvent, leaf_bytes
from ledger.core.note import NoteSigner
from ledger.services.proofs import make_checkpoint
from ledger.storage.engine import DatabaseSettings, create_database_engine, upgrade
from ledger.storage.sql import SqlStore, event_row
from tests.factories import TEST_CHAIN_ID, TEST_CONTRACT, TEST_DOMAIN, log_signer_for_tests

ORIGIN = default_origin(TEST_CHAIN_ID, TEST_CONTRACT)
SIGNER = log_signer_for_tests(ORIGIN)
BASE_MS = 1_764_000_000_000


class SeededLog:
    """Events appended straight into a store, with the tree's nodes, as the append path stores them."""

    def __init__(self, store: SqlStore, domain: Domain = TEST_DOMAIN) -> None:
        self.store = store
        self.domain = domain
        self.origin = default_origin(domain.chain_id, domain.verifying_contract)
        self.compact = merkle.CompactRange()
        self.leaves: list[bytes] = []

    @property
    def size(self) -> int:
        return self.compact.size

    def grow(self, count: int) -> None:
        rows, nodes = [], []
        for i in range(self.size, self.size + count):
            event = ServiceEvent(
                event_id=f"ev-{i}",
                agency="dukcapil.jaksel",
                case_commitment=hashlib.sha256(f"case {i}".encode()).digest(),
                case_seq=1,
                prev_event_hash=ZERO32,
                event_type="application.submitted",
                summary=f"Permohonan KTP-el {i} diterima",
                occurred_at=1_764_000_000 + i,
                payload_digest=ZERO32,
            )
            signature = hashlib.sha256(b"r%d" % i).digest() + hashlib.sha256(b"s%d" % i).digest() + b"\x1b"
            leaf = leaf_bytes(event.digest(self.domain), signature, BASE_MS + i)
            self.leaves.append(leaf)
            leaf_hash = merkle.leaf_hash(leaf)
            rows.append(event_row(i, event, signature, b"\x01" * 20, BASE_MS + i, leaf_hash))
            nodes += self.compact.append(leaf_hash)
        with self.store.write() as tx:
            tx.insert_events(rows)
            tx.insert_nodes(nodes)
            tx.set_tree_size(self.size)

    def checkpoint(self, signer: NoteSigner | None = SIGNER) -> Checkpoint:
        return make_checkpoint(self.store, self.origin, lambda: BASE_MS, signer)


def sqlite_store(directory: Path) -> SqlStore:
    engine = create_database_engine(DatabaseSettings(f"sqlite:///{directory}/saksi.db", sqlite_synchronous="NORMAL"))
    upgrade(engine)
    return SqlStore(engine)


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by its path relative to it."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
