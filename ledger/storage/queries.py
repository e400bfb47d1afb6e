"""The base of every transaction's queries: the driver's own cursor on the transaction's connection.

The queries on the hot paths (every append, every citizen read) are plain SQL on the
driver's own cursor, inside the same transaction: SQLAlchemy's statement building and
result processing cost more per statement than the query itself (benchmarks/results.json,
the append and the citizen reads). Statements are written with ``?`` placeholders.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

# SQLite allows 32,766 bound parameters; keep IN lists, and statements, well below.
_CHUNK = 900
_MAX_PARAMS = 30_000


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@lru_cache(maxsize=256)
def _format(sql: str) -> str:
    """Hot-path SQL is written with `?` placeholders; psycopg wants `%s`."""
    return sql.replace("?", "%s")


class Queries:
    """SQL on one transaction's connection (``conn``), through the driver's cursor where it counts."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._qmark = conn.dialect.paramstyle == "qmark"
        self._raw: Any = None

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor of the driver itself, on this transaction's connection, closed after use."""
        if self._raw is None:
            self._raw = self.conn.connection.driver_connection
        cursor = self._raw.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def _sql(self, sql: str) -> str:
        return sql if self._qmark else _format(sql)

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._cursor() as cursor:
            cursor.execute(self._sql(sql), params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._cursor() as cursor:
            cursor.execute(self._sql(sql), params)

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._cursor() as cursor:
            cursor.executemany(self._sql(sql), rows)
