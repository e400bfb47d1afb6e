"""Fault tests: the chain node dies during anchoring, PostgreSQL restarts during ingest, writers race on one case.

(a) kill -9 of anvil while `saksi serve` anchors every few leaves and an agency keeps submitting. Events are
    still accepted, `/readyz` reports the chain error, and when anvil comes back from its `--state` file
    without the last anchors (the file is rolled back to a dump taken before them, as a longer
    `--state-interval` would leave it) the worker drops or re-sends them and anchors until the chain's
    latest checkpoint is the whole tree, whose root an auditor recomputes from the leaves.
(b) PostgreSQL restarted (fast, then immediate: crash recovery) under a `saksi serve` that is ingesting:
    the client resends what was not acknowledged, every acknowledged event is present exactly once, and
    the same server process recovers by itself. The cluster is a private one made with `initdb` for this
    test, so that restarting it never disturbs other suites using the shared server on 5432.
(c) Several writers extend the same case at the same instant through two API hosts sharing the database
    (SQLite and PostgreSQL): exactly one wins each caseSeq, the others get 409 stale-case-head carrying the
    new head, and the case's chain ends contiguous and linked.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from api.app import create_app
from ledger.checker.client import AgencyClient, CaseState
from ledger.config import Settings
from ledger.core import merkle
from ledger.core.encoding import ZERO32, hex0x
from ledger.core.events import ServiceEvent
from ledger.devchain.nodes import start_anvil
from ledger.errors import RetryLater, SaksiError
from ledger.keys import read_keystore
from ledger.runtime import OPERATOR_KEYSTORE, open_store
from ledger.services.ledger import Ledger
from ledger.storage.schema import anchors, events
from tests.api.conftest import DUKCAPIL, clock, ledger, settings  # noqa: F401 - shared fixtures
from tests.factories import CaseBuilder
from tests.live import SaksiProcess, free_port, serve

PASSWORD = "fault-test-password"
OCCURRED = 1_763_000_000
AGENCY = "dukcapil.jaksel"
SAKSI = [sys.executable, "-m", "ledger.cli"]
EVENT_FIELDS = (
    "eventId", "agency", "caseCommitment", "caseSeq", "prevEventHash", "eventType", "summary", "occurredAt",
    "payloadDigest",
)  # fmt: skip


# --- real processes ------------------------------------------------------------------------------------


def _saksi(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SAKSI_PASSWORD": PASSWORD}
    result = subprocess.run([*SAKSI, *args], env=env, capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        raise AssertionError(f"saksi {' '.join(args)} exited {result.returncode}: {result.stderr}{result.stdout}")
    return result


def _init(tmp_path: Path, *init_args: str, **config) -> tuple[Path, bytes]:
    """`saksi init` + `saksi agency add`; returns the data directory and the agency's key."""
    data = tmp_path / "data"
    _saksi("init", "--data-dir", str(data), *init_args)
    path = data / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **config}))
    keystore = tmp_path / f"{AGENCY}.json"
    _saksi("agency", "add", AGENCY, "--new-key", str(keystore), "--data-dir", str(data))
    return data, read_keystore(keystore, PASSWORD)


def _wait(predicate, timeout: float, what: str, interval: float = 0.2):
    started = time.monotonic()
    while time.monotonic() < started + timeout:
        value = predicate()
        if value:
            print(f"{time.strftime('%H:%M:%S')} {what}: {time.monotonic() - started:.1f} s")
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Submitter(threading.Thread):
    """An agency's back office: new cases of two events each, batch after batch, resending a batch
    (the same bytes) until it is acknowledged; records every receipt."""

    def __init__(self, url: str, key: bytes, prefix: str, cases_per_batch: int = 3, pause_s: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.client = AgencyClient(url, AGENCY, key, retries=0, timeout_s=10)
        self.prefix, self.cases_per_batch, self.pause_s = prefix, cases_per_batch, pause_s
        self.acknowledged: dict[str, dict] = {}
        self.failures: list[str] = []
        self.halt = threading.Event()
        self.crashed: BaseException | None = None

    @property
    def count(self) -> int:
        return len(self.acknowledged)

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # surfaced by the test through .crashed
            self.crashed = exc

    def _run(self) -> None:
        n = 0
        while not self.halt.is_set():
            batch = []
            for _ in range(self.cases_per_batch):
                case = CaseState.new(f"{self.prefix}-{n:06d}")
                n += 1
                batch.append(
                    self.client.build(case, "application.submitted", "Permohonan diterima", occurred_at=OCCURRED)
                )
                batch.append(
                    self.client.build(case, "documents.verified", "Dokumen diverifikasi", occurred_at=OCCURRED)
                )
            while True:  # the same bytes until acknowledged, even after halt (never leave one half-known)
                try:
                    outcomes = self.client.submit(batch)
                    break
                except (RetryLater, httpx.HTTPError) as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}"[:200])
                    time.sleep(0.2)
            for item, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, SaksiError):
                    raise AssertionError(f"refused {item['event']['eventId']}: {outcome.kind} {outcome.message}")
                self.acknowledged[item["event"]["eventId"]] = outcome
            time.sleep(self.pause_s)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=120)
        assert not self.is_alive(), "the submitter did not finish its last batch"
        if self.crashed is not None:
            raise self.crashed


def _audit(data: Path, submitter: Submitter, chain=None) -> int:
    """Every acknowledged event stored once where its receipt says; tree == recomputation; chain root."""
    store = open_store(Settings.load(data))
    try:
        with store.read() as reader:
            size = reader.tree_size()
            assert size == len(submitter.acknowledged)
            stored_rows = reader.conn.execute(select(func.count()).select_from(events)).scalar_one()
            assert stored_rows == size
            keys = [(AGENCY, event_id) for event_id in submitter.acknowledged]
            found = reader.events_by_key(keys)
            assert len(found) == len(keys)
            for (_, event_id), stored in found.items():
                receipt = submitter.acknowledged[event_id]
                assert stored.leaf_index == receipt["leafIndex"] and hex0x(stored.leaf_hash) == receipt["leafHash"]
            root = merkle.root(reader.leaf_hashes(0, size))
            plan = merkle.root_plan(size)
            assert merkle.root_from_nodes(plan, reader.get_nodes(plan)) == root
            if chain is not None:
                assert chain.root_at(size) == root, "the chain's root for the whole tree is not the recomputed one"
            return size
    finally:
        store.engine.dispose()


# --- (a) anvil killed during anchoring --------------------------------------------------------------


def _valid_state(path: Path) -> bytes | None:
    try:
        raw = path.read_bytes()
        json.loads(raw)
    except (OSError, ValueError):
        return None
    return raw


@pytest.mark.slow
@pytest.mark.anvil
@pytest.mark.chain
def test_anvil_killed_during_anchoring_then_restored_without_its_last_anchors(tmp_path):
    state_file = tmp_path / "anvil-state.json"
    node = start_anvil(tmp_path / "anvil", state_file=state_file, state_interval_s=1)
    server = submitter = None
    try:
        data, key = _init(
            tmp_path, "--chain", node.url, anchor_every_leaves=12, anchor_every_seconds=1.0, confirmations=1
        )
        settings = Settings.load(data)
        chain = node.chain(read_keystore(data / OPERATOR_KEYSTORE, PASSWORD), bytes.fromhex(settings.contract[2:]))
        server = SaksiProcess(data, PASSWORD, tmp_path / "serve.log", workers=True).start()
        submitter = Submitter(server.url, key, "KTP-FLT-A")
        submitter.start()

        def chain_size() -> int:
            return chain.latest_checkpoint()[0]

        def anchors_after(size: int, count: int) -> bool:
            seen.add(chain_size())
            return len({s for s in seen if s > size}) >= count

        seen: set[int] = set()
        _wait(lambda: anchors_after(0, 2), 60, "the first anchors", 0.05)
        time.sleep(1.5)  # a state dump after them
        snapshot_size = chain_size()
        snapshot = _wait(lambda: _valid_state(state_file), 10, "a complete anvil state dump")
        _wait(lambda: anchors_after(snapshot_size, 3), 60, "three anchors after the snapshot", 0.05)

        lost_size = chain_size()
        node.kill()  # kill -9, mid-anchoring: the worker anchors every second
        killed_at = time.monotonic()
        state_file.write_bytes(snapshot)  # anvil's last dump predates the latest anchors
        before = submitter.count
        not_ready = _wait(lambda: server.get("/readyz", status=503), 20, "/readyz to report the chain down")
        assert not not_ready["checks"]["chain"]["ok"], not_ready
        _wait(lambda: submitter.count >= before + 30, 30, "events accepted while the chain is down")
        time.sleep(max(0.0, 4.0 - (time.monotonic() - killed_at)))  # the worker fails and backs off meanwhile

        node.start()  # same port, same --state file
        before = submitter.count
        restored_size = chain.latest_checkpoint()[0]
        assert restored_size < lost_size, f"anvil kept the anchors it should have lost ({restored_size})"
        _wait(lambda: submitter.count >= before + 30, 30, "events accepted after the restart")
        submitter.stop()
        size = len(submitter.acknowledged)
        _wait(lambda: chain.latest_checkpoint()[0] == size, 120, f"the chain to anchor all {size} leaves")
        _wait(lambda: server.get("/readyz"), 30, "/readyz to report ready again")
        ready = _wait(
            lambda: (r := server.get("/readyz")) and r["checks"]["anchorWorker"]["pendingSize"] is None and r,
            30,
            "no anchor left in flight",
        )
        assert ready["checks"]["anchoring"]["unanchoredLeaves"] == 0, ready
        assert server.alive
        server.stop()

        _audit(data, submitter, chain)
        store = open_store(Settings.load(data))
        with store.read() as reader:
            statuses = dict(
                reader.conn.execute(select(anchors.c.status, func.count()).group_by(anchors.c.status)).all()
            )
        store.engine.dispose()
        # the anchors anvil lost were found dropped (mined or confirmed, then gone) and anchored again
        assert statuses.get("dropped", 0) >= 1, statuses
        for line in (tmp_path / "serve.log").read_text(errors="replace").splitlines():
            if any(word in line for word in ("dropped", "re-sending", "paused", "replacing")):
                print(line[:200])
        print(
            json.dumps(
                {
                    "events": len(submitter.acknowledged),
                    "lost_size": lost_size,
                    "restored": restored_size,
                    "anchors": statuses,
                    "refused_batches": len(submitter.failures),
                }
            )
        )
    finally:
        if submitter is not None:
            submitter.halt.set()
        if server is not None:
            server.stop()
        node.kill()


# --- (b) PostgreSQL restarted during ingest ---------------------------------------------------------


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port (initdb as the postgres user when run as root)."""

    def __init__(self) -> None:
        bin_dir = _postgres_bin()
        if bin_dir is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bin = bin_dir
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user and shutil.which("runuser") is None:
            pytest.skip("running as root without runuser")
        self.root = Path(tempfile.mkdtemp(prefix="saksi-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(args)}: {result.stdout}{result.stderr}{self.log_tail()}")

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), *args)

    def start(self) -> PrivatePostgres:
        if not self.data.exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._pg_ctl("-w", "-o", options, "start")
        return self

    def restart(self, mode: str) -> None:
        """`fast`: the server ends every session and stops cleanly; `immediate`: it stops without a
        checkpoint and recovers from its WAL on start, as after a crash."""
        self._pg_ctl("-w", "-m", mode, "restart")

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "server.log").read_text(errors="replace")[-2000:]
        return ""

    def destroy(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self._pg_ctl("-w", "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.chain
def test_postgres_restart_during_ingest_loses_and_duplicates_nothing(tmp_path):
    postgres = PrivatePostgres()
    server = submitter = None
    try:
        postgres.start()
        data, key = _init(tmp_path, "--database", postgres.url, anchor_every_leaves=200, anchor_every_seconds=1.0)
        server = SaksiProcess(data, PASSWORD, tmp_path / "serve.log", workers=True).start()
        pid = server.process.pid
        submitter = Submitter(server.url, key, "KTP-FLT-B", cases_per_batch=5)
        submitter.start()
        for mode in ("fast", "immediate"):
            before = submitter.count
            _wait(lambda b=before: submitter.count >= b + 200, 60, "ingest before the restart")
            failures = len(submitter.failures)
            postgres.restart(mode)
            _wait(lambda f=failures: len(submitter.failures) > f or submitter.crashed, 5, "a refused batch", 0.05)
            after = submitter.count
            _wait(lambda a=after: submitter.count >= a + 200, 60, f"ingest to resume after the {mode} restart")
        submitter.stop()
        assert server.alive and server.process.pid == pid, "the server had to be restarted"
        _wait(lambda: server.get("/readyz"), 30, "/readyz to report ready")
        _wait(
            lambda: (c := server.get("/v1/checkpoints/latest")) and c["anchor"] and c["treeSize"] == submitter.count,
            90,
            "anchoring to cover everything",
        )
        server.stop()
        size = _audit(data, submitter)
        print(
            json.dumps({"events": size, "refused_batches": len(submitter.failures), "refusals": submitter.failures[:4]})
        )
    finally:
        if submitter is not None:
            submitter.halt.set()
        if server is not None:
            server.stop()
        postgres.destroy()


# --- (c) writers racing on one case -----------------------------------------------------------------


def test_concurrent_writers_on_one_case_one_wins_each_seq(ledger):  # noqa: F811 - the fixture
    """Four writers, two API hosts (two apps, each its own submission queue, one database): per round all
    four extend the same head at once; exactly one is appended, the others learn the new head from 409."""
    writers, rounds = 4, 12
    other_host = Ledger(ledger.settings, ledger.store, ledger.clock_ms)
    apps = [create_app(ledger.settings, ledger=lg) for lg in (ledger, other_host)]
    case = CaseBuilder(DUKCAPIL)
    barrier = threading.Barrier(writers, timeout=60)
    outcomes: list[list[tuple[int, dict]]] = [[] for _ in range(writers)]
    errors: list[BaseException] = []

    def write(w: int, url: str) -> None:
        try:
            seq, head = 0, ZERO32
            with httpx.Client(base_url=url, timeout=30) as http:
                for r in range(rounds):
                    builder = CaseBuilder(DUKCAPIL, ref=case.ref, key=case.key, seq=seq, head=head)
                    item = builder.next_item(
                        "documents.verified", f"Langkah {r} oleh penulis {w}", event_id=f"w{w}-r{r}"
                    )
                    barrier.wait()
                    response = http.post("/v1/events", json=item)
                    body = response.json()
                    outcomes[w].append((response.status_code, body))
                    if response.status_code == 201:
                        seq, head = body["caseHead"]["caseSeq"], bytes.fromhex(body["caseHead"]["headHash"][2:])
                    else:
                        seq, head = body["caseSeq"], bytes.fromhex(body["headHash"][2:])
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    with serve(apps[0]) as url_a, serve(apps[1]) as url_b:
        threads = [threading.Thread(target=write, args=(w, (url_a, url_b)[w % 2])) for w in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        timeline = httpx.get(f"{url_a}/v1/cases/{hex0x(case.commitment)}", timeout=30).json()

    winners = []
    for r in range(rounds):
        answers = [outcomes[w][r] for w in range(writers)]
        won = [body for status, body in answers if status == 201]
        assert len(won) == 1, f"round {r}: {[status for status, _ in answers]}"
        winner = won[0]
        assert winner["caseHead"]["caseSeq"] == r + 1
        for status, body in answers:
            if status != 201:
                assert status == 409 and body["type"].endswith("/stale-case-head"), body
                assert body["caseSeq"] == r + 1 and body["headHash"] == winner["caseHead"]["headHash"], body
        winners.append(winner["eventId"])

    stored = timeline["events"]
    assert [e["eventId"] for e in stored] == winners
    assert [e["caseSeq"] for e in stored] == list(range(1, rounds + 1))
    previous = ZERO32
    for entry in stored:
        event = ServiceEvent.from_json({k: entry[k] for k in EVENT_FIELDS})
        assert event.prev_event_hash == previous
        previous = event.hash_struct()
    assert timeline["head"] == {"caseSeq": rounds, "headHash": hex0x(previous)}
