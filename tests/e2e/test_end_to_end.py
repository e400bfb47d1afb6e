"""End to end with real processes: saksi init on anvil, saksi serve, saksi submit, anchoring, saksi verify --rpc.

Runs on SQLite and on PostgreSQL (a fresh schema).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import create_engine, text

from ledger.checker.client import CaseState
from ledger.core.encoding import hex0x
from ledger.devchain.nodes import start_anvil
from tests.conftest import POSTGRES_URL
from tests.live import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.anvil, pytest.mark.chain, pytest.mark.slow]
SAKSI = [sys.executable, "-m", "ledger.cli"]


def _saksi(env, *args, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run([*SAKSI, *args], env=env, capture_output=True, text=True, timeout=180)
    if check and result.returncode != 0:
        raise AssertionError(f"saksi {' '.join(args)} exited {result.returncode}: {result.stderr}{result.stdout}")
    return result


@pytest.fixture
def anvil(tmp_path):
    node = start_anvil(tmp_path / "anvil")
    yield node
    node.kill()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request):
    if request.param == "sqlite":
        yield ""
        return
    schema = f"e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _wait(predicate, timeout=60.0, what="condition"):
    return wait_for(predicate, timeout, what)


def test_init_serve_submit_anchor_verify(tmp_path, anvil, database):
    env = {**os.environ, "SAKSI_PASSWORD": "e2e-test-password"}
    data = tmp_path / "data"
    _saksi(env, "init", "--data-dir", str(data), "--chain", anvil.url, *(["--database", database] if database else []))
    config = json.loads((data / "config.json").read_text())
    config.update(anchor_every_leaves=5, anchor_every_seconds=1.0, confirmations=1)
    (data / "config.json").write_text(json.dumps(config))
    keystore = tmp_path / "dukcapil.json"
    _saksi(
        env,
        "agency",
        "add",
        "dukcapil.jaksel",
        "--name",
        "Dukcapil Jakarta Selatan",
        "--new-key",
        str(keystore),
        "--data-dir",
        str(data),
    )

    port = free_port()
    api = f"http://127.0.0.1:{port}"
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen(
            [*SAKSI, "serve", "--data-dir", str(data), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        _wait(lambda: _get(f"{api}/healthz"), what="saksi serve")
        case = CaseState.new("KTP-JKS-2026-000777")
        events = tmp_path / "events.jsonl"
        steps = [
            ("application.submitted", "Permohonan KTP-el diterima"),
            ("documents.verified", "Dokumen diverifikasi"),
            ("biometrics.recorded", "Perekaman biometrik selesai"),
            ("document.issued", "KTP-el diserahkan"),
        ]
        lines = [
            {
                "caseRef": case.ref,
                "accessCode": case.access_code,
                "eventType": t,
                "summary": s,
                "occurredAt": 1_763_000_000 + i * 86_400,
                "payload": {"nama": "Siti Rahayu"} if i == 0 else None,
            }
            for i, (t, s) in enumerate(steps)
        ]
        lines += [
            {
                "caseRef": f"KTP-JKS-2026-{n:06d}",
                "accessCode": CaseState.new("X").access_code,
                "eventType": "application.submitted",
                "summary": "Permohonan diterima",
                "occurredAt": 1_763_000_000,
            }
            for n in range(10)
        ]
        events.write_bytes(b"\n".join(orjson.dumps(line) for line in lines))
        result = _saksi(
            env,
            "submit",
            str(events),
            "--agency",
            "dukcapil.jaksel",
            "--keystore",
            str(keystore),
            "--api",
            api,
            "--json",
        )
        assert json.loads(result.stdout)["created"] == 14
        # the README tour's example file, then `saksi anchor` while the server's own worker anchors too
        shutil.copy(ROOT / "examples" / "events.jsonl", tmp_path / "tour.jsonl")
        tour = _saksi(env, "submit", str(tmp_path / "tour.jsonl"), "--agency", "dukcapil.jaksel",
                      "--keystore", str(keystore), "--api", api, "--json")  # fmt: skip
        assert json.loads(tour.stdout)["created"] == 3
        anchored = _saksi(env, "anchor", "--data-dir", str(data), "--json")
        assert json.loads(anchored.stdout)["anchoredSize"] >= 17

        latest = _wait(
            lambda: (c := _get(f"{api}/v1/checkpoints/latest")) and c["treeSize"] == 17 and c["anchor"] and c,
            what="anchor of 17 leaves",
        )
        assert latest["anchor"]["chainId"] == 31337
        bundle_path = tmp_path / "bundle.json"
        bundle = httpx.get(f"{api}/v1/cases/{hex0x(case.commitment)}/bundle").json()
        assert len(bundle["events"]) == 4
        bundle_path.write_text(json.dumps(bundle))
        verified = _saksi(env, "verify", str(bundle_path), "--rpc", anvil.url, "--json")
        report = json.loads(verified.stdout)
        assert report["ok"] and any(step.startswith("7.") for step in report["checked"])
        assert report["chain"]["independent"] and any(step.startswith("8.") for step in report["checked"])
        # without --rpc, the chain the data directory's config names (and its deployment block)
        from_config = json.loads(_saksi(env, "verify", str(bundle_path), "--data-dir", str(data), "--json").stdout)
        assert from_config["checked"] == report["checked"] and from_config["chain"]["rpc"] == anvil.url

        witness = _saksi(
            env, "monitor", "--api", api, "--rpc", anvil.url, "--once", "--json", "--state", str(tmp_path / "w.json")
        )
        assert json.loads(witness.stdout)["alerts"] == [] and json.loads(witness.stdout)["treeSize"] == 17
        witness = _saksi(env, "monitor", "--api", api, "--data-dir", str(data), "--once", "--state", str(tmp_path / "w2.json"))  # fmt: skip
        assert "consistent with the chain" in witness.stdout
        audit = _saksi(env, "audit", "--data-dir", str(data), "--json", check=False)
        assert audit.returncode == 0, audit.stdout + audit.stderr
        assert json.loads(audit.stdout)["clean"] and json.loads(audit.stdout)["anchorsChecked"] >= 1
        bundle["events"][1]["event"]["summary"] = "Dokumen palsu diverifikasi"
        bundle_path.write_text(json.dumps(bundle))
        tampered = _saksi(env, "verify", str(bundle_path), "--rpc", anvil.url, check=False)
        assert tampered.returncode == 1
        assert "3. every signature" in tampered.stderr and tampered.stderr.count("\n") == 1
    finally:
        server.terminate()
        server.wait(timeout=20)


def _get(url):
    try:
        response = httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None
