"""Where the server's memory is: SQLite's own allocations and the C heap, for /metrics.

RSS alone cannot tell a leak from a cache filling up or a fragmented heap. SQLite's page caches
grow with the database up to `cache_size` per pooled connection (2 MiB by default), and glibc keeps
freed chunks inside its arenas; both are bounded. These gauges let an operator (and the mixed-load
benchmark) subtract them from RSS: what is left should stay flat under a steady load.

Both read counters of the C libraries through ctypes and are left out where they cannot be read
honestly: SQLite's counter only if the `sqlite3` module uses the shared libsqlite3 mapped in this
process (a statically linked copy keeps its own counter); the heap figures only on glibc 2.33+.
"""

from __future__ import annotations

import ctypes
import sqlite3  # noqa: F401 - loads the library whose counter is read
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _mapped_sqlite() -> str | None:
    """Path of the shared libsqlite3 mapped into this process, if any."""
    try:
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
            if "/libsqlite3.so" in path:
                return path
    except OSError:
        pass
    return None


@cache  # the libraries mapped into a process do not change: look once, not per app
def _sqlite_memory_used() -> ctypes._CFuncPtr | None:
    path = _mapped_sqlite()
    if path is None:
        return None
    try:
        function = ctypes.CDLL(path).sqlite3_memory_used
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_int64
    function.argtypes = []
    return function


@cache
def _mallinfo2() -> ctypes._CFuncPtr | None:
    try:  # the C library this process already runs on (no ldconfig lookup)
        function = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    function.restype = _MallInfo2
    function.argtypes = []
    return function


class MemoryCollector(Collector):
    """`saksi_sqlite_memory_bytes`, `saksi_heap_in_use_bytes`, `saksi_heap_free_bytes`, read at scrape time."""

    def __init__(self) -> None:
        self._sqlite = _sqlite_memory_used()
        self._mallinfo = _mallinfo2()

    def readings(self) -> dict[str, int]:
        """The figures this process can read: name -> bytes."""
        out: dict[str, int] = {}
        if self._sqlite is not None:
            out["sqlite"] = int(self._sqlite())
        if self._mallinfo is not None:
            info = self._mallinfo()
            out["heap_in_use"] = int(info.uordblks + info.hblkhd)
            out["heap_free"] = int(info.fordblks)
        return out

    def collect(self) -> Iterator[GaugeMetricFamily]:
        readings = self.readings()
        described = {
            "sqlite": ("saksi_sqlite_memory_bytes", "Memory held by SQLite (page caches, prepared statements)"),
            "heap_in_use": ("saksi_heap_in_use_bytes", "C heap in use (glibc malloc, all arenas and mmapped chunks)"),
            "heap_free": ("saksi_heap_free_bytes", "Freed C heap kept by glibc inside its arenas (fragmentation)"),
        }
        for key, (name, text) in described.items():
            if key in readings:
                yield GaugeMetricFamily(name, text, value=readings[key])
