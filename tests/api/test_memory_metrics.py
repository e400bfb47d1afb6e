"""The memory gauges of /metrics read the real counters of SQLite and glibc."""

from __future__ import annotations

import sqlite3
import sys

import pytest

from api.memory import MemoryCollector

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc")


def test_sqlite_gauge_follows_sqlite_allocations():
    collector = MemoryCollector()
    if "sqlite" not in collector.readings():
        pytest.skip("the sqlite3 module is not linked to a shared libsqlite3 here")
    before = collector.readings()["sqlite"]
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE TABLE t (b BLOB)")
        connection.executemany("INSERT INTO t VALUES (?)", [(bytes(1000),)] * 2000)  # ~2 MB of pages
        during = collector.readings()["sqlite"]
    finally:
        connection.close()
    after = collector.readings()["sqlite"]
    assert during - before > 1_500_000
    assert during - after > 1_500_000  # closing the database gives it back


def test_heap_gauges_follow_malloc():
    collector = MemoryCollector()
    readings = collector.readings()
    if "heap_in_use" not in readings:
        pytest.skip("no glibc mallinfo2 here")
    block = bytearray(8 << 20)  # above the mmap threshold: an mmapped chunk counted as in use
    grown = collector.readings()["heap_in_use"]
    del block
    assert grown - readings["heap_in_use"] >= 8 << 20
    assert readings["heap_free"] >= 0


def test_metrics_lists_the_gauges_it_can_read():
    from prometheus_client import generate_latest

    from api.metrics import Metrics

    metrics = Metrics()
    text = generate_latest(metrics.registry).decode()
    assert "process_resident_memory_bytes" in text
    for key, name in (
        ("sqlite", "saksi_sqlite_memory_bytes"),
        ("heap_in_use", "saksi_heap_in_use_bytes"),
        ("heap_free", "saksi_heap_free_bytes"),
    ):
        assert (name in text) == (key in metrics.memory.readings())
