"""Public statistics of the log: volumes per agency and day, cases, time to completion per service,
complaints open and resolved.

`GET /v1/stats` is public and unauthenticated. Computed the obvious way (every event row into
Python on every request) one request read the whole log into memory, and anyone could ask in a
loop; grouping the whole table in the database instead was still a scan of the whole log per
request. The log is append-only, so the aggregates are kept instead (benchmarks/results.json,
`timeline-1m`: the first fold of a million events, and GET /v1/stats after it):
`LogStats` folds in only the leaves appended since its last refresh (range scans by leaf index
and index lookups, a bounded number of leaves per read transaction), and `StatsCache` lets that
happen at most once per `max_age_ms` however many ask. The counts are exact for the tree size
reported; times to completion are within one 0.01-day bucket (SPAN_BUCKET_S).

Definitions (docs/FORMATS.md §11): a case is opened by its caseSeq-1 event, and belongs to that
event's agency; it is done at its first terminal event in caseSeq order, and its time to
completion runs from the opening event's occurredAt to the terminal event's; a complaint case is
one opened by `complaint.filed`, resolved once it has a `complaint.resolved` event.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ledger.storage.sql import Reader

TERMINAL_EVENT_TYPES = frozenset(
    {"document.issued", "application.rejected", "application.withdrawn", "complaint.resolved", "case.closed"}
)
SERVICE_OF_AGENCY = {"dukcapil": "ktp", "polri": "sim", "imigrasi": "paspor", "pemkot": "pengaduan"}
DAY_S = 86_400
# Times to completion are counted in buckets of 0.01 day (864 s), the precision they are published
# in, each with the sum of its cases' exact times: a bucket stands for its cases' mean, so a median
# or p90 is within one bucket (0.01 day) of the exact one, and exact when a bucket's times are equal
# (complaints answered within the second they were filed are 0 days, not half a bucket).
SPAN_BUCKET_S = 864


def service_of(agency: str) -> str:
    """The public service an agency's cases belong to, by its institution prefix."""
    prefix = agency.split(".", 1)[0]
    return SERVICE_OF_AGENCY.get(prefix, prefix)


@dataclass(frozen=True)
class StatsSnapshot:
    """The published figures as of one tree size, and when they were computed (unix ms)."""

    tree_size: int
    computed_at: int
    body: dict[str, Any]


@dataclass
class Aggregates:
    """The running totals over leaves [0, size); `fold` extends them to a larger size."""

    size: int = 0
    volumes: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    cases: int = 0
    complaints_filed: int = 0
    complaints_resolved: int = 0
    # service -> bucket -> [cases, their seconds summed]
    durations: dict[str, dict[int, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0, 0]))
    )

    def fold(self, reader: Reader, end: int) -> None:
        """Add leaves [size, end) as `reader` sees them (end at most its tree size). All or nothing:
        the totals change only once every query has answered."""
        if end <= self.size:
            return
        volumes, done, resolved = reader.stats_of_range(self.size, end, TERMINAL_EVENT_TYPES, SPAN_BUCKET_S)
        for agency, day, count, opened, complaints in volumes:
            self.volumes[(agency, day)] += count
            self.cases += opened
            self.complaints_filed += complaints
        for agency, bucket, count, seconds in done:
            counted = self.durations[service_of(agency)][bucket]
            counted[0] += count
            counted[1] += int(seconds)  # PostgreSQL sums bigints as numeric
        self.complaints_resolved += resolved
        self.size = end

    def body(self) -> dict[str, Any]:
        volumes = sorted(
            (agency, service_of(agency), _iso_day(day), count) for (agency, day), count in self.volumes.items()
        )
        completion = {}
        for service, histogram in sorted(self.durations.items()):
            counts = sorted(histogram.items())
            completion[service] = {
                "cases": sum(count for _, (count, _) in counts),
                "medianDays": round(_percentile(counts, 0.5), 2),
                "p90Days": round(_percentile(counts, 0.9), 2),
            }
        return {
            "volumes": [{"agency": a, "service": s, "day": d, "events": n} for a, s, d, n in volumes],
            "timeToCompletion": completion,
            "complaints": {
                "open": self.complaints_filed - self.complaints_resolved,
                "resolved": self.complaints_resolved,
            },
            "cases": self.cases,
        }


class LogStats:
    """The aggregates of one store, kept up to date by folding in what was appended since."""

    def __init__(self, store: Any, clock_ms: Callable[[], int], chunk: int = 50_000) -> None:
        self.store = store
        self.clock_ms = clock_ms
        # leaves per read transaction: a long read would hold SQLite's write-ahead log from being
        # restarted (and PostgreSQL's vacuum) while the first fold of a large log runs
        self.chunk = chunk
        self.aggregates = Aggregates()

    def snapshot(self) -> StatsSnapshot:
        """Fold in every leaf up to the current tree size; the figures as of that size."""
        with self.store.read() as reader:
            target = reader.tree_size()
        while self.aggregates.size < target:
            with self.store.read() as reader:
                self.aggregates.fold(reader, min(target, self.aggregates.size + self.chunk))
        return StatsSnapshot(self.aggregates.size, self.clock_ms(), self.aggregates.body())


def _iso_day(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def _percentile(histogram: list[tuple[int, list[int]]], q: float) -> float:
    """The q-quantile in days of the durations a sorted (bucket, [cases, seconds]) histogram holds,
    interpolated between the two nearest durations as numpy's default does (q = 0.5 is the median)."""
    total = sum(count for _, (count, _) in histogram)
    position = q * (total - 1)
    low = int(position)
    low_value = _value_at(histogram, low)
    high_value = _value_at(histogram, min(low + 1, total - 1))
    return low_value + (high_value - low_value) * (position - low)


def _value_at(histogram: list[tuple[int, list[int]]], index: int) -> float:
    """The index-th smallest duration (0-based), in days, as the mean of its bucket."""
    for _, (count, seconds) in histogram:
        if index < count:
            return seconds / count / DAY_S
        index -= count
    raise IndexError(index)


class StatsCache:
    """At most one refresh per `max_age_ms`, whoever asks and however often.

    A caller finding the snapshot fresh takes it. One finding it stale computes a new one, unless
    another caller already is: then it takes the stale snapshot rather than wait (and rather than
    hold one of the server's few worker threads). Only before the first snapshot exists do callers
    wait for the one computation in progress.
    """

    def __init__(
        self, compute_snapshot: Callable[[], StatsSnapshot], clock_ms: Callable[[], int], max_age_ms: int
    ) -> None:
        self.compute_snapshot = compute_snapshot
        self.clock_ms = clock_ms
        self.max_age_ms = max_age_ms
        self._computing = threading.Lock()
        self._snapshot: StatsSnapshot | None = None

    def get(self, max_age_ms: int | None = None) -> StatsSnapshot:
        """The snapshot, refreshed first if it is `max_age_ms` (default: the cache's) old or older."""
        age = self.max_age_ms if max_age_ms is None else max_age_ms
        snapshot = self._snapshot
        if snapshot is not None and not self._stale(snapshot, age):
            return snapshot
        if not self._computing.acquire(blocking=snapshot is None):
            return snapshot  # type: ignore[return-value] - someone is refreshing it; serve the stale one
        try:
            if self._snapshot is None or self._stale(self._snapshot, age):  # not refreshed while we waited
                self._snapshot = self.compute_snapshot()
            return self._snapshot
        finally:
            self._computing.release()

    def _stale(self, snapshot: StatsSnapshot, max_age_ms: int) -> bool:
        return self.clock_ms() - snapshot.computed_at >= max_age_ms
