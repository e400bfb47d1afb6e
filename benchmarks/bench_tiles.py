"""tlog-tiles read throughput: tiles served per second by one `saksi serve` process (issue 18: >= 5,000/s).

A fresh data directory (`init` on the embedded chain, which makes the log key) gets a log seeded straight
into its database (tests.seeded_log: real leaves and nodes, a checkpoint signed by the data directory's own
log key), then `saksi serve --no-workers` serves it and a client in a process of its own (asyncio,
keep-alive HTTP/1.1 connections, many requests in flight) fetches: first every tile and entry bundle of
the checkpoint once (cold: each one read from the database), then tiles picked at random for a fixed
time (warm: what a CDN in front, or many clients following the log, ask for). Level-0 tiles, the upper
levels' tiles and entry bundles are mixed as a tlog-tiles client asks for them (proofs: mostly hashes).

Run alone: ``python benchmarks/bench_tiles.py [--tiles-leaves N] [--tiles-seconds S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.service import PASSWORD, TRANSPORT_ERRORS, HttpPool, Server, figure, percentile  # noqa: E402


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("tlog-tiles benchmark (benchmarks/bench_tiles.py)")
    group.add_argument("--tiles-leaves", type=int, help="leaves in the served log (default 131,072 + 300)")
    group.add_argument("--tiles-seconds", type=float, help="duration of the warm run (default 15)")
    group.add_argument("--tiles-concurrency", type=int, help="requests in flight (default 64)")


def _opt(args: argparse.Namespace | None, name: str, default: Any) -> Any:
    value = getattr(args, name, None) if args is not None else None
    return default if value is None else value


@contextlib.contextmanager
def _serve_args(extra: str):
    previous = os.environ.get("SAKSI_BENCH_SERVE_ARGS")
    os.environ["SAKSI_BENCH_SERVE_ARGS"] = extra
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SAKSI_BENCH_SERVE_ARGS", None)
        else:
            os.environ["SAKSI_BENCH_SERVE_ARGS"] = previous


def seed(work: Path, leaves: int) -> tuple[Path, list[str]]:
    """A data directory whose log has `leaves` leaves under one signed checkpoint; its tile paths."""
    from ledger.core.tiles import full_tiles, partial_tiles
    from ledger.keys import read_note_keystore
    from ledger.runtime import init_data_dir, log_keystore, open_store
    from tests.seeded_log import SeededLog

    settings = init_data_dir(work / "data", PASSWORD)
    signer = read_note_keystore(log_keystore(settings), PASSWORD)
    store = open_store(settings)
    try:
        log = SeededLog(store, settings.domain)
        for start in range(0, leaves, 20_000):
            log.grow(min(20_000, leaves - start))
        log.checkpoint(signer)
    finally:
        store.close()
    tiles = [*full_tiles(0, leaves), *partial_tiles(leaves)]
    return work / "data", ["/tlog/" + tile.path() for tile in tiles]


def bench_tiles(args: argparse.Namespace | None = None) -> list[dict[str, Any]]:
    leaves = _opt(args, "tiles_leaves", 131_072 + 300)
    seconds = _opt(args, "tiles_seconds", 15.0)
    concurrency = _opt(args, "tiles_concurrency", 64)
    with tempfile.TemporaryDirectory(prefix="saksi-bench-tiles-") as folder:
        work = Path(folder)
        data_dir, paths = seed(work, leaves)
        with _serve_args("--no-workers"):
            server = Server(data_dir, work / "serve.log").start()
        try:
            cpu_before = server.cpu_seconds()
            spec = {"url": server.url, "paths": paths, "seconds": seconds, "concurrency": concurrency}
            result = run_client(spec, work, timeout=seconds + 300)
            cpu = server.cpu_seconds() - cpu_before
            rss = server.rss_mib()
        finally:
            server.stop()
    cold, warm = result["cold"], result["warm"]
    load = os.getloadavg()[0]
    note = (
        f"{leaves:,} leaves, {concurrency} requests in flight over keep-alive connections, "
        f"server CPU {cpu:.1f} s, RSS {rss:.0f} MiB; load average {load:.1f} on {os.cpu_count()} cores"
    )
    return [
        figure(
            "tlog tiles served per second from one saksi serve (warm)",
            warm["per_second"],
            "tiles/s",
            ">= 5,000/s",
            f"{warm['count']:,} GETs in {warm['seconds']:.1f} s, p50 {warm['p50_ms']:.1f} ms, "
            f"p99 {warm['p99_ms']:.1f} ms, {warm['errors']} errors; " + note,
        ),
        figure(
            "tlog tiles served per second, each read from the database once (cold)",
            cold["per_second"],
            "tiles/s",
            "",
            f"every tile and entry bundle of the checkpoint ({cold['count']:,}), p99 {cold['p99_ms']:.1f} ms, "
            f"{cold['errors']} errors",
        ),
    ]


# --- the client, in a process of its own -------------------------------------------------------------


def run_client(spec: dict[str, Any], work: Path, timeout: float) -> dict[str, Any]:
    spec_path, out_path = work / "client-tiles.json", work / "client-tiles-out.json"
    spec_path.write_text(json.dumps({**spec, "out": str(out_path)}))
    with open(work / "client-tiles.log", "wb") as log:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "_client", str(spec_path)],
            stdout=log,
            stderr=log,
            timeout=timeout,
        )
    if done.returncode != 0:
        raise RuntimeError(
            f"the tiles client exited {done.returncode}: {(work / 'client-tiles.log').read_text()[-3000:]}"
        )
    return json.loads(out_path.read_text())


async def _fetch_all(pool: HttpPool, lanes: int, paths: Iterable[str], stop_at: float | None) -> dict[str, Any]:
    """GET every path (or until ``stop_at``) with ``lanes`` requests in flight, one connection each."""
    latencies: list[float] = []
    errors = 0
    queue = iter(paths)

    async def lane() -> None:
        nonlocal errors
        for path in queue:
            if stop_at is not None and time.monotonic() >= stop_at:
                return
            started = time.perf_counter()
            try:
                status, _ = await pool.request("GET", path)
            except TRANSPORT_ERRORS:
                status = 0
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors += 1

    started = time.monotonic()
    await asyncio.gather(*(lane() for _ in range(lanes)))
    elapsed = time.monotonic() - started
    return {
        "count": len(latencies),
        "seconds": elapsed,
        "per_second": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
    }


async def _client(spec: dict[str, Any]) -> dict[str, Any]:
    paths = spec["paths"]
    pool = HttpPool(spec["url"], spec["concurrency"])
    try:
        cold = await _fetch_all(pool, spec["concurrency"], paths, None)
        rng = random.Random(18)
        picks = (rng.choice(paths) for _ in range(10**9))
        warm = await _fetch_all(pool, spec["concurrency"], picks, time.monotonic() + spec["seconds"])
    finally:
        await pool.close()
    return {"cold": cold, "warm": warm}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_client"]:
        spec = json.loads(Path(argv[1]).read_text())
        try:
            import uvloop

            result = uvloop.run(_client(spec))
        except ImportError:
            result = asyncio.run(_client(spec))
        Path(spec["out"]).write_text(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    for fig in bench_tiles(parser.parse_args(argv)):
        print(f"   {fig['name']:<70} {fig['value']:>12,.2f} {fig['unit']:<9} {fig['goal']:<14} {fig['note']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
