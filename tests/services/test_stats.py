"""Public statistics: the aggregates folded forward leaf range by leaf range against a plain per-event
computation, on SQLite and PostgreSQL; and the cache that bounds how often they are refreshed."""

from __future__ import annotations

import random
import statistics
import threading
from collections import defaultdict
from typing import Any

import pytest

from ledger.errors import StorageUnavailable
from ledger.services.stats import (
    SPAN_BUCKET_S,
    TERMINAL_EVENT_TYPES,
    Aggregates,
    LogStats,
    StatsCache,
    StatsSnapshot,
    service_of,
)
from tests.factories import FakeClock

AGENCIES = ["dukcapil.jaksel", "dukcapil.kupang", "polri.satpas-bandung", "pemkot.kupang", "bpn.jakarta"]
MIDDLE_TYPES = ["application.submitted", "documents.verified", "biometrics.captured", "complaint.answered"]


def _random_log(seed: int, cases: int) -> list[dict[str, Any]]:
    """Event rows of `cases` cases: 1-6 events each over a few days, some finished, some complaints."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for n in range(cases):
        commitment = rng.randbytes(32)
        opener = rng.choice(AGENCIES)
        at = 1_767_225_600 + rng.randrange(0, 20 * 86_400)  # January 2026
        complaint = rng.random() < 0.2
        steps = rng.randint(1, 6)
        for seq in range(1, steps + 1):
            if complaint:
                kind = "complaint.filed" if seq == 1 else rng.choice(["complaint.answered", "complaint.resolved"])
            else:
                kind = rng.choice(MIDDLE_TYPES + sorted(TERMINAL_EVENT_TYPES) if seq > 1 else MIDDLE_TYPES)
            rows.append(
                {
                    "leaf_index": len(rows),
                    "agency": opener if seq == 1 or rng.random() < 0.8 else rng.choice(AGENCIES),
                    "event_id": f"E-{n}-{seq}",
                    "case_commitment": commitment,
                    "case_seq": seq,
                    "prev_event_hash": bytes(32),
                    "event_type": kind,
                    "summary": "s",
                    "occurred_at": at,
                    "payload_digest": bytes(32),
                    "signature": bytes(65),
                    "signer": bytes(20),
                    "received_at": 0,
                    "leaf_hash": bytes(32),
                }
            )
            # now and then an event dated before the previous one (a late entry of an earlier step)
            at += rng.randrange(600, 3 * 86_400) if rng.random() > 0.05 else -rng.randrange(1, 2 * 86_400)
    rng.shuffle(rows)  # leaf order is not case order
    for index, row in enumerate(rows):
        row["leaf_index"] = index
    return rows


def _reference(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the statistics mean (docs/FORMATS.md §11), computed row by row in Python."""
    import datetime as dt

    volumes: dict[tuple[str, str, str], int] = defaultdict(int)
    by_case: dict[bytes, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        day = dt.datetime.fromtimestamp(row["occurred_at"], dt.UTC).date().isoformat()
        volumes[(row["agency"], service_of(row["agency"]), day)] += 1
        by_case[row["case_commitment"]].append(row)
    durations: dict[str, list[float]] = defaultdict(list)
    open_ = resolved = 0
    for case in by_case.values():
        case.sort(key=lambda r: r["case_seq"])
        opening = case[0]
        types = [r["event_type"] for r in case]
        if opening["event_type"] == "complaint.filed":
            resolved += "complaint.resolved" in types
            open_ += "complaint.resolved" not in types
        done = next((r for r in case if r["event_type"] in TERMINAL_EVENT_TYPES), None)
        if done is not None:
            span = max(0, done["occurred_at"] - opening["occurred_at"])
            durations[service_of(opening["agency"])].append(span / 86_400)
    return {
        "volumes": [{"agency": a, "service": s, "day": d, "events": n} for (a, s, d), n in sorted(volumes.items())],
        "durations": durations,
        "complaints": {"open": open_, "resolved": resolved},
        "cases": len(by_case),
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _insert(store, rows: list[dict[str, Any]]) -> None:
    with store.write() as tx:
        size = tx.tree_size()
        tx.insert_events([{**row, "leaf_index": size + i} for i, row in enumerate(rows)])
        tx.set_tree_size(size + len(rows))


def _check(body: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    expected = _reference(rows)
    assert body["volumes"] == expected["volumes"]
    assert body["complaints"] == expected["complaints"]
    assert body["cases"] == expected["cases"]
    assert set(body["timeToCompletion"]) == set(expected["durations"])
    # durations are counted in 0.01-day buckets, each standing for its cases' mean: within a bucket
    # of the exact quantile, plus the rounding of both to 0.01
    tolerance = SPAN_BUCKET_S / 86_400 + 0.01 + 1e-9
    for service, days in expected["durations"].items():
        published = body["timeToCompletion"][service]
        assert published["cases"] == len(days)
        assert published["medianDays"] == pytest.approx(statistics.median(days), abs=tolerance)
        assert published["p90Days"] == pytest.approx(_quantile(days, 0.9), abs=tolerance)


@pytest.mark.parametrize("seed", [1, 2])
def test_folded_aggregates_match_a_row_by_row_computation(store, seed):
    rows = _random_log(seed, 400)
    _insert(store, rows)
    clock = FakeClock()
    snapshot = LogStats(store, clock, chunk=97).snapshot()  # many folds, cases split across them
    assert (snapshot.tree_size, snapshot.computed_at) == (len(rows), clock())
    _check(snapshot.body, rows)
    assert snapshot.body["cases"] == 400 and sum(snapshot.body["complaints"].values()) > 10
    assert set(snapshot.body["timeToCompletion"]) == {"ktp", "sim", "pengaduan", "bpn"}


def test_appends_are_folded_in_and_cases_finish_across_refreshes(store):
    rows = _random_log(3, 300)
    # the log grows in three steps; later steps finish and resolve cases opened in earlier ones
    rows.sort(key=lambda r: r["case_seq"])
    stats = LogStats(store, FakeClock(), chunk=64)
    seen: list[dict[str, Any]] = []
    for part in (rows[:250], rows[250:600], rows[600:]):
        _insert(store, part)
        seen += part
        _check(stats.snapshot().body, seen)
    assert stats.aggregates.size == len(rows)


def test_a_fold_that_fails_changes_nothing(store):
    rows = _random_log(4, 50)
    _insert(store, rows)
    aggregates = Aggregates()

    class Unavailable:
        def stats_of_range(self, *args):
            raise StorageUnavailable("database unavailable: connection lost")

    with pytest.raises(StorageUnavailable):
        aggregates.fold(Unavailable(), len(rows))
    assert aggregates.size == 0 and aggregates.body() == Aggregates().body()
    with store.read() as reader:
        aggregates.fold(reader, len(rows))
    _check(aggregates.body(), rows)


def test_empty_log(store):
    body = LogStats(store, FakeClock()).snapshot().body
    assert body == {"volumes": [], "timeToCompletion": {}, "complaints": {"open": 0, "resolved": 0}, "cases": 0}


def test_quantiles_from_a_histogram():
    # two cases of 0 s, one of 1 day + 432 s (bucket 100), one of 3 days (bucket 300)
    aggregates = Aggregates()
    aggregates.durations["ktp"].update({0: [2, 0], 100: [1, 86_400 + 432], 300: [1, 3 * 86_400]})
    # complaints answered within the second: 0 days, exactly (a bucket stands for its cases' mean)
    aggregates.durations["pengaduan"][0] = [5, 0]
    completion = aggregates.body()["timeToCompletion"]
    assert completion["pengaduan"] == {"cases": 5, "medianDays": 0.0, "p90Days": 0.0}
    ktp = completion["ktp"]
    assert ktp["cases"] == 4
    assert ktp["medianDays"] == pytest.approx((0 + 1.005) / 2, abs=0.006)  # 0.5025, rounded to 2 places
    assert ktp["p90Days"] == pytest.approx(1.005 + 0.7 * (3 - 1.005), abs=0.006)  # position 2.7 of 0..3


class _Counting:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls = 0
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def __call__(self) -> StatsSnapshot:
        self.calls += 1
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        return StatsSnapshot(self.calls, self.clock(), {"n": self.calls})


def test_cache_computes_at_most_once_per_max_age():
    clock = FakeClock()
    compute_snapshot = _Counting(clock)
    cache = StatsCache(compute_snapshot, clock, max_age_ms=60_000)
    assert cache.get().body == {"n": 1}
    clock.advance(59_999)
    assert [cache.get().body for _ in range(5)] == [{"n": 1}] * 5
    clock.advance(1)
    assert cache.get().body == {"n": 2} and compute_snapshot.calls == 2
    # the server's background thread refreshes at half the age, before a request would have to
    clock.advance(29_999)
    assert cache.get(max_age_ms=30_000).body == {"n": 2}
    clock.advance(1)
    assert cache.get(max_age_ms=30_000).body == {"n": 3}
    assert cache.get().body == {"n": 3} and compute_snapshot.calls == 3


def test_stale_snapshot_is_served_while_one_caller_refreshes_it():
    clock = FakeClock()
    compute_snapshot = _Counting(clock)
    cache = StatsCache(compute_snapshot, clock, max_age_ms=1000)
    cache.get()
    clock.advance(1000)
    compute_snapshot.gate = threading.Event()
    compute_snapshot.entered.clear()
    refresher = threading.Thread(target=cache.get)
    refresher.start()
    assert compute_snapshot.entered.wait(10)
    assert cache.get().body == {"n": 1}  # not blocked behind the refresh
    compute_snapshot.gate.set()
    refresher.join(10)
    assert cache.get().body == {"n": 2} and compute_snapshot.calls == 2


def test_first_callers_wait_for_one_computation():
    clock = FakeClock()
    compute_snapshot = _Counting(clock)
    compute_snapshot.gate = threading.Event()
    cache = StatsCache(compute_snapshot, clock, max_age_ms=1000)
    results: list[dict] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get().body)) for _ in range(4)]
    for thread in threads:
        thread.start()
    assert compute_snapshot.entered.wait(10)
    compute_snapshot.gate.set()
    for thread in threads:
        thread.join(10)
    assert results == [{"n": 1}] * 4 and compute_snapshot.calls == 1


def test_a_failed_computation_is_retried_by_the_next_caller():
    clock = FakeClock()
    outcomes = iter([RuntimeError("database unavailable"), StatsSnapshot(1, 0, {"ok": True})])

    def flaky() -> StatsSnapshot:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    cache = StatsCache(flaky, clock, max_age_ms=1000)
    with pytest.raises(RuntimeError):
        cache.get()
    assert cache.get().body == {"ok": True}
