"""`saksi audit` needs no operator secret and runs beside `saksi serve` on the same data directory.

Issue 16 item 12 and issue 20 item 4: the audit decrypted the operator keystore (asking for a password) and
then stopped because the embedded chain is held by the server. Here a real `saksi serve` on the embedded
chain accepts events from an agency the whole time, and `saksi audit` runs as a separate process with no
SAKSI_PASSWORD and no terminal: the database read-only, the chain read from its store without a key or a
lock. It exits 0 with the anchors checked against the chain, writes its HTML report, and the server goes on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import httpx
import pytest

from ledger.checker.client import AgencyClient, CaseState
from ledger.keys import read_keystore
from tests.live import free_port, wait_for

pytestmark = [pytest.mark.chain, pytest.mark.slow]
SAKSI = [sys.executable, "-m", "ledger.cli"]
PASSWORD = "audit-beside-serve"


def _saksi(env, *args, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*SAKSI, *args], env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )
    if check and result.returncode != 0:
        raise AssertionError(f"saksi {' '.join(args)} exited {result.returncode}: {result.stderr}{result.stdout}")
    return result


def _get(url):
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def _wait(predicate, timeout=90.0, what="condition"):
    return wait_for(predicate, timeout, what)


def test_audit_without_the_password_while_the_server_writes(tmp_path):
    operator_env = {**os.environ, "SAKSI_PASSWORD": PASSWORD}
    auditor_env = {k: v for k, v in os.environ.items() if k != "SAKSI_PASSWORD"}
    data = tmp_path / "data"
    _saksi(operator_env, "init", "--data-dir", str(data))
    config = json.loads((data / "config.json").read_text())
    config.update(anchor_every_leaves=4, anchor_every_seconds=0.5, confirmations=1)
    (data / "config.json").write_text(json.dumps(config))
    keystore = tmp_path / "dukcapil.json"
    _saksi(operator_env, "agency", "add", "dukcapil.jaksel", "--new-key", str(keystore), "--data-dir", str(data))
    key = read_keystore(keystore, PASSWORD)

    port = free_port()
    api = f"http://127.0.0.1:{port}"
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen(
            [*SAKSI, "serve", "--data-dir", str(data), "--port", str(port)],
            env=operator_env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    stop = threading.Event()
    accepted: list[int] = []
    client = AgencyClient(api, "dukcapil.jaksel", key)

    def agency_submits() -> None:
        n = 0
        while not stop.is_set():
            case = CaseState.new(f"KTP-JKS-2026-{n:06d}")
            item = client.build(case, "application.submitted", "Permohonan diterima", payload={"nama": f"Warga {n}"})
            outcomes = client.submit([item])
            assert all(not isinstance(o, Exception) for o in outcomes), outcomes
            accepted.append(n)
            n += 1
            time.sleep(0.05)

    submitter = threading.Thread(target=agency_submits, daemon=True)
    try:
        _wait(lambda: _get(f"{api}/healthz"), what="saksi serve")
        submitter.start()
        _wait(lambda: (c := _get(f"{api}/v1/checkpoints/latest")) and c.get("anchor"), what="a first anchor")
        before = len(accepted)
        audit = _saksi(auditor_env, "audit", "--data-dir", str(data), "--json", "--html", str(tmp_path / "a.html"))
        report = json.loads(audit.stdout)
        assert audit.returncode == 0, audit.stdout[-3000:] + audit.stderr
        assert report["clean"] and report["anchorsChecked"] >= 1 and report["treeSize"] >= 1
        assert report["scope"]["chain"]["chainId"] == config["chain_id"] and report["scope"]["notChecked"] == []
        assert "<html" in (tmp_path / "a.html").read_text()
        # the server went on accepting events during the audit, and still does after it
        _wait(lambda: len(accepted) > before + 3, what="events accepted during and after the audit")
        assert server.poll() is None
        # an incremental audit of a log smaller than a page says that it audited everything
        again = json.loads(_saksi(auditor_env, "audit", "--data-dir", str(data), "--json", "--incremental").stdout)
        assert again["scope"]["incremental"]["resumedFrom"] == 0
        assert "audited from leaf 0" in again["scope"]["incremental"]["reason"]
    finally:
        stop.set()
        if submitter.is_alive():
            submitter.join(timeout=30)
        client.close()
        server.terminate()
        server.wait(timeout=30)
