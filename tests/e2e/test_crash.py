"""Crash suite: kill -9 the real server while an agency submits 20,000 events; nothing acknowledged is lost.

The server runs `saksi serve` on SQLite with the embedded chain (both must survive kill -9). While the
client submits in batches, the server is killed at random points and restarted; the client resends what
was not acknowledged. Then every acknowledged event is present exactly once, the stored tree matches a
recomputation from the leaves, anchoring resumed and covers everything.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time

import httpx
import pytest

from ledger.checker.client import AgencyClient, CaseState
from ledger.config import Settings
from ledger.core import merkle
from ledger.errors import RetryLater
from ledger.keys import read_keystore
from ledger.runtime import agency_keystore, init_data_dir, open_store
from tests.live import SaksiProcess

pytestmark = [pytest.mark.slow, pytest.mark.chain]
PASSWORD = "crash-test-password"
EVENTS = int(os.environ.get("SAKSI_CRASH_EVENTS", "20000"))
KILLS = 10


def test_kill_9_during_ingest_loses_nothing(tmp_path):
    data = tmp_path / "data"
    settings = init_data_dir(data, PASSWORD)
    settings.with_(anchor_every_leaves=2000, anchor_every_seconds=1.0).save()
    # the agency: registered through the CLI, as an operator would
    env = {**os.environ, "SAKSI_PASSWORD": PASSWORD}
    keystore = agency_keystore(settings, "dukcapil.jaksel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ledger.cli",
            "agency",
            "add",
            "dukcapil.jaksel",
            "--new-key",
            str(keystore),
            "--data-dir",
            str(data),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    key = read_keystore(keystore, PASSWORD)
    # restarted on the same port after every kill -9, so the client keeps its URL; stopped if the test fails
    with SaksiProcess(data, PASSWORD, tmp_path / "serve.log", workers=True) as server:
        client = AgencyClient(server.url, "dukcapil.jaksel", key, retries=0, timeout_s=10)
        rng = random.Random(9)
        cases = [CaseState.new(f"KTP-JKS-2026-{i:06d}") for i in range(EVENTS // 4)]
        items = [
            client.build(c, "application.submitted", "Permohonan diterima", occurred_at=1_763_000_000) for c in cases
        ]
        items += [
            client.build(c, "documents.verified", "Dokumen diverifikasi", occurred_at=1_763_086_400) for c in cases
        ]
        items += [client.build(c, "biometrics.recorded", "Biometrik direkam", occurred_at=1_763_172_800) for c in cases]
        items += [client.build(c, "document.issued", "KTP-el diserahkan", occurred_at=1_763_259_200) for c in cases]
        acknowledged: dict[str, dict] = {}
        done = threading.Event()
        kills = 0

        def killer():
            nonlocal kills
            while not done.is_set() and kills < KILLS * 3:
                time.sleep(rng.uniform(0.2, 1.2))
                if done.is_set():
                    return
                server.kill9()
                kills += 1
                server.start()

        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        position = 0
        batch = 250
        while position < len(items):
            chunk = items[position : position + batch]
            try:
                outcomes = client.submit(chunk)
            except (RetryLater, httpx.HTTPError):
                time.sleep(0.1)
                continue  # not acknowledged: resend the same bytes
            for item, outcome in zip(chunk, outcomes, strict=True):
                assert isinstance(outcome, dict), outcome
                acknowledged[item["event"]["eventId"]] = outcome
            position += batch
            if kills < KILLS:
                time.sleep(0.3)  # keep ingest going long enough for the killer's rounds
        done.set()
        thread.join()
        assert kills >= KILLS, f"only {kills} kills happened during ingest"
        # anchoring resumed after the last restart and covers everything
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            latest = httpx.get(server.url + "/v1/checkpoints/latest", timeout=5)
            if latest.status_code == 200 and latest.json()["treeSize"] == EVENTS and latest.json()["anchor"]:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"anchoring did not catch up: {latest.text}")
        server.kill9()

    settings = Settings.load(data)
    store = open_store(settings)
    with store.read() as reader:
        size = reader.tree_size()
        assert size == EVENTS == len(acknowledged)
        for event_id, receipt in acknowledged.items():
            stored = reader.events_by_key([("dukcapil.jaksel", event_id)])[("dukcapil.jaksel", event_id)]
            assert stored.leaf_index == receipt["leafIndex"] and "0x" + stored.leaf_hash.hex() == receipt["leafHash"]
        leaves = reader.leaf_hashes(0, size)
        plan = merkle.root_plan(size)
        assert merkle.root_from_nodes(plan, reader.get_nodes(plan)) == merkle.root(leaves)
        assert reader.latest_anchored_checkpoint(settings.domain.chain_id, settings.domain.verifying_contract)[
            1
        ] == merkle.root(leaves)
    print(json.dumps({"events": EVENTS, "kills": kills}))
