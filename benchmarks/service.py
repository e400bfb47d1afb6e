"""Service benchmarks with real processes: `saksi serve` under load from a separate client process.

Every benchmark here starts a real `saksi serve` (uvicorn, the anchoring worker and the registry mirror
running, signatures verified, durable commits) on a fresh data directory, and drives it from a
*separate* Python process (an asyncio client, `python benchmarks/service.py _client SPEC`), so
that the client's CPU is never the server's. Events are signed by the client before the clock starts:
signing is the agency's cost, not the ledger's.

- :func:`bench_http_ingest`: sustained events/s, batches of 500-1,000 pre-signed events, SQLite and
  PostgreSQL (a fresh schema), embedded chain anchoring meanwhile.
- :func:`bench_latency`: single-event POST latency at a steady (open-loop) 200 events/s.
- :func:`bench_timeline_1m`: case timeline and bundle GET latency with 1,000,000 events stored
  (250,000 cases x 4 linked events, bulk-inserted, then anchored by the worker).
- :func:`bench_load`: N minutes of 500 events/s mixed with 200 citizen reads/s; errors, p99 per route,
  the server's RSS at start and end.
- :func:`bench_gas`: `scripts/gas_report.py` turned into figures with the per-event ratios.

Each returns a list of figure dicts ``{name, value, unit, goal, note}`` (``benchmarks.run.Figure(**d)``).
Run them alone with ``python benchmarks/service.py [ingest latency timeline load gas] [--options]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "saksi-bench-password"
AGENCY = "dukcapil.jaksel"
STEPS = (
    ("application.submitted", "Permohonan KTP-el diterima di kantor kecamatan"),
    ("documents.verified", "Dokumen kependudukan diverifikasi petugas"),
    ("biometrics.recorded", "Perekaman biometrik selesai"),
    ("document.issued", "KTP-el dicetak dan siap diambil"),
)
OCCURRED_AT = 1_763_000_000
#: Citizens' reads come from one loopback address here; the per-address limit is for the public internet.
UNLIMITED_READS = 100_000_000
POSTGRES_URL = os.environ.get("SAKSI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def figure(name: str, value: float, unit: str, goal: str = "", note: str = "") -> dict[str, Any]:
    return {"name": name, "value": float(value), "unit": unit, "goal": goal, "note": note}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _opt(args: argparse.Namespace | None, name: str, default: Any) -> Any:
    value = getattr(args, name, None) if args is not None else None
    return default if value is None else value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options these benchmarks read (every one has a default; `--no-postgres` is shared with run.py)."""
    group = parser.add_argument_group("service benchmarks (benchmarks/service.py)")
    group.add_argument("--ingest-events", type=int, help="events per HTTP ingest run (default 40,000)")
    group.add_argument("--ingest-batch", type=int, help="events per POST in the ingest run (default 1,000)")
    group.add_argument("--ingest-lanes", type=int, help="concurrent POSTs in flight (default 2)")
    group.add_argument("--latency-seconds", type=float, help="duration of the 200 events/s run (default 30)")
    group.add_argument("--latency-rate", type=float, help="single events per second (default 200)")
    group.add_argument("--timeline-cases", type=int, help="cases x 4 events stored for timeline reads (250,000)")
    group.add_argument("--timeline-reads", type=int, help="timeline GETs timed (default 3,000)")
    group.add_argument("--load-minutes", type=float, help="duration of the mixed load (default 5)")
    group.add_argument("--load-rate", type=float, help="events per second in the mixed load (default 500)")
    group.add_argument("--load-reads", type=float, help="citizen reads per second in the mixed load (default 200)")
    group.add_argument("--load-batch", type=int, help="events per POST in the mixed load (default 10)")
    group.add_argument("--onboard-cases", type=int, help="new cases in the saksi submit onboarding (100,000)")
    group.add_argument("--onboard-steps", type=int, help="events per new case in the onboarding (default 1)")
    group.add_argument("--profile", help="record the server with py-spy (PATH or $PY_SPY) into this folder")


# --- a data directory and a real `saksi serve` ----------------------------------------------------


def _saksi(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "SAKSI_PASSWORD": PASSWORD}
    result = subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"saksi {' '.join(args)} exited {result.returncode}: {result.stderr}{result.stdout}")
    return result


def prepare_data_dir(work: Path, database_url: str = "", **config: Any):
    """`init` on the embedded chain (and `database_url`), settings changed, one agency added through the CLI.

    Returns (settings, agency private key).
    """
    from ledger.config import Limits
    from ledger.keys import read_keystore
    from ledger.runtime import init_data_dir

    data = work / "data"
    settings = init_data_dir(data, PASSWORD, database_url=database_url)
    # SAKSI_BENCH_LIMITS='{"worker_threads": 4}' changes limits for an experiment
    overrides = json.loads(os.environ.get("SAKSI_BENCH_LIMITS", "{}"))
    limits = Limits(**{**settings.limits.__dict__, "citizen_rate_per_minute": UNLIMITED_READS, **overrides})
    settings = settings.with_(limits=limits, **config)
    settings.save()
    keystore = work / f"{AGENCY}.json"
    _saksi(
        "agency",
        "add",
        AGENCY,
        "--name",
        "Dukcapil Jakarta Selatan",
        "--new-key",
        str(keystore),
        "--data-dir",
        str(data),
    )
    return settings, read_keystore(keystore, PASSWORD)


def _process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`saksi serve` in its own process; stderr to a log file in the work folder."""

    def __init__(self, data_dir: Path, log_path: Path) -> None:
        from tests.live import free_port

        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> Server:
        import httpx

        env = {**os.environ, "SAKSI_PASSWORD": PASSWORD}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ledger.cli",
                    "serve",
                    "--data-dir",
                    str(self.data_dir),
                    "--port",
                    str(self.port),
                    # extra `saksi serve` options for experiments, e.g. "--no-workers" (no anchoring)
                    *os.environ.get("SAKSI_BENCH_SERVE_ARGS", "").split(),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"saksi serve exited {self.process.returncode}: {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"saksi serve did not answer: {self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        return _process_cpu_seconds(self.pid)

    def children_cpu_seconds(self) -> float:
        """CPU of the server's live child processes (the embedded chain's EVM)."""
        total = 0.0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                children = (task / "children").read_text().split()
            except OSError:  # the thread ended meanwhile
                continue
            for child in children:
                with contextlib.suppress(OSError):  # so did the child
                    total += _process_cpu_seconds(int(child))
        return total

    def log_tail(self, size: int = 3000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def serving(data_dir: Path, work: Path) -> Iterator[Server]:
    server = Server(data_dir, work / "serve.log").start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL; the URL selects it; dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextlib.contextmanager
def profiled(server: Server, args, label: str) -> Iterator[None]:
    """py-spy record of the server while the block runs, when `--profile DIR` is given."""
    folder = _opt(args, "profile", None)
    if not folder:
        yield
        return
    binary = os.environ.get("PY_SPY", "py-spy")
    Path(folder).mkdir(parents=True, exist_ok=True)
    out = Path(folder) / f"{label}.txt"
    spy = subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(server.pid),
            "--format",
            "raw",
            "--rate",
            "50",
            "--threads",
            "-o",
            str(out),
            # e.g. PY_SPY_ARGS=--gil: only the thread holding the interpreter lock, i.e. what the GIL is spent on
            *os.environ.get("PY_SPY_ARGS", "").split(),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


def run_client(spec: dict[str, Any], work: Path, timeout: float, on_wait: Callable[[], None] | None = None) -> dict:
    """Run the load client in its own process with `spec`; returns the JSON it writes."""
    spec_path = work / f"client-{spec['mode']}.json"
    out_path = work / f"client-{spec['mode']}-out.json"
    spec_path.write_text(json.dumps({**spec, "out": str(out_path)}))
    with open(work / f"client-{spec['mode']}.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "_client", str(spec_path)], stdout=log, stderr=log
        )
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {spec['mode']} client did not finish within {timeout:.0f} s")
            if on_wait is not None:
                on_wait()
            time.sleep(1.0)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0:
        log_text = (work / f"client-{spec['mode']}.log").read_text()[-3000:]
        raise RuntimeError(f"the {spec['mode']} client exited {process.returncode}: {log_text}")
    return json.loads(out_path.read_text())


def _client_spec(mode: str, server: Server, settings, key: bytes, **params: Any) -> dict[str, Any]:
    return {
        "mode": mode,
        "url": server.url,
        "agency": AGENCY,
        "key": key.hex(),
        "chainId": settings.chain_id,
        "contract": settings.contract,
        **params,
    }


def _wait_anchored(server: Server, size: int, timeout: float) -> dict | None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            latest = httpx.get(server.url + "/v1/checkpoints/latest", timeout=5).json()
            if latest.get("anchor") and latest["treeSize"] >= size:
                return latest
        time.sleep(0.5)
    return None


def fsync_probe(samples: int = 20) -> dict[str, float]:
    """Latency of a 4 KiB write + fsync in the temp folder (where every benchmark keeps its data), in ms.

    A commit of the ledger is an fsync; when the disk is still writing back or discarding the previous
    benchmark's files, fsyncs wait hundreds of milliseconds and the p99s measure the disk, not Saksi.
    """
    fd, path = tempfile.mkstemp(prefix="saksi-fsync-probe-")
    block = os.urandom(4096)
    times = []
    try:
        for _ in range(samples):
            started = time.perf_counter()
            os.pwrite(fd, block, 0)
            os.fsync(fd)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    return {"p50_ms": percentile(times, 0.50), "max_ms": max(times)}


def wait_for_quiet_disk(limit_ms: float = 25.0, timeout: float = 120.0) -> tuple[float, dict[str, float]]:
    """sync, then probe fsync latency until its max is under `limit_ms` (or `timeout`): (seconds waited, probe)."""
    started = time.monotonic()
    os.sync()
    probe = fsync_probe()
    while probe["max_ms"] > limit_ms and time.monotonic() - started < timeout:
        time.sleep(2.0)
        probe = fsync_probe()
    return time.monotonic() - started, probe


class HostWatch:
    """While a load runs: a small process of its own that fsyncs a 4 KiB block every 200 ms and sleeps
    20 ms at a time, keeping the worst fsync and the worst oversleep of each second of the run.

    When every route stalls in the same second, this tells whether the disk (a slow fsync here too)
    or the host (this process woken late, e.g. CPU steal) stalled with it, or only the server did.
    A process, not a thread of the benchmark driver: the driver's own pauses would read as the host's.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fsync: dict[int, float] = {}  # second of the run -> worst fsync (s)
        self.oversleep: dict[int, float] = {}  # second of the run -> worst oversleep (s)
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> HostWatch:
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "_host_watch", str(self.folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None
        out, _ = self._process.communicate(b"stop\n", timeout=30)
        tables = json.loads(out or b"{}")
        self.fsync = {int(k): v for k, v in tables.get("fsync", {}).items()}
        self.oversleep = {int(k): v for k, v in tables.get("oversleep", {}).items()}

    @staticmethod
    def watch(folder: str) -> dict[str, dict[int, float]]:
        """The child's loop, until a line arrives on stdin: returns the two tables."""
        tables: dict[str, dict[int, float]] = {"fsync": {}, "oversleep": {}}
        stop = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()

        def keep(table: dict[int, float], at: float, value: float) -> None:
            second = int(at - start)
            table[second] = max(value, table.get(second, 0.0))

        fd, path = tempfile.mkstemp(prefix="saksi-host-watch-", dir=folder)
        block = os.urandom(4096)
        start = next_fsync = time.perf_counter()
        try:
            while not stop.is_set():
                before = time.perf_counter()
                time.sleep(0.02)
                after = time.perf_counter()
                keep(tables["oversleep"], before, after - before - 0.02)
                if after >= next_fsync:
                    os.pwrite(fd, block, 0)
                    os.fsync(fd)
                    keep(tables["fsync"], after, time.perf_counter() - after)
                    next_fsync = after + 0.2
        finally:
            os.close(fd)
            os.unlink(path)
        return tables

    def note(self, threshold_s: float = 0.05) -> str:
        parts = []
        for label, table in (("fsync", self.fsync), ("oversleep", self.oversleep)):
            slow = {k: v for k, v in table.items() if v > threshold_s}
            if slow:
                where = _worst_seconds(slow, 3)
                parts.append(f"{label} over {threshold_s * 1000:.0f} ms in {len(slow)} seconds ({where})")
            else:
                parts.append(f"{label} max {max(table.values(), default=0.0) * 1000:.0f} ms")
        return "host watch: " + "; ".join(parts)


def cpu_probe(rounds: int = 5) -> float:
    """Milliseconds for 100,000 SHA-256 of 64 bytes in a Python loop (median of `rounds`).

    Not a figure of Saksi: a yardstick of the machine's single-core speed printed beside the
    figures, so that a reader can tell a slower machine from a slower commit (virtual machines here
    have differed by 1.6x on the same code)."""
    import hashlib

    data = bytes(64)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(100_000):
            hashlib.sha256(data).digest()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _disk_note(probe: dict[str, float]) -> str:
    return f"fsync probe before the start p50 {probe['p50_ms']:.1f} ms, max {probe['max_ms']:.1f} ms"


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the benchmarks --------------------------------------------------------------------------------


def bench_http_ingest(args: argparse.Namespace | None = None) -> list[dict[str, Any]]:
    """Sustained events/s through `POST /v1/events` of a real `saksi serve`, SQLite then PostgreSQL."""
    events = _opt(args, "ingest_events", 40_000)
    batch = _opt(args, "ingest_batch", 1000)
    lanes = _opt(args, "ingest_lanes", 2)
    targets = [("SQLite", False)] + ([] if _opt(args, "no_postgres", False) else [("PostgreSQL", True)])
    figures = []
    for label, on_postgres in targets:
        with tempfile.TemporaryDirectory(prefix="saksi-bench-") as tmp, contextlib.ExitStack() as stack:
            work = Path(tmp)
            url = stack.enter_context(postgres_schema()) if on_postgres else ""
            # Anchoring as configured in production: every 1,000 leaves or 30 s, on the embedded chain.
            settings, key = prepare_data_dir(work, url)
            server = stack.enter_context(serving(settings.data_dir, work))
            cpu_before = server.cpu_seconds()
            with profiled(server, args, f"ingest-{label.lower()}"):
                result = run_client(
                    _client_spec("ingest", server, settings, key, events=events, batch=batch, lanes=lanes),
                    work,
                    timeout=600,
                )
            cpu = server.cpu_seconds() - cpu_before
            anchored = _wait_anchored(server, events, 120)
            rate = result["events"] / result["elapsed"]
            figures.append(
                figure(
                    f"HTTP ingest, {label}, batches of {batch}, {lanes} in flight",
                    rate,
                    "events/s",
                    ">= 3,000 (stretch 10,000)",
                    f"{result['events']:,} events in {result['elapsed']:.1f} s; batch p50 "
                    f"{result['p50_ms']:.0f} ms p99 {result['p99_ms']:.0f} ms; server CPU "
                    f"{cpu / result['elapsed']:.2f} cores ({result['events'] / max(cpu, 1e-9):,.0f} events per "
                    f"server CPU-second); client presign {result['presign_s']:.1f} s untimed; anchored "
                    f"{'all' if anchored else 'NOT all'} within 120 s; load avg {_load_average()}",
                )
            )
    return figures


def _request_counts(metrics: str) -> dict[tuple[str, str], float]:
    """saksi_http_requests_total by (route, status) from a /metrics text."""
    import re

    counts: dict[tuple[str, str], float] = {}
    for match in re.finditer(
        r'^saksi_http_requests_total\{method="(\w+)",route="([^"]*)",status="(\d+)"\} ([0-9.e+]+)$', metrics, re.M
    ):
        key = (f"{match.group(1)} {match.group(2)}", match.group(3))
        counts[key] = counts.get(key, 0.0) + float(match.group(4))
    return counts


def bench_submit_onboarding(args: argparse.Namespace | None = None) -> list[dict[str, Any]]:
    """Bulk onboarding of new cases with `saksi submit` (the real CLI against a real `saksi serve`, SQLite),
    with the citizens' rate limit at its default: an agency is never held back by it (issue 20.2b)."""
    import httpx
    import orjson

    from ledger.checker.client import CaseState
    from ledger.config import Limits

    cases = _opt(args, "onboard_cases", 100_000)
    steps = _opt(args, "onboard_steps", 1)
    with tempfile.TemporaryDirectory(prefix="saksi-bench-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        settings, _ = prepare_data_dir(work)
        settings = settings.with_(limits=Limits(**{**settings.limits.__dict__, "citizen_rate_per_minute": 120}))
        settings.save()
        source = work / "onboarding.jsonl"
        with open(source, "wb") as out:
            states = [CaseState.new(f"KTP-ONB-2026-{n:07d}") for n in range(cases)]
            for k, (event_type, summary) in enumerate(STEPS[:steps]):
                for case in states:
                    row = {
                        "caseRef": case.ref,
                        "accessCode": case.access_code,
                        "eventType": event_type,
                        "summary": summary,
                        "occurredAt": OCCURRED_AT + k * 86_400,
                    }
                    out.write(orjson.dumps(row) + b"\n")
        server = stack.enter_context(serving(settings.data_dir, work))
        cpu_before = server.cpu_seconds()
        started = time.perf_counter()
        result = _saksi(
            "submit", str(source), "--agency", AGENCY, "--keystore", str(work / f"{AGENCY}.json"),
            "--api", server.url, "--batch", "1000", "--json", timeout=3600,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        cpu = server.cpu_seconds() - cpu_before
        report = json.loads(result.stdout)
        counts = _request_counts(httpx.get(server.url + "/metrics", timeout=10).text)
    total = cases * steps
    throttled = sum(v for (_, status), v in counts.items() if status == "429")
    lookups = sum(v for (route, _), v in counts.items() if route.startswith("GET /v1/cases"))
    posts = sum(v for (route, _), v in counts.items() if route == "POST /v1/events")
    return [
        figure(
            f"saksi submit, {cases:,} new cases x {steps} event(s), citizen limit 120/min",
            report["created"] / elapsed,
            "events/s",
            "the ingest rate",
            f"{report['created']:,} of {total:,} created in {elapsed:.1f} s (CLI start, reading, signing and "
            f"journal included), {len(report['failed'])} refused; {posts:.0f} POST /v1/events, {lookups:.0f} "
            f"GET /v1/cases, {throttled:.0f} answers 429; server CPU {cpu / elapsed:.2f} cores; "
            f"load avg {_load_average()}",
        )
    ]


def bench_latency(args: argparse.Namespace | None = None) -> list[dict[str, Any]]:
    """Single-event POST latency at a steady, open-loop rate (SQLite, embedded chain anchoring)."""
    rate = _opt(args, "latency_rate", 200.0)
    seconds = _opt(args, "latency_seconds", 30.0)
    with tempfile.TemporaryDirectory(prefix="saksi-bench-") as tmp:
        work = Path(tmp)
        settings, key = prepare_data_dir(work)
        _, probe = wait_for_quiet_disk()
        with serving(settings.data_dir, work) as server, profiled(server, args, "latency"):
            result = run_client(
                _client_spec("latency", server, settings, key, rate=rate, seconds=seconds), work, timeout=seconds + 300
            )
    note = (
        f"{result['sent']:,} single-event POSTs at {result['achieved_rate']:.0f}/s open loop; "
        f"{result['errors']} errors {result['error_kinds']}; max schedule lag {result['max_lag_ms']:.1f} ms; "
        f"{_disk_note(probe)}; load avg {_load_average()}"
    )
    return [
        figure(f"single-event POST at {rate:.0f} events/s, p50", result["p50_ms"], "ms", "", note),
        figure(f"single-event POST at {rate:.0f} events/s, p99", result["p99_ms"], "ms", "<= 25 ms"),
        figure(f"single-event POST at {rate:.0f} events/s, max", result["max_ms"], "ms"),
    ]


def build_cases_database(settings, agency_key: bytes, cases: int, sample: int = 5000) -> tuple[list[str], float]:
    """Bulk-insert `cases` x 4 linked events (real struct hashes, digests and leaf hashes; the signature
    bytes are a placeholder, reads never recover them) with tree nodes and case heads. Returns a sample of
    case commitments (0x hex) and the seconds it took."""
    from ledger.core import merkle
    from ledger.core.commitment import case_commitment, derive_event_id
    from ledger.core.encoding import ZERO32, hex0x
    from ledger.core.events import ServiceEvent, leaf_bytes
    from ledger.core.merkle import CompactRange
    from ledger.core.signatures import address_of_key
    from ledger.storage.engine import DatabaseSettings, create_database_engine, upgrade
    from ledger.storage.sql import CaseHead, SqlStore, event_row

    started = time.perf_counter()
    engine = create_database_engine(DatabaseSettings(settings.database_url, sqlite_synchronous="NORMAL"))
    upgrade(engine)
    store = SqlStore(engine)
    domain = settings.domain
    signer = address_of_key(agency_key)
    signature = bytes(64) + b"\x1b"
    rng = random.Random(11)
    chosen: list[str] = []
    received_at = 1_763_000_000_000
    chunk = 10_000
    for first in range(0, cases, chunk):
        count = min(chunk, cases - first)
        refs = [f"KTP-BLK-2026-{n:07d}" for n in range(first, first + count)]
        keys = [rng.randbytes(32) for _ in refs]
        commitments = [case_commitment(key, ref) for key, ref in zip(keys, refs, strict=True)]
        heads = [ZERO32] * count
        rows, new_heads = [], []
        with store.write() as tx:
            size = tx.tree_size()
            compact = CompactRange.from_nodes(size, tx.get_nodes)
            nodes = []
            for step, (event_type, summary) in enumerate(STEPS):
                for i, commitment in enumerate(commitments):
                    event = ServiceEvent(
                        event_id=derive_event_id(
                            keys[i], refs[i], step + 1, heads[i], event_type, summary, OCCURRED_AT + step * 86_400
                        ),
                        agency=AGENCY,
                        case_commitment=commitment,
                        case_seq=step + 1,
                        prev_event_hash=heads[i],
                        event_type=event_type,
                        summary=summary,
                        occurred_at=OCCURRED_AT + step * 86_400,
                        payload_digest=ZERO32,
                    )
                    leaf_index = size + len(rows)
                    received_at += 1
                    leaf_hash = merkle.leaf_hash(leaf_bytes(event.digest(domain), signature, received_at))
                    nodes += compact.append(leaf_hash)
                    heads[i] = event.hash_struct()
                    rows.append(event_row(leaf_index, event, signature, signer, received_at, leaf_hash))
                    if step == len(STEPS) - 1:
                        new_heads.append(CaseHead(commitment, step + 1, heads[i], leaf_index))
            tx.insert_events(rows)
            tx.insert_nodes(nodes)
            tx.upsert_case_heads(new_heads)
            tx.set_tree_size(size + len(rows))
        chosen += [hex0x(c) for c in rng.sample(commitments, min(count, max(1, sample * count // cases)))]
    engine.dispose()
    return chosen[:sample], time.perf_counter() - started


def bench_timeline_1m(args: argparse.Namespace | None = None) -> list[dict[str, Any]]:
    """Timeline (and bundle) GET latency with 1,000,000 events stored, SQLite, anchored."""
    cases = _opt(args, "timeline_cases", 250_000)
    reads = _opt(args, "timeline_reads", 3000)
    events = cases * len(STEPS)
    with tempfile.TemporaryDirectory(prefix="saksi-bench-") as tmp:
        work = Path(tmp)
        settings, key = prepare_data_dir(work)
        sample, build_s = build_cases_database(settings, key, cases)
        db_mib = Path(settings.database_url.removeprefix("sqlite:///")).stat().st_size / 2**20
        fold_s = _time_first_fold(settings.database_url)
        with serving(settings.data_dir, work) as server:
            anchored = _wait_anchored(server, events, 180)
            result = run_client(
                _client_spec("timeline", server, settings, key, commitments=sample, reads=reads, bundles=reads // 3),
                work,
                timeout=600,
            )
            rss = server.rss_mib()
            stats_ms = _time_stats(server.url)
    note = (
        f"{events:,} events ({cases:,} cases x 4, linked) bulk-built in {build_s:.0f} s, {db_mib:,.0f} MiB; "
        f"{reads:,} sequential GETs of random cases over keep-alive; "
        f"{'anchored' if anchored else 'NOT anchored'}; {result['errors']} errors; server RSS {rss:.0f} MiB"
    )
    return [
        figure(f"case timeline GET at {events:,} events, p50", result["timeline_p50_ms"], "ms", "", note),
        figure(f"case timeline GET at {events:,} events, p99", result["timeline_p99_ms"], "ms", "<= 10 ms"),
        figure(f"case bundle GET at {events:,} events, p50", result["bundle_p50_ms"], "ms"),
        figure(f"case bundle GET at {events:,} events, p99", result["bundle_p99_ms"], "ms"),
        figure(
            f"public statistics at {events:,} events: first fold of the whole log",
            fold_s,
            "s",
            "",
            "every leaf folded in once (range scans by leaf index, key lookups), in this process before the "
            "server starts; later refreshes fold only new leaves, at most once a minute, in the server's "
            "background thread",
        ),
        figure(f"GET /v1/stats at {events:,} events, median of 20", stats_ms, "ms"),
    ]


def _time_first_fold(database_url: str) -> float:
    """Seconds to fold every leaf of the log into the public statistics (ledger.services.stats)."""
    from ledger.services.stats import LogStats
    from ledger.storage.engine import DatabaseSettings, create_database_engine
    from ledger.storage.sql import SqlStore

    engine = create_database_engine(DatabaseSettings(database_url))
    try:
        started = time.perf_counter()
        LogStats(SqlStore(engine), lambda: 0).snapshot()
        return time.perf_counter() - started
    finally:
        engine.dispose()


def _time_stats(url: str) -> float:
    """Median milliseconds of 20 GET /v1/stats."""
    import httpx

    with httpx.Client(base_url=url, timeout=600) as client:
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            client.get("/v1/stats").raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def bench_load(args: argparse.Namespace | None = None) -> list[dict[str, Any]]:
    """N minutes of agency writes mixed with citizen reads (SQLite, embedded chain anchoring)."""
    minutes = _opt(args, "load_minutes", 5.0)
    rate = _opt(args, "load_rate", 500.0)
    reads = _opt(args, "load_reads", 200.0)
    batch = _opt(args, "load_batch", 10)
    seconds = minutes * 60
    with tempfile.TemporaryDirectory(prefix="saksi-bench-") as tmp:
        work = Path(tmp)
        settings, key = prepare_data_dir(work)
        _, probe = wait_for_quiet_disk()
        with serving(settings.data_dir, work) as server:
            rss_start = server.rss_mib()
            cpu_start, children_start = server.cpu_seconds(), server.children_cpu_seconds()
            clock_start = time.monotonic()
            samples: list[tuple[float, float]] = []  # (seconds since the start, RSS MiB), about once a second
            # (seconds, RSS less SQLite's memory and glibc's free heap, SQLite MiB, free heap MiB), every 5 s
            residue: list[tuple[float, float, float, float]] = []

            def sample_rss() -> None:
                now, rss = time.monotonic() - clock_start, server.rss_mib()
                samples.append((now, rss))
                if not residue or now - residue[-1][0] >= 5:
                    gauges = _memory_gauges(server.url)
                    if gauges is not None:
                        sqlite, free = gauges
                        residue.append((now, rss - sqlite - free, sqlite, free))

            spec = _client_spec("load", server, settings, key, rate=rate, reads=reads, batch=batch, seconds=seconds)
            with profiled(server, args, "load"), HostWatch(work) as watch:
                result = run_client(spec, work, timeout=seconds + 600, on_wait=sample_rss)
            rss_end = server.rss_mib()
            cores = (server.cpu_seconds() - cpu_start) / result["elapsed"]
            chain_cores = (server.children_cpu_seconds() - children_start) / result["elapsed"]
            wal = Path(settings.database_url.removeprefix("sqlite:///") + "-wal")
            wal_mib = wal.stat().st_size / 2**20 if wal.exists() else 0.0
            readyz = _get_json(server.url + "/readyz")
            anchored = _wait_anchored(server, result["acked_events"], 120)
    routes = result["routes"]
    errors = sum(r["errors"] for r in routes.values())
    note = (
        f"{minutes:g} min; {result['acked_events']:,} events acked ({result['achieved_rate']:.0f}/s, batches of "
        f"{batch}), {result['reads']:,} reads ({result['achieved_reads']:.0f}/s); max schedule lag "
        f"{result['max_lag_ms']:.0f} ms; server CPU {cores:.2f} cores (its chain process {chain_cores:.2f}, "
        f"the load client {result['cpu_s'] / result['elapsed']:.2f}); SQLite WAL {wal_mib:.0f} MiB at the end; "
        f"readyz {readyz.get('status')}; anchoring caught up: {bool(anchored)}; "
        f"{_disk_note(probe)}; CPU probe {cpu_probe():.0f} ms; load avg {_load_average()}; {watch.note()}"
    )
    figures = [figure(f"mixed load {rate:.0f} events/s + {reads:.0f} reads/s: errors", errors, "errors", "0", note)]
    for route, stats in sorted(routes.items()):
        figures.append(
            figure(
                f"mixed load: {route} p99",
                stats["p99_ms"],
                "ms",
                "",
                f"{stats['count']:,} requests, p50 {stats['p50_ms']:.1f} ms, max {stats['max_ms']:.0f} ms, "
                f"{stats['errors']} errors {stats['error_kinds']}; {stall_note(stats.get('stall_seconds', {}))}",
            )
        )
    # "Flat": after a warm-up (the SQLite page caches and the heap fill in the first minute), RSS
    # should stop growing. The slope is fitted over the samples after the first fifth of the run.
    warm = [(t, r) for t, r in samples if t >= seconds / 5] or [(seconds, rss_end)]
    slope = _slope_per_minute(warm)
    figures += [
        figure("mixed load: server RSS at start", rss_start, "MiB"),
        figure(
            "mixed load: server RSS after warm-up",
            warm[0][1],
            "MiB",
            "",
            f"at {warm[0][0]:.0f} s (the first fifth of the run)",
        ),
        figure(
            "mixed load: server RSS at end",
            rss_end,
            "MiB",
            "",
            f"max sampled {max([r for _, r in samples] or [rss_end]):.0f} MiB; {len(samples)} samples",
        ),
        figure(
            "mixed load: server RSS growth after warm-up",
            slope,
            "MiB/min",
            "~0 (flat)",
            f"least-squares slope over {len(warm)} samples from {warm[0][0]:.0f} s to {warm[-1][0]:.0f} s; "
            f"over the second half alone {_slope_per_minute([(t, r) for t, r in samples if t >= seconds / 2]):.2f} "
            "MiB/min",
        ),
    ]
    # RSS less the two bounded parts (SQLite's page caches, filling up to cache_size per pooled
    # connection as the database grows, and freed heap glibc keeps): a leak would show here.
    warm_residue = [(t, r) for t, r, _, _ in residue if t >= seconds / 5]
    if len(warm_residue) >= 2:
        first, last = residue[0], residue[-1]
        figures.append(
            figure(
                "mixed load: server RSS less SQLite memory and free heap, growth after warm-up",
                _slope_per_minute(warm_residue),
                "MiB/min",
                "~0 (flat)",
                f"from /metrics every 5 s ({len(residue)} samples); at {first[0]:.0f} s / {last[0]:.0f} s: "
                f"RSS less both {first[1]:.1f} / {last[1]:.1f} MiB, SQLite {first[2]:.1f} / {last[2]:.1f} MiB, "
                f"free heap {first[3]:.1f} / {last[3]:.1f} MiB",
            )
        )
    return figures


def stall_note(stall_seconds: dict[Any, float]) -> str:
    """Where the slow requests (over `_Route.STALL_S`) fell: how many seconds of the run had one, the worst."""
    if not stall_seconds:
        return f"no request over {_Route.STALL_S * 1000:.0f} ms"
    listed = _worst_seconds(stall_seconds, 5)
    return f"requests over {_Route.STALL_S * 1000:.0f} ms in {len(stall_seconds)} seconds of the run; worst {listed}"


def _worst_seconds(table: dict[Any, float], count: int) -> str:
    """The `count` worst values of a {second of the run: seconds} table, listed in run order."""
    worst = sorted(((int(k), float(v)) for k, v in table.items()), key=lambda kv: -kv[1])[:count]
    return ", ".join(f"{v * 1000:.0f} ms at {k} s" for k, v in sorted(worst))


def _memory_gauges(url: str) -> tuple[float, float] | None:
    """(SQLite memory, glibc free heap) in MiB from the server's /metrics; None if it lacks them."""
    import httpx

    try:
        return parse_memory_gauges(httpx.get(url + "/metrics", timeout=10).text)
    except httpx.HTTPError:
        return None


def parse_memory_gauges(text: str) -> tuple[float, float] | None:
    """(SQLite memory, glibc free heap) in MiB from a Prometheus text page; None if either is missing."""
    from prometheus_client.parser import text_string_to_metric_families

    wanted = ("saksi_sqlite_memory_bytes", "saksi_heap_free_bytes")
    values = {
        sample.name: sample.value / 2**20
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name in wanted
    }
    if len(values) < 2:
        return None
    return values["saksi_sqlite_memory_bytes"], values["saksi_heap_free_bytes"]


def _slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute; 0 for fewer than two points."""
    try:
        return 60 * statistics.linear_regression([t for t, _ in points], [r for _, r in points]).slope
    except statistics.StatisticsError:  # fewer than two points, or all at one time
        return 0.0


def bench_gas(args: argparse.Namespace | None = None) -> list[dict[str, Any]]:
    """`scripts/gas_report.py` on a fresh anvil: gas per event of anchoring vs per-event designs."""
    with tempfile.TemporaryDirectory(prefix="saksi-bench-") as tmp:
        out = Path(tmp) / "gas.json"
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "gas_report.py"), "--out", str(out)],
            check=True,
            capture_output=True,
            timeout=600,
        )
        report = json.loads(out.read_text())
    measurements = report["measurements"]
    anchors = [m for m in measurements if m["approach"].startswith("SaksiLedger.anchor")]
    one_slot = next(m for m in measurements if m["approach"].startswith("OneSlotPerEvent"))
    eas = [m for m in measurements if m["approach"].startswith("EAS.attest")]
    eas_min = min(eas, key=lambda m: m["gas_per_event"])
    figures = [
        figure(
            f"gas per event: {m['approach']} ({m['events_per_tx']:,} events per checkpoint)",
            m["gas_per_event"],
            "gas",
            "",
            f"{m['gas_per_tx']:,} gas per tx; {m['note']}",
        )
        for m in anchors
    ]
    figures += [
        figure("gas per event: one storage slot per event", one_slot["gas_per_event"], "gas", "", one_slot["note"]),
        figure("gas per event: EAS attest()", eas_min["gas_per_event"], "gas", "", eas_min["note"]),
    ]
    thousand = next((m for m in anchors if m["events_per_tx"] == 1000), anchors[-1])
    node = report.get("node", {})
    where = f"{node.get('client', 'anvil')}, hardfork {node.get('hardfork', '?')}, solc {report['compiler']['version']}"
    figures += [
        figure(
            "gas ratio: one-slot-per-event / Saksi at 1,000 events per checkpoint",
            one_slot["gas_per_event"] / thousand["gas_per_event"],
            "x",
            "",
            f"Saksi {thousand['gas_per_event']:.1f} gas/event ({thousand['approach']}); {where}",
        ),
        figure(
            "gas ratio: EAS attest / Saksi at 1,000 events per checkpoint",
            eas_min["gas_per_event"] / thousand["gas_per_event"],
            "x",
            "",
            f"EAS {eas_min['gas_per_event']:,.0f} gas/event (cheapest EAS build measured)",
        ),
    ]
    return figures


BENCHMARKS: dict[str, Callable[[argparse.Namespace], list[dict[str, Any]]]] = {
    "http-ingest": bench_http_ingest,
    "latency": bench_latency,
    "timeline-1m": bench_timeline_1m,
    "load": bench_load,
    "gas": bench_gas,
}


def _get_json(url: str) -> dict:
    import httpx

    try:
        return httpx.get(url, timeout=10).json()
    except (httpx.HTTPError, ValueError) as exc:
        return {"status": f"unreachable: {exc}"}


# --- the client process ------------------------------------------------------------------------------
#
# httpx's AsyncClient tops out near 300 requests/s here (its pool, not the server: uvicorn answers
# /healthz at ~1,800/s to a raw socket client), which would measure the client. So the client is a
# minimal HTTP/1.1 keep-alive pool over asyncio streams (uvloop), enough for uvicorn's answers.


class HttpError(Exception):
    pass


class HttpPool:
    """Keep-alive HTTP/1.1 connections to one host; at most `size` requests in flight."""

    #: uvicorn closes a connection idle for 5 s; one idle longer than this is not reused (no retries here).
    IDLE_S = 3.0

    def __init__(self, url: str, size: int, timeout: float = 30.0) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self._slots = asyncio.Semaphore(size)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        async with self._slots:
            return await asyncio.wait_for(self._request(method, path, body), self.timeout)

    async def _request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        now = time.monotonic()
        while self._idle and now - self._idle[-1][2] > self.IDLE_S:
            self._idle.pop()[1].close()
        if self._idle:
            reader, writer, _ = self._idle.pop()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            if method == "POST":
                head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            writer.write(head.encode() + b"\r\n" + body)
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            if "content-length" in headers:
                data = await reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    data += await reader.readexactly(size + 2)
                    if size == 0:
                        break
                    data = data[:-2]
            else:
                raise HttpError(f"answer without a length to {method} {path}")
        except BaseException:
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self._idle.append((reader, writer, time.monotonic()))
        return status, data

    async def close(self) -> None:
        for _, writer, _ in self._idle:
            writer.close()
        self._idle.clear()


#: What a request can fail with, short of an HTTP status: each counts as an error of its route.
TRANSPORT_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, HttpError)


class _Route:
    #: A request slower than this is a stall; the load note says in which seconds of the run they fell.
    STALL_S = 0.1

    def __init__(self, clock_start: float | None = None) -> None:
        self.latencies: list[float] = []
        self.clock_start = time.perf_counter() if clock_start is None else clock_start
        self.stall_seconds: dict[int, float] = {}  # second of the run -> worst latency started in it
        self.errors = 0
        self.error_kinds: dict[str, int] = {}

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    def summary(self) -> dict[str, Any]:
        return {
            "count": len(self.latencies) + self.errors,
            "p50_ms": percentile(self.latencies, 0.5) * 1000,
            "p99_ms": percentile(self.latencies, 0.99) * 1000,
            "max_ms": max(self.latencies, default=float("nan")) * 1000,
            "errors": self.errors,
            "error_kinds": self.error_kinds,
            "stall_seconds": self.stall_seconds,
        }

    async def timed(self, pool: HttpPool, method: str, path: str, body: bytes = b"", ok: int = 200) -> bytes | None:
        """One request; its latency when it answers `ok`, else an error of this route. Returns the body."""
        started = time.perf_counter()
        try:
            status, data = await pool.request(method, path, body)
        except TRANSPORT_ERRORS as exc:
            self.error(type(exc).__name__)
            return None
        if status != ok and not (ok == 0 and status in (200, 404)):  # 0: 404 is fine too (nothing yet)
            self.error(f"{status} {data[:160].decode(errors='replace')}")
            return None
        if status == 404:
            return None
        latency = time.perf_counter() - started
        self.latencies.append(latency)
        if latency > self.STALL_S:
            second = int(started - self.clock_start)
            self.stall_seconds[second] = max(latency, self.stall_seconds.get(second, 0.0))
        return data


def _presign(spec: dict[str, Any], cases: int, prefix: str) -> tuple[list[list[dict]], list[bytes]]:
    """Signed items per step (`[step][case]`) and the case commitments; every case extends its head."""
    from ledger.checker.client import AgencyClient, CaseState
    from ledger.core.events import Domain

    domain = Domain(spec["chainId"], bytes.fromhex(spec["contract"].removeprefix("0x")))
    client = AgencyClient(spec["url"], spec["agency"], bytes.fromhex(spec["key"]), domain=domain)
    states = [CaseState.new(f"{prefix}-{n:07d}") for n in range(cases)]
    steps = [
        [client.build(case, t, s, occurred_at=OCCURRED_AT + k * 86_400) for case in states]
        for k, (t, s) in enumerate(STEPS)
    ]
    return steps, [case.commitment for case in states]


def _body(items: list[dict]) -> bytes:
    import orjson

    return orjson.dumps({"events": items}) if len(items) > 1 else orjson.dumps(items[0])


async def _client_ingest(spec: dict[str, Any]) -> dict[str, Any]:
    import orjson

    events, batch, lanes = spec["events"], spec["batch"], spec["lanes"]
    t0 = time.perf_counter()
    steps, _ = _presign(spec, events // len(STEPS), f"KTP-ING-{uuid.uuid4().hex[:6]}")
    cases = len(steps[0])
    # Lane i owns every lanes-th group of `batch` cases; per group it posts step 1 of all of them, then
    # step 2 (which extends the stored heads), ... Each lane awaits its answer before the next POST.
    lane_bodies: list[list[bytes]] = [[] for _ in range(lanes)]
    for group, start in enumerate(range(0, cases, batch)):
        for step in steps:
            lane_bodies[group % lanes].append(_body(step[start : start + batch]))
    presign_s = time.perf_counter() - t0
    del steps
    route = _Route()
    created = 0
    pool = HttpPool(spec["url"], lanes, timeout=300)

    async def lane(bodies: list[bytes]) -> None:
        nonlocal created
        for body in bodies:
            data = await route.timed(pool, "POST", "/v1/events", body, ok=201)
            if data is None:
                raise RuntimeError(f"POST /v1/events failed: {route.error_kinds}")
            created += sum(1 for r in orjson.loads(data)["receipts"] if r.get("created"))

    started = time.perf_counter()
    await asyncio.gather(*(lane(bodies) for bodies in lane_bodies))
    elapsed = time.perf_counter() - started
    await pool.close()
    if created != cases * len(STEPS):
        raise RuntimeError(f"only {created} of {cases * len(STEPS)} events were created")
    summary = route.summary()
    return {
        "events": created,
        "elapsed": elapsed,
        "presign_s": presign_s,
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
    }


async def _open_loop(rate: float, count: int, send: Callable[[int], Any], lags: list[float]) -> None:
    """Start send(n) at `rate` per second whatever the answers' latency (open loop)."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    tasks: set[asyncio.Task] = set()
    for n in range(count):
        scheduled = start + n / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(max(0.0, loop.time() - scheduled))
        task = asyncio.create_task(send(n))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


async def _client_latency(spec: dict[str, Any]) -> dict[str, Any]:
    rate, seconds = spec["rate"], spec["seconds"]
    count = int(rate * seconds) // len(STEPS) * len(STEPS)
    steps, _ = _presign(spec, count // len(STEPS), f"KTP-LAT-{uuid.uuid4().hex[:6]}")
    # step 1 of every case, then step 2 of every case, ...: a case's next event comes count/4/rate s later
    bodies = [_body([item]) for step in steps for item in step]
    route, lags = _Route(), []
    pool = HttpPool(spec["url"], 256)
    for _ in range(20):  # open connections and warm the server's code paths
        await pool.request("GET", "/v1/info")

    async def send(n: int) -> None:
        await route.timed(pool, "POST", "/v1/events", bodies[n], ok=201)

    started = time.perf_counter()
    await _open_loop(rate, len(bodies), send, lags)
    elapsed = time.perf_counter() - started
    await pool.close()
    return {
        "sent": len(bodies),
        "achieved_rate": len(bodies) / elapsed,
        "max_lag_ms": max(lags) * 1000,
        **route.summary(),
    }


async def _client_timeline(spec: dict[str, Any]) -> dict[str, Any]:
    import orjson

    rng = random.Random(5)
    commitments = spec["commitments"]
    timelines, bundles = _Route(), _Route()
    pool = HttpPool(spec["url"], 1)
    for c in commitments[:50]:  # warm up
        await pool.request("GET", f"/v1/cases/{c}")
    for route, reads, suffix in ((timelines, spec["reads"], ""), (bundles, spec["bundles"], "/bundle")):
        for _ in range(reads):
            data = await route.timed(pool, "GET", f"/v1/cases/{rng.choice(commitments)}{suffix}")
            if data is not None and len(orjson.loads(data)["events"]) != len(STEPS):
                route.error("incomplete case")
    await pool.close()
    t, b = timelines.summary(), bundles.summary()
    return {
        "errors": t["errors"] + b["errors"],
        "error_kinds": {**t["error_kinds"], **b["error_kinds"]},
        "timeline_p50_ms": t["p50_ms"],
        "timeline_p99_ms": t["p99_ms"],
        "bundle_p50_ms": b["p50_ms"],
        "bundle_p99_ms": b["p99_ms"],
    }


async def _client_load(spec: dict[str, Any]) -> dict[str, Any]:
    import orjson

    rate, read_rate, batch, seconds = spec["rate"], spec["reads"], spec["batch"], spec["seconds"]
    window_cases = max(batch, int(rate * 20 / len(STEPS)) // batch * batch)  # a window lasts ~20 s
    windows = max(1, round(rate * seconds / (window_cases * len(STEPS))))
    steps, commitments = _presign(spec, windows * window_cases, f"KTP-LOAD-{uuid.uuid4().hex[:6]}")
    # Per window of cases: step 1 of all of them, then step 2, ...: a case's next event follows ~5 s later.
    bodies: list[tuple[bytes, range]] = []
    for w in range(windows):
        cases = range(w * window_cases, (w + 1) * window_cases)
        for step in steps:
            for start in range(cases.start, cases.stop, batch):
                bodies.append((_body(step[start : start + batch]), range(start, start + batch)))
    del steps
    hexes = ["0x" + c.hex() for c in commitments]
    clock_start = time.perf_counter() + 0.2  # when _open_loop starts sending
    posts, timelines, bundles, polls = (_Route(clock_start) for _ in range(4))
    first_leaf: dict[int, int] = {}  # case -> leaf index of its first event, once acknowledged
    acked_cases: list[int] = []
    anchored_cases = 0  # acked_cases[:anchored_cases] have their first event under the anchored checkpoint
    anchored = 0
    acked_events = 0
    reads_done = 0
    lags: list[float] = []
    rng = random.Random(3)
    writer, reader = HttpPool(spec["url"], 256), HttpPool(spec["url"], 256)
    done = asyncio.Event()

    async def post(n: int) -> None:
        nonlocal acked_events
        body, cases = bodies[n]
        data = await posts.timed(writer, "POST", "/v1/events", body, ok=201)
        if data is None:
            return
        answer = orjson.loads(data)
        for case, receipt in zip(cases, answer.get("receipts", [answer]), strict=True):
            acked_events += 1
            if case not in first_leaf:
                first_leaf[case] = receipt["leafIndex"]
                acked_cases.append(case)

    async def read(_n: int) -> None:
        nonlocal reads_done
        if not acked_cases:
            return
        reads_done += 1
        if anchored_cases and rng.random() < 0.25:
            await bundles.timed(reader, "GET", f"/v1/cases/{hexes[acked_cases[rng.randrange(anchored_cases)]]}/bundle")
        else:
            await timelines.timed(reader, "GET", f"/v1/cases/{hexes[rng.choice(acked_cases)]}")

    async def poll_anchor() -> None:
        nonlocal anchored, anchored_cases
        while not done.is_set():
            data = await polls.timed(reader, "GET", "/v1/checkpoints/latest", ok=200 if anchored else 0)
            if data is not None:
                latest = orjson.loads(data)
                if latest.get("anchor"):
                    anchored = latest["treeSize"]
                    # acknowledged cases come in leaf order only roughly (concurrent POSTs): stay strict
                    while anchored_cases < len(acked_cases) and first_leaf[acked_cases[anchored_cases]] < anchored:
                        anchored_cases += 1
            await asyncio.sleep(1.0)

    for _ in range(20):
        await reader.request("GET", "/v1/info")
    poller = asyncio.create_task(poll_anchor())
    started, cpu_started = time.perf_counter(), time.process_time()
    duration = len(bodies) * batch / rate
    await asyncio.gather(
        _open_loop(rate / batch, len(bodies), post, lags),
        _open_loop(read_rate, int(read_rate * duration), read, lags),
    )
    elapsed = time.perf_counter() - started
    done.set()
    await poller
    await writer.close()
    await reader.close()
    return {
        "routes": {
            "POST /v1/events": posts.summary(),
            "GET /v1/cases/{c}": timelines.summary(),
            "GET /v1/cases/{c}/bundle": bundles.summary(),
            "GET /v1/checkpoints/latest (1/s)": polls.summary(),
        },
        "acked_events": acked_events,
        "achieved_rate": acked_events / elapsed,
        "reads": reads_done,
        "achieved_reads": reads_done / elapsed,
        "max_lag_ms": max(lags) * 1000,
        "elapsed": elapsed,
        "cpu_s": time.process_time() - cpu_started,
    }


def _client_main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    modes = {
        "ingest": _client_ingest,
        "latency": _client_latency,
        "timeline": _client_timeline,
        "load": _client_load,
    }
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    result = runner(modes[spec["mode"]](spec))
    Path(spec["out"]).write_text(json.dumps(result))
    return 0


# --- a small driver --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_client"]:
        return _client_main(argv[1])
    if argv[:1] == ["_host_watch"]:
        print(json.dumps(HostWatch.watch(argv[1])), flush=True)
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    add_arguments(parser)
    args = parser.parse_args(argv)
    results = []
    for name in args.names or list(BENCHMARKS):
        print(f"== {name}", flush=True)
        started = time.monotonic()
        for fig in BENCHMARKS[name](args):
            print(f"   {fig['name']:<70} {fig['value']:>12,.2f} {fig['unit']:<9} {fig['goal']:<14} {fig['note']}")
            results.append({"benchmark": name, **fig})
        print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
