"""The log as c2sp.org/tlog-tiles@v0.1.0 resources: the signed checkpoint, tiles and entry bundles.

:class:`TlogReads` answers the read API (api.routers.tlog) and the static export
(ledger.services.tiles_export) alike. Which tiles exist is decided by the newest signed checkpoint: a
full tile once that checkpoint covers it, a partial tile only at the width some signed checkpoint needs
(c2sp.org/tlog-tiles: "Logs MUST serve partial tiles corresponding to tree sizes for which a checkpoint
was produced"). Each tile is one range query (ledger.storage.tiles). Tiles never change once they
exist, so they are kept in a bounded in-memory cache; the checkpoint is read again at most every
``checkpoint_ttl_s``.

Entry bundles hold the leaf bytes of FORMATS 5, recomputed from the stored event (its EIP-712 digest
from the signed fields, its signature, its receivedAt) rather than stored: once per bundle thanks to the
cache (what that costs: the tile benchmark in benchmarks/results.json), where storing the 32-byte digest
would have grown every event row and the append. Each recomputed leaf must hash to the stored leaf hash, which the level-0 tile
carries, or the bundle is refused.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

from ledger.core import events, merkle
from ledger.core.checkpoint import Checkpoint
from ledger.core.encoding import keccak256
from ledger.core.note import Note, NoteSignature, Vkey
from ledger.core.tiles import Tile, entry_bundle, has_tile
from ledger.errors import NotFound, VerificationFailed
from ledger.services.proofs import served_checkpoint_note
from ledger.storage.sql import Reader, SqlStore
from ledger.storage.tiles import LeafParts


class ByteCache:
    """A least-recently-used map bounded by the bytes it holds; safe across threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[object, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: object) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: object, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._items[key] = value
            self._size += len(value)
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


def bundle_leaves(parts: list[LeafParts], domain_separator: bytes) -> list[bytes]:
    """The leaf bytes (FORMATS 5) of stored events, each checked against its stored leaf hash."""
    text_hash = lru_cache(maxsize=4096)(lambda text: keccak256(text.encode()))
    leaves = []
    for p in parts:
        struct = events.struct_hash(
            p.event_id, p.agency, p.case_commitment, p.case_seq, p.prev_event_hash, p.event_type, p.summary,
            p.occurred_at, p.payload_digest, text_hash,
        )  # fmt: skip
        leaf = events.leaf_bytes(events.typed_data_digest(domain_separator, struct), p.signature, p.received_at)
        if merkle.leaf_hash(leaf) != p.leaf_hash:
            raise VerificationFailed(
                f"leaf {p.leaf_index}: the stored event does not hash to its leaf hash; not serving its bundle",
                leaf_index=p.leaf_index,
            )
        leaves.append(leaf)
    return leaves


def tile_bytes(reader: Reader, tile: Tile, domain_separator: bytes) -> bytes:
    """A tile's or an entry bundle's bytes from storage (no check of which checkpoint needs it)."""
    if tile.entries:
        return entry_bundle(bundle_leaves(reader.leaf_parts(tile), domain_separator))
    return reader.tile_hashes(tile)


class TlogReads:
    """The tlog-tiles resources of one log, with their caches."""

    def __init__(
        self,
        store: SqlStore,
        domain_separator: bytes,
        log_vkey: Vkey,
        cache_bytes: int = 48 * 1024 * 1024,
        checkpoint_ttl_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        policy_hash: bytes | None = None,
    ) -> None:
        self.store = store
        #: with a witness policy, the checkpoint served is the newest its quorum cosigned (FORMATS 11.6)
        self.policy_hash = policy_hash
        self.domain_separator = domain_separator
        self.log_vkey = log_vkey
        self.checkpoint_ttl_s = checkpoint_ttl_s
        self._monotonic = monotonic
        self._tiles = ByteCache(cache_bytes)
        self._latest: tuple[float, Note, int] | None = None  # (read at, note, its tree size)

    # --- the checkpoint ---

    def checkpoint(self, extra: tuple[NoteSignature, ...] = ()) -> Note:
        """The newest signed checkpoint as its signed note, ``extra`` signature lines appended."""
        note, _ = self._latest_checkpoint()
        return note.with_signatures(extra) if extra else note

    def fresh_checkpoint(self) -> Note | None:
        """The checkpoint read less than ``checkpoint_ttl_s`` ago, without touching storage (None when it
        is older or was never read): for the event loop, which then asks :meth:`checkpoint` in a thread."""
        latest = self._latest
        if latest is None or self._monotonic() - latest[0] >= self.checkpoint_ttl_s:
            return None
        return latest[1]

    def latest_size(self) -> int:
        """The tree size of the newest signed checkpoint (NotFound before the first)."""
        return self._latest_checkpoint()[1]

    def _latest_checkpoint(self, fresh: bool = False) -> tuple[Note, int]:
        now = self._monotonic()
        latest = self._latest
        if fresh or latest is None or now - latest[0] >= self.checkpoint_ttl_s:
            with self.store.read() as reader:
                note = served_checkpoint_note(reader, self.log_vkey, self.policy_hash)
            latest = (now, note, Checkpoint.from_text(note.text).tree_size)
            self._latest = latest
        return latest[1], latest[2]

    # --- tiles ---

    def cached(self, tile: Tile, gzipped: bool = False) -> bytes | None:
        """A tile already served (so it exists), without touching storage: for the event loop."""
        return self._tiles.get((tile, gzipped))

    def tile(self, tile: Tile) -> bytes:
        """A tile's or a bundle's bytes; NotFound unless the newest signed checkpoint covers it and, for a
        partial one, some signed checkpoint needs exactly its width."""
        found = self._tiles.get((tile, False))
        if found is not None:
            return found
        self._check_exists(tile)
        with self.store.read() as reader:
            data = tile_bytes(reader, tile, self.domain_separator)
        self._tiles.put((tile, False), data)
        return data

    def gzipped(self, tile: Tile) -> bytes:
        """The tile's bytes gzip-compressed (entry bundles, for clients that accept gzip)."""
        found = self._tiles.get((tile, True))
        if found is None:
            found = gzip.compress(self.tile(tile), compresslevel=6, mtime=0)
            self._tiles.put((tile, True), found)
        return found

    def _check_exists(self, tile: Tile) -> None:
        size = self.latest_size()
        if not self._covered(size, tile):
            size = self._latest_checkpoint(fresh=True)[1]  # a checkpoint signed since the last look
        if not self._covered(size, tile):
            raise NotFound(f"{tile.path()} is beyond the newest checkpoint (tree size {size})")
        if tile.partial:
            needing = tile.sizes_needing()
            with self.store.read() as reader:
                if reader.signed_size_in(range(needing.start, min(needing.stop, size + 1))) is None:
                    raise NotFound(f"{tile.path()}: no checkpoint of this log has that partial tile")

    @staticmethod
    def _covered(size: int, tile: Tile) -> bool:
        if tile.partial:
            return tile.sizes_needing().start <= size
        return has_tile(size, tile)
