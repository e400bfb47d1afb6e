"""The benchmark harness's own arithmetic: the figures in benchmarks/results.json rest on it."""

from __future__ import annotations

import math

import pytest

from benchmarks.service import _slope_per_minute, fsync_probe, percentile, stall_note


def test_percentile_picks_the_nearest_rank_and_nan_for_nothing() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 51.0
    assert percentile(values, 0.99) == 100.0
    assert percentile([3.0], 0.99) == 3.0
    assert math.isnan(percentile([], 0.5))


@pytest.mark.parametrize(
    ("points", "slope"),
    [
        ([(0.0, 100.0), (60.0, 102.0), (120.0, 104.0)], 2.0),  # 2 MiB per minute
        ([(t, 150.0) for t in range(0, 300, 1)], 0.0),  # flat
        ([(10.0, 150.0)], 0.0),  # one sample: no slope
        ([(5.0, 150.0), (5.0, 160.0)], 0.0),  # no spread in time
    ],
)
def test_rss_slope_is_mib_per_minute(points: list[tuple[float, float]], slope: float) -> None:
    assert _slope_per_minute(points) == pytest.approx(slope)


def test_fsync_probe_reports_milliseconds() -> None:
    probe = fsync_probe(samples=3)
    assert 0 < probe["p50_ms"] <= probe["max_ms"]


def test_parse_memory_gauges():
    from benchmarks.service import parse_memory_gauges

    page = (
        "# HELP saksi_sqlite_memory_bytes Memory held by SQLite\n"
        "# TYPE saksi_sqlite_memory_bytes gauge\n"
        "saksi_sqlite_memory_bytes 2097152.0\n"
        "saksi_heap_in_use_bytes 9.0e+06\n"
        "saksi_heap_free_bytes 1.048576e+06\n"
    )
    assert parse_memory_gauges(page) == (2.0, 1.0)
    assert parse_memory_gauges("saksi_sqlite_memory_bytes 1\n") is None


def test_cpu_probe_times_the_loop():
    from benchmarks.service import cpu_probe

    assert 0 < cpu_probe(rounds=1) < 60_000


def test_stall_note_names_the_worst_seconds_in_run_order() -> None:
    assert stall_note({}) == "no request over 100 ms"
    # keys arrive as strings after the client's JSON; the five worst are listed by time
    stalls = {"3": 0.15, "70": 0.41, "12": 0.9, "5": 0.12, "40": 0.2, "41": 0.3}
    assert stall_note(stalls) == (
        "requests over 100 ms in 6 seconds of the run; worst 150 ms at 3 s, 900 ms at 12 s, 200 ms at 40 s, "
        "300 ms at 41 s, 410 ms at 70 s"
    )


def test_host_watch_reports_the_disk_and_the_scheduler_from_its_own_process(tmp_path) -> None:
    import time

    from benchmarks.service import HostWatch

    with HostWatch(tmp_path) as watch:
        time.sleep(0.5)
    assert watch.fsync and watch.oversleep  # seconds of the run -> worst value
    assert all(v >= 0 for v in [*watch.fsync.values(), *watch.oversleep.values()])
    assert watch.note().startswith("host watch: fsync ")
    assert not list(tmp_path.iterdir())  # its probe file is gone
    watch.fsync, watch.oversleep = {3: 0.2, 4: 0.01}, {0: 0.001}
    assert watch.note() == "host watch: fsync over 50 ms in 1 seconds (200 ms at 3 s); oversleep max 1 ms"
