"""The background thread of `saksi serve`: registry mirror, anchoring worker and statistics, each
tick, a failure in one never stopping the others or the loop."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from ledger.runtime import run_background


def test_each_tick_syncs_anchors_and_refreshes_statistics_and_survives_failures(caplog):
    calls: list[str] = []
    stop = threading.Event()

    class Mirror:
        def sync(self) -> None:
            calls.append("sync")

    class Worker:
        def tick(self) -> object:
            calls.append("tick")
            return object()

    class Ledger:
        def refresh_stats(self) -> None:
            calls.append("stats")
            if calls.count("stats") == 1:
                raise RuntimeError("database unavailable")
            stop.set()

    runtime = SimpleNamespace(workers=[Mirror(), Worker()], ledger=Ledger())
    run_background(runtime, stop, interval_s=0)
    assert calls == ["sync", "tick", "stats"] * 2
    assert "statistics refresh failed" in caplog.text
