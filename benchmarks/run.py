"""`make bench`: every benchmark of the issues, one table, one results file.

Each benchmark returns figures (name, value, unit, goal); the harness prints a
table and writes benchmarks/results.json with the commit and date. Timings are
medians or totals of bounded runs on this machine; they are figures to read,
never assertions (no timed tests).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    goal: str = ""
    note: str = ""


BENCHMARKS: dict[str, Callable[[argparse.Namespace], list[Figure]]] = {}


def benchmark(name: str):
    def register(fn):
        BENCHMARKS[name] = fn
        return fn

    return register


def _host() -> dict[str, object]:
    """The processor and core count (no host name: results.json is committed)."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cores": os.cpu_count()}


def _commit() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _sqlite_store(directory: str, synchronous: str = "FULL"):
    from ledger.storage.engine import DatabaseSettings, create_database_engine, upgrade
    from ledger.storage.sql import SqlStore

    engine = create_database_engine(DatabaseSettings(f"sqlite:///{directory}/bench.db", sqlite_synchronous=synchronous))
    upgrade(engine)
    return SqlStore(engine)


def _postgres_store():
    import uuid

    from sqlalchemy import create_engine, text

    from ledger.storage.engine import upgrade
    from ledger.storage.sql import SqlStore

    url = os.environ.get("SAKSI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)

    def drop():
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))

    return SqlStore(engine), drop


def _verified_rows(start: int, count: int):
    """Event rows as the append path writes them, with real leaf hashes."""
    from ledger.core import merkle
    from ledger.core.events import ServiceEvent
    from ledger.storage.sql import event_row

    rows = []
    for i in range(start, start + count):
        leaf = b"\x01" + i.to_bytes(32, "big") + bytes(65) + (1_764_000_000_000 + i).to_bytes(8, "big")
        event = ServiceEvent(
            event_id=f"ev-{i}",
            agency="dukcapil.jaksel",
            case_commitment=(i + 1).to_bytes(32, "big"),
            case_seq=1,
            prev_event_hash=bytes(32),
            event_type="application.submitted",
            summary="Permohonan KTP-el diterima di kantor kecamatan",
            occurred_at=1_764_000_000,
            payload_digest=bytes(32),
        )
        rows.append(event_row(i, event, bytes(65), bytes(20), 1_764_000_000_000 + i, merkle.leaf_hash(leaf)))
    return rows


def _append_rows(store, rows) -> None:
    from ledger.core.merkle import CompactRange

    with store.write() as tx:
        size = tx.tree_size()
        compact = CompactRange.from_nodes(size, tx.get_nodes)
        nodes = compact.extend(r["leaf_hash"] for r in rows)
        tx.insert_events(rows)
        tx.insert_nodes(nodes)
        tx.set_tree_size(size + len(rows))


@benchmark("append-verified")
def bench_append_verified(args) -> list[Figure]:
    """Already-verified leaves (event rows + tree nodes), batches of 1,000, durable commits."""
    total, batch = args.leaves, 1000
    figures = []
    for synchronous in ("FULL", "NORMAL"):
        with tempfile.TemporaryDirectory() as d:
            store = _sqlite_store(d, synchronous)
            batches = [_verified_rows(s, batch) for s in range(0, total, batch)]
            started = time.perf_counter()
            for rows in batches:
                _append_rows(store, rows)
            elapsed = time.perf_counter() - started
            figures.append(
                Figure(
                    f"append verified leaves, SQLite synchronous={synchronous}",
                    total / elapsed,
                    "leaves/s",
                    ">= 50,000",
                )
            )
    if not args.no_postgres:
        store, drop = _postgres_store()
        try:
            batches = [_verified_rows(s, batch) for s in range(0, total, batch)]
            started = time.perf_counter()
            for rows in batches:
                _append_rows(store, rows)
            figures.append(
                Figure("append verified leaves, PostgreSQL", total / (time.perf_counter() - started), "leaves/s")
            )
        finally:
            drop()
    return figures


def _signed_items(count: int, code: str = "dukcapil.jaksel"):
    from tests.factories import AgencyKey, CaseBuilder

    agency = AgencyKey(code)
    cases = [CaseBuilder(agency) for _ in range(count // 4)]
    items = []
    steps = [
        ("application.submitted", "Permohonan KTP-el diterima"),
        ("documents.verified", "Dokumen kependudukan diverifikasi"),
        ("biometrics.recorded", "Perekaman biometrik selesai"),
        ("document.issued", "KTP-el dicetak dan siap diambil"),
    ]
    for event_type, summary in steps:
        items += [c.next_item(event_type, summary) for c in cases]
    return agency, items


@benchmark("append-full")
def bench_append_full(args) -> list[Figure]:
    """The full append path: parse, EIP-712 hash, recover signer, idempotency, case heads, tree, commit."""
    from ledger.services.append import Appender
    from tests.factories import TEST_DOMAIN, FakeClock

    agency, items = _signed_items(args.events)
    figures = []
    targets = [("SQLite", None)] + ([] if args.no_postgres else [("PostgreSQL", "pg")])
    for label, kind in targets:
        drop = None
        with tempfile.TemporaryDirectory() as d:
            if kind == "pg":
                store, drop = _postgres_store()
            else:
                store = _sqlite_store(d)
            with store.write() as tx:
                tx.register_agency(agency.code, agency.name, agency.address, at=0)
            appender = Appender(store, TEST_DOMAIN, FakeClock())
            started = time.perf_counter()
            cpu_started = time.process_time()
            for start in range(0, len(items), 1000):
                outcomes = appender.submit(items[start : start + 1000])
                assert all(getattr(o, "created", False) for o in outcomes), outcomes[:3]
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            figures.append(
                Figure(
                    f"full append path with signature recovery, {label}",
                    len(items) / elapsed,
                    "events/s",
                    ">= 5,000",
                    f"{len(items) / cpu:,.0f} events per CPU-second",
                )
            )
            if drop:
                drop()
    # the CPU part alone, outside the transaction
    started = time.perf_counter()
    for start in range(0, 5000, 1000):
        appender.parse(items[start : start + 1000])
    figures.append(
        Figure("parse + EIP-712 + signature recovery only", 5000 / (time.perf_counter() - started), "events/s")
    )
    return figures


@benchmark("proofs")
def bench_proofs(args) -> list[Figure]:
    """Inclusion and consistency proofs from storage at tree size 1,000,000 (SQLite)."""
    from ledger.services.proofs import consistency_proof, inclusion_proof

    size = args.proof_tree
    with tempfile.TemporaryDirectory() as d:
        store = _sqlite_store(d, "NORMAL")
        for start in range(0, size, 10_000):
            _append_rows(store, _verified_rows(start, min(10_000, size - start)))
        import random

        rng = random.Random(7)
        timings = []
        with store.read() as reader:
            for _ in range(2000):
                index = rng.randrange(size)
                t0 = time.perf_counter()
                inclusion_proof(reader, index, size)
                timings.append(time.perf_counter() - t0)
            timings.sort()
            consistency = []
            for _ in range(500):
                old = rng.randrange(1, size)
                t0 = time.perf_counter()
                consistency_proof(reader, old, size)
                consistency.append(time.perf_counter() - t0)
            consistency.sort()
    return [
        Figure(f"inclusion proof at tree size {size:,}, median", timings[len(timings) // 2] * 1000, "ms", "<= 1 ms"),
        Figure(f"inclusion proof at tree size {size:,}, p99", timings[int(len(timings) * 0.99)] * 1000, "ms"),
        Figure(f"consistency proof at tree size {size:,}, median", consistency[len(consistency) // 2] * 1000, "ms"),
    ]


@benchmark("merkle-vs-pymerkle")
def bench_pymerkle(args) -> list[Figure]:
    """In-memory proof generation and verification against pymerkle on the same leaves, when installed."""
    from ledger.core import merkle

    n = 100_000
    leaves = [i.to_bytes(8, "big") for i in range(n)]
    t0 = time.perf_counter()
    tree = merkle.MemoryTree(merkle.leaf_hash(x) for x in leaves)
    build = time.perf_counter() - t0
    root = tree.root()
    t0 = time.perf_counter()
    for i in range(0, n, 97):
        merkle.verify_inclusion(i, n, merkle.leaf_hash(leaves[i]), tree.inclusion_proof(i), root)
    ours = (time.perf_counter() - t0) / len(range(0, n, 97))
    figures = [
        Figure(f"saksi: build in-memory tree of {n:,} leaves", build * 1000, "ms"),
        Figure("saksi: inclusion proof + verify", ours * 1e6, "µs"),
    ]
    try:
        from pymerkle import InmemoryTree, verify_inclusion
    except ImportError:
        figures.append(Figure("pymerkle", 0, "-", note="pymerkle not installed"))
        return figures
    t0 = time.perf_counter()
    ptree = InmemoryTree(algorithm="sha256")
    for x in leaves:
        ptree.append_entry(x)
    pbuild = time.perf_counter() - t0
    proot = ptree.get_root() if hasattr(ptree, "get_root") else ptree.get_state()
    assert proot == root, "pymerkle disagrees with RFC 9162"
    t0 = time.perf_counter()
    for i in range(0, n, 97):
        proof = ptree.prove_inclusion(i + 1)
        verify_inclusion(ptree.get_leaf(i + 1), proot, proof)
    theirs = (time.perf_counter() - t0) / len(range(0, n, 97))
    figures += [
        Figure(
            f"pymerkle: build in-memory tree of {n:,} leaves",
            pbuild * 1000,
            "ms",
            note=f"saksi {pbuild / build:.1f}x faster",
        ),
        Figure("pymerkle: inclusion proof + verify", theirs * 1e6, "µs", note=f"saksi {theirs / ours:.1f}x faster"),
    ]
    return figures


@benchmark("audit")
def bench_audit(args) -> list[Figure]:
    """Full audit of a real ledger (signed events appended through the append path) on SQLite."""
    from ledger.audit.run import Auditor
    from ledger.services.append import Appender
    from tests.factories import TEST_DOMAIN, FakeClock

    agency, items = _signed_items(args.audit_events)
    figures = []
    with tempfile.TemporaryDirectory() as d:
        store = _sqlite_store(d, "NORMAL")
        with store.write() as tx:
            tx.register_agency(agency.code, agency.name, agency.address, at=0)
        clock = FakeClock()
        appender = Appender(store, TEST_DOMAIN, clock)
        for start in range(0, len(items), 1000):
            appender.submit(items[start : start + 1000])
        n = len(items)
        for verify in (True, False):
            started = time.perf_counter()
            report = Auditor(store, TEST_DOMAIN, clock, verify_signatures=verify, max_unanchored_lag_s=1e12).run()
            elapsed = time.perf_counter() - started
            assert report.clean, report.counts()
            cursor = report.cursor
            per_million = elapsed * 1_000_000 / n
            figures.append(
                Figure(
                    f"full audit of {n:,} events, signatures {'rechecked' if verify else 'not rechecked'}",
                    elapsed,
                    "s",
                    "<= 60 s / 1M" if verify else "<= 15 s / 1M",
                    f"{per_million:.1f} s per 1,000,000 events (linear)",
                )
            )
        # incremental: 10,000 new events (another office) after a clean full audit
        office, batch = _signed_items(10_000, "dukcapil.jaktim")
        with store.write() as tx:
            tx.register_agency(office.code, office.code, office.address, at=0)
        for start in range(0, len(batch), 1000):
            assert all(getattr(o, "created", False) for o in appender.submit(batch[start : start + 1000]))
        started = time.perf_counter()
        report = Auditor(store, TEST_DOMAIN, clock, max_unanchored_lag_s=1e12).run(cursor)
        elapsed = time.perf_counter() - started
        assert report.clean, report.counts()
        figures.append(
            Figure(
                "incremental audit of 10,000 new events, signatures rechecked",
                elapsed,
                "s",
                "<= 2 s",
                f"resumes at leaf {cursor.boundary:,}; {report.events_checked:,} events read from that page boundary",
            )
        )
    return figures


def _service(name: str, function_name: str, doc: str):
    """Register a benchmark of benchmarks/service.py (real `saksi serve` processes, load from another process)."""

    def run_service(args) -> list[Figure]:
        from benchmarks import service

        return [Figure(**f) for f in getattr(service, function_name)(args)]

    run_service.__doc__ = doc
    BENCHMARKS[name] = run_service


_service(
    "http-ingest",
    "bench_http_ingest",
    "Sustained ingest through POST /v1/events, anchoring running (SQLite, PostgreSQL)",
)
_service("latency", "bench_latency", "Single-event POST p50/p99 at a steady 200 events/s")
_service("timeline-1m", "bench_timeline_1m", "Case timeline GET p99 with 1,000,000 events stored")
_service("load", "bench_load", "Mixed load: 500 events/s with 200 citizen reads/s; errors, p99, RSS")
_service(
    "submit-onboarding",
    "bench_submit_onboarding",
    "Bulk onboarding of new cases with saksi submit, citizens' rate limit at its default (120/min)",
)
_service("gas", "bench_gas", "Gas per anchor vs one slot per event and EAS attest(), on one anvil")


@benchmark("tiles")
def bench_tiles(args) -> list[Figure]:
    """tlog-tiles tiles served per second by one saksi serve (benchmarks/bench_tiles.py)"""
    from benchmarks import bench_tiles as tiles

    return [Figure(**f) for f in tiles.bench_tiles(args)]


@benchmark("witnessing")
def bench_witnessing(args) -> list[Figure]:
    """Ingest with and without witnesses, event -> 2-of-3 quorum, tlog-proof size (benchmarks/bench_witnessing.py)"""
    from benchmarks import bench_witnessing as witnessing

    return [Figure(**f) for f in witnessing.bench_witnessing(args)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"))
    parser.add_argument("--leaves", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--proof-tree", type=int, default=1_000_000)
    parser.add_argument("--audit-events", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    from benchmarks import service

    service.add_arguments(parser)
    from benchmarks import bench_tiles

    bench_tiles.add_arguments(parser)
    from benchmarks import bench_witnessing

    bench_witnessing.add_arguments(parser)
    args = parser.parse_args()
    names = args.names or list(BENCHMARKS)
    results = []
    for name in names:
        # Start each benchmark with the disk quiet: the 1M-event build of timeline-1m leaves ~500 MiB
        # to write back (and, on a filesystem mounted with `discard`, to trim once deleted); on one
        # machine the fsyncs of the next benchmark (the mixed load) waited behind it and its p99 went
        # from 60-80 ms to 1.2 s. sync, then wait until a small fsync is fast again.
        waited, probe = service.wait_for_quiet_disk()
        speed = service.cpu_probe()
        print(
            f"== {name} (disk quiet after {waited:.1f} s: fsync p50 {probe['p50_ms']:.1f} ms, "
            f"max {probe['max_ms']:.1f} ms; CPU probe {speed:.0f} ms)",
            flush=True,
        )
        # results.json keeps each benchmark's figures until it is run again: say with each figure
        # when and on what it was measured, so that figures of different hosts are not compared blind
        host = {**_host(), "cpuProbeMs": round(speed, 1), "fsyncP50Ms": round(probe["p50_ms"], 2)}
        date = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for fig in BENCHMARKS[name](args):
            print(f"   {fig.name:<62} {fig.value:>14,.3f} {fig.unit:<9} {fig.goal:<12} {fig.note}", flush=True)
            results.append({"benchmark": name, **asdict(fig), "date": date, "host": host})
    out = Path(args.out)
    previous = json.loads(out.read_text()) if out.exists() else {"figures": []}
    kept = [f for f in previous.get("figures", []) if f["benchmark"] not in names]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "commit": _commit(),
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": f"{os.cpu_count()} cores",
                "figures": kept + [{**r, "commit": _commit()} for r in results],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
