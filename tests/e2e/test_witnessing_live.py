"""Witnessing live: `saksi serve` (workers on) and the demo's three `saksi witness serve` processes.

(a) A new event is cosigned by the 2-of-3 quorum and becomes what citizens verify against.
(b) Two witnesses down: events are still accepted and, after the grace period, anchored; `/readyz` stays
    ready and says that witnessing lags; the citizen checkpoint waits for the quorum.
(c) `kill -9` of the log while it witnesses; the witnesses come back; the restarted log catches them up
    (each from its own size) until the whole tree is witnessed, with no witness left in error.
(The event -> cosigned latency is a benchmark, benchmarks/, not a timing asserted here.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ledger.checker.client import AgencyClient, CaseState
from ledger.cli.demo import DEMO_PASSWORD
from ledger.cli.demo_witnesses import Witnesses
from ledger.config import Settings
from ledger.demo import AGENCIES
from ledger.keys import read_keystore
from ledger.runtime import agency_keystore
from tests.live import free_port, wait_for

pytestmark = pytest.mark.slow


def _serve(data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "SAKSI_PASSWORD": DEMO_PASSWORD}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "serve", "--data-dir", str(data_dir), "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=out,
        )  # fmt: skip
    wait_for(lambda: _get(port, "/healthz") is not None, timeout=90, what="saksi serve")
    return process


def _get(port: int, path: str):
    try:
        response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
    except httpx.HTTPError:
        return None
    return response


def _latest(port: int) -> dict:
    return _get(port, "/v1/checkpoints/latest").json()


def _ready(port: int) -> dict:
    return _get(port, "/readyz").json()


def test_live_witnessing_survives_witnesses_down_and_a_killed_log(tmp_path):
    port = free_port()
    data_dir = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k != "SAKSI_PASSWORD"}
    prepared = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "demo", "--data-dir", str(data_dir), "--port", str(port),
         "--no-serve", "--json", "--cases-per-office", "5"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert prepared.returncode == 0, prepared.stderr
    assert len(json.loads(prepared.stdout)["witnessedBy"]) == 3
    settings = Settings.load(data_dir).with_(
        witness_grace_seconds=3.0, max_witness_lag_s=2.0, anchor_every_seconds=1.0, anchor_every_leaves=1000
    )
    settings.save()
    agency = AGENCIES[0]
    key = read_keystore(agency_keystore(settings, agency.code), DEMO_PASSWORD)
    log = tmp_path / "serve.log"
    case = CaseState.new("KTP-JKS-2026-990001")

    witnesses = Witnesses(settings, DEMO_PASSWORD, "127.0.0.1", port).__enter__()
    server = _serve(data_dir, port, log)
    try:
        client = AgencyClient(f"http://127.0.0.1:{port}", agency.code, key)

        def submit(n: int) -> list[int]:
            items = [client.build(case, "application.submitted", f"Langkah {case.seq + 1}") for _ in range(n)]
            receipts = client.submit(items)
            assert all(isinstance(r, dict) for r in receipts), receipts
            return [r["leafIndex"] for r in receipts]

        # (a) cosigned by the quorum, then what citizens verify against
        leaf = submit(1)[0]
        wait_for(
            lambda: _latest(port)["treeSize"] > leaf and _latest(port)["witnessing"]["quorumMet"],
            timeout=60,
            what="the new event witnessed",
        )
        timeline = _get(port, f"/v1/cases/0x{case.commitment.hex()}").json()
        wait_for(
            lambda: (
                (_get(port, f"/v1/cases/0x{case.commitment.hex()}").json()["checkpoint"] or {}).get("treeSize", 0)
                > leaf
            ),
            timeout=60,
            what="the citizen checkpoint to cover the event (witnessed and anchored)",
        )
        timeline = _get(port, f"/v1/cases/0x{case.commitment.hex()}").json()
        assert timeline["checkpoint"]["witnessing"]["quorumMet"]

        # (b) two witnesses down: accepted and anchored all the same; ready, and witnessing lags
        for process in witnesses.processes[1:]:
            process.terminate()
            process.wait(timeout=10)
        leaves = submit(3)
        wait_for(lambda: not _ready(port)["checks"]["witnessing"]["ok"], timeout=60, what="witnessing to lag")
        ready = _get(port, "/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        witnessing = ready.json()["checks"]["witnessing"]
        assert witnessing["affectsReadiness"] is False and witnessing["lagLeaves"] >= 1
        errors = {w["name"]: w["lastError"] for w in witnessing["witnesses"]}
        assert errors["ombudsman"] is None and errors["bpk"] and errors["ui"]
        wait_for(
            lambda: _ready(port)["checks"]["anchoring"]["anchoredSize"] > leaves[-1],
            timeout=60,
            what="anchoring to go on without the witnesses",
        )
        citizen = _get(port, f"/v1/cases/0x{case.commitment.hex()}").json()["checkpoint"]
        assert citizen["treeSize"] <= leaves[0]  # not witnessed: citizens still verify against the older one

        # (c) kill -9 of the log while it witnesses; all witnesses back; the restarted log catches up
        more = submit(2)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        witnesses.__exit__()
        witnesses = Witnesses(settings, DEMO_PASSWORD, "127.0.0.1", port).__enter__()
        server = _serve(data_dir, port, log)
        wait_for(
            lambda: _ready(port)["checks"]["witnessing"]["witnessedSize"] > more[-1],
            timeout=90,
            what="the whole tree witnessed after the restart",
        )
        final = _ready(port)["checks"]["witnessing"]
        assert final["lagLeaves"] == 0 and all(w["lastError"] is None for w in final["witnesses"]), final
        assert all(w["cosignedSize"] == final["checkpointSize"] for w in final["witnesses"])
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        witnesses.__exit__()
