"""A durable key-value store for py-evm: one SQLite table, one SQLite transaction per mined block.

py-evm keeps a whole chain (headers, blocks, receipts, the state trie) in a key-value store. Writes made
while a block is built stay in one open SQLite transaction; :meth:`SqliteKV.commit` makes them durable
together (WAL, ``synchronous=FULL``) and :meth:`SqliteKV.rollback` forgets them together, so a block is on
disk whole or not at all.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from eth.db.backends.base import BaseDB


class SqliteKV(BaseDB):
    """py-evm's key-value store in one SQLite table; writes stay in an open transaction until :meth:`commit`.

    Reads go through a bounded in-memory cache (trie nodes are read over and over); a rollback empties it,
    so it never shows a write that did not commit.
    """

    CACHE_ENTRIES = 200_000

    def __init__(self, path: Path, read_only: bool = False) -> None:
        """`read_only`: for a second process (an audit) while the node's own process writes. SQLite's
        ``mode=ro`` takes no write lock and cannot write; WAL lets it read committed blocks meanwhile. Its
        cache may keep the head it first read, so a read-only store is one consistent view of the chain."""
        self._cache: OrderedDict[bytes, bytes | None] = OrderedDict()
        self.read_only = read_only
        if read_only:
            if not Path(path).exists():
                raise FileNotFoundError(path)
            uri = "file:" + quote(str(Path(path).resolve())) + "?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._in_tx = False
            return
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed block survives power loss too, not only kill -9.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")
        self._conn.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        self._in_tx = False

    def _begin(self) -> None:
        if self.read_only:
            raise PermissionError("this chain store is open read-only")
        if not self._in_tx:
            self._conn.execute("BEGIN IMMEDIATE")
            self._in_tx = True

    def _read(self, key: bytes) -> bytes | None:
        key = bytes(key)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        row = self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        value = None if row is None else bytes(row[0])
        self._remember(key, value)
        return value

    def _remember(self, key: bytes, value: bytes | None) -> None:
        self._cache[key] = value
        if len(self._cache) > self.CACHE_ENTRIES:
            self._cache.popitem(last=False)

    def __getitem__(self, key: bytes) -> bytes:
        value = self._read(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._begin()
        self._conn.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))
        self._remember(bytes(key), bytes(value))

    def __delitem__(self, key: bytes) -> None:
        self._begin()
        if self._conn.execute("DELETE FROM kv WHERE k = ?", (key,)).rowcount == 0:
            raise KeyError(key)
        self._remember(bytes(key), None)

    def _exists(self, key: bytes) -> bool:
        return self._read(key) is not None

    def get_meta(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT k, v FROM meta").fetchall())

    def set_meta(self, values: Mapping[str, str]) -> None:
        self._begin()
        self._conn.executemany("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", list(values.items()))

    def commit(self) -> None:
        if self._in_tx:
            self._conn.execute("COMMIT")
            self._in_tx = False

    def rollback(self) -> None:
        if self._in_tx:
            self._conn.execute("ROLLBACK")
            self._in_tx = False
            self._cache.clear()

    def close(self) -> None:
        self.rollback()
        self._conn.close()
