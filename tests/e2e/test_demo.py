"""`saksi demo` (what `make demo` runs) prepares a verified, anchored ledger, and re-running it is safe."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from ledger.config import Settings
from ledger.core.bundle import ProofBundle
from ledger.core.commitment import case_commitment, parse_access_code
from ledger.core.policy import Policy
from ledger.core.receipt_proof import ReceiptProof, verify_receipt
from ledger.core.tlog_proof import TlogProof, verify_tlog_proof
from ledger.core.verify import verify_bundle
from ledger.runtime import open_store
from ledger.services.ledger import Ledger
from ledger.storage.schema import events

pytestmark = pytest.mark.slow


def _demo(data_dir):
    env = {k: v for k, v in os.environ.items() if k != "SAKSI_PASSWORD"}
    result = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "demo", "--data-dir", str(data_dir), "--no-serve", "--json", "--cases-per-office", "6"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_demo_prepares_receipts_that_verify_and_is_safe_to_rerun(tmp_path):
    first = _demo(tmp_path / "demo")
    assert len(first["receipts"]) == 4
    assert first["status"]["treeSize"] == first["status"]["anchoredSize"] > 50
    assert all(r["url"].startswith("http://127.0.0.1:8080/#ref=") for r in first["receipts"])
    # three demo witnesses, each its own process, key and data directory, cosigned what citizens check
    assert first["witnessedBy"] == ["Ombudsman RI (demo)", "BPK (demo)", "Universitas Indonesia (demo)"]
    policy = Policy.parse((tmp_path / "demo" / "witness-policy.txt").read_text())
    assert [w.vkey.name for w in policy.witnesses] == ["ombudsman.go.id-demo", "bpk.go.id-demo", "ui.ac.id-demo"]
    assert policy.quorum_met(["ombudsman", "ui"]) and not policy.quorum_met(["bpk"])
    keys = {(tmp_path / "demo" / "demo-witnesses" / w.name / "witness.json").read_text() for w in policy.witnesses}
    assert len(keys) == 3
    second = _demo(tmp_path / "demo")
    assert [r["caseRef"] for r in second["receipts"]] == [r["caseRef"] for r in first["receipts"]]
    assert second["status"]["treeSize"] == first["status"]["treeSize"]

    assert second["witnessedBy"] == first["witnessedBy"]

    settings = Settings.load(tmp_path / "demo")
    text = (tmp_path / "demo" / "witness-policy.txt").read_text()
    ledger = Ledger(
        settings, open_store(settings), lambda: 0, log_vkey=policy.logs[0].vkey, witness_policy=(policy, text)
    )
    with ledger.store.read() as reader:  # no demo eventId names its case reference (16.4)
        event_ids = [row.event_id for row in reader.conn.execute(select(events.c.event_id))]
    assert event_ids and all(e.startswith("ev-") for e in event_ids)
    assert not any(r["caseRef"] in e for r in first["receipts"] for e in event_ids)
    for receipt in first["receipts"]:
        commitment = case_commitment(parse_access_code(receipt["accessCode"]), receipt["caseRef"])
        bundle = ProofBundle.from_json(ledger.case_bundle(commitment).to_json())
        report = verify_bundle(bundle)
        # and the case's first event as an offline c2sp.org/tlog-proof, checked against the demo policy
        first_leaf = ledger.case_timeline(commitment).events[0].stored.leaf_index
        proof = TlogProof.parse(ledger.tlog_proof(first_leaf).proof.serialize())
        assert verify_tlog_proof(proof, proof.leaf_hash(), policy).quorum_met
        assert len(report.checked) == 5  # offline: chain and registry steps need their trust inputs
        # the printed receipt's QR link carries a self-proving receipt of the case's newest step (16.6)
        proof_text = receipt["offlineUrl"].split("&proof=", 1)[1]
        assert receipt["offlineUrl"].startswith(receipt["url"] + "&proof=") and len(proof_text) < 2048
        checked = verify_receipt(ReceiptProof.decode(proof_text), policy)
        assert checked.checked.quorum_met and checked.receipt.event.case_commitment == commitment
    audit = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "audit", "--data-dir", str(tmp_path / "demo"), "--json"],
        env={**os.environ, "SAKSI_PASSWORD": "saksi-demo-only"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert audit.returncode == 0, audit.stdout[-2000:] + audit.stderr
    assert json.loads(audit.stdout)["clean"]
