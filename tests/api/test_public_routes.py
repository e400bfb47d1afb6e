"""Citizen and public routes: timelines, bundles, checkpoints, proofs, leaves, info, stats, operations."""

from __future__ import annotations

from ledger.core import merkle
from ledger.core.bundle import ProofBundle
from ledger.core.checkpoint import Checkpoint
from ledger.core.encoding import hex0x, parse_hex
from ledger.core.note import SIG_ED25519, Vkey
from ledger.core.verify import verify_bundle
from tests.api.conftest import DUKCAPIL, anchor_now
from tests.factories import CaseBuilder, log_signer_for_tests


def _seed(client, cases=3, steps=3):
    built = [CaseBuilder(DUKCAPIL) for _ in range(cases)]
    for step in range(steps):
        for case in built:
            assert client.post("/v1/events", json=case.next_item(summary=f"Langkah {step + 1}")).status_code == 201
    return built


def test_info(client, ledger):
    body = client.get("/v1/info").json()
    assert body["origin"] == ledger.origin and body["chainId"] == ledger.domain.chain_id
    assert body["eip712Domain"] == {**ledger.domain.to_json()}
    # the log's C2SP vkey: named by the origin, Ed25519 (type 0x01), the key that signs /tlog/checkpoint
    assert body["logVkey"] == str(log_signer_for_tests(ledger.origin).vkey)
    assert body["logVkey"].startswith(ledger.origin + "+") and Vkey.parse(body["logVkey"]).sig_type == SIG_ED25519


def test_timeline_and_bundle_verify(client, ledger):
    cases = _seed(client)
    case = cases[1]
    commitment = hex0x(case.commitment)
    timeline = client.get(f"/v1/cases/{commitment}").json()
    assert [e["caseSeq"] for e in timeline["events"]] == [1, 2, 3]
    assert timeline["checkpoint"] is None and not any(e["anchored"] for e in timeline["events"])
    assert client.get(f"/v1/cases/{commitment}/bundle").status_code == 404  # nothing anchored yet
    anchor_now(ledger)
    timeline = client.get(f"/v1/cases/{commitment}").json()
    assert all(e["anchored"] for e in timeline["events"])
    assert timeline["head"]["headHash"] == hex0x(case.head)
    response = client.get(f"/v1/cases/{commitment}/bundle")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    bundle = ProofBundle.from_json(response.json())
    root = bundle.checkpoint.root_hash
    report = verify_bundle(bundle, root_at=lambda size: root)
    assert len(report.checked) == 6


def test_unknown_case_404_and_bad_commitment_422(client):
    assert client.get("/v1/cases/0x" + "ab" * 32).status_code == 404
    assert client.get("/v1/cases/0x1234").status_code == 422


def test_checkpoints_and_proofs(client, ledger):
    _seed(client, cases=4, steps=2)
    assert client.get("/v1/checkpoints/latest").status_code == 404
    size = anchor_now(ledger)
    latest = client.get("/v1/checkpoints/latest").json()
    checkpoint = Checkpoint.from_json(latest)
    assert checkpoint.tree_size == size == 8
    assert latest["anchor"]["blockNumber"] == 108 and latest["anchor"]["status"] == "confirmed"
    assert client.get("/v1/checkpoints/8").json() == latest
    assert client.get("/v1/checkpoints/7").status_code == 404
    leaves = client.get("/v1/log/leaves", params={"start": 0, "end": 100}).json()
    assert leaves["end"] == 8
    hashes = [parse_hex("h", h, 32) for h in leaves["leafHashes"]]
    assert merkle.root(hashes) == checkpoint.root_hash
    proof = client.get("/v1/proofs/inclusion", params={"leafIndex": 5, "treeSize": 8}).json()
    merkle.verify_inclusion(5, 8, hashes[5], [parse_hex("p", p, 32) for p in proof["proof"]], checkpoint.root_hash)
    consistency = client.get("/v1/proofs/consistency", params={"from": 3, "to": 8}).json()
    merkle.verify_consistency(
        3, 8, merkle.root(hashes[:3]), checkpoint.root_hash, [parse_hex("p", p, 32) for p in consistency["proof"]]
    )
    assert client.get("/v1/proofs/inclusion", params={"leafIndex": 8, "treeSize": 8}).status_code == 422
    assert client.get("/v1/proofs/inclusion", params={"leafIndex": 0, "treeSize": 9}).status_code == 422
    assert client.get("/v1/proofs/consistency", params={"from": 9, "to": 8}).status_code == 422
    assert client.get("/v1/proofs/inclusion", params={"leafIndex": -1, "treeSize": 8}).status_code == 422
    assert client.get("/v1/log/leaves", params={"start": 5, "end": 2}).status_code == 422


def test_agencies_and_stats(client, ledger, clock):
    _seed(client, cases=2, steps=2)
    agencies = client.get("/v1/agencies").json()["agencies"]
    assert {a["code"] for a in agencies} == {"dukcapil.jaksel", "polri.satpas-bandung", "pemkot.kupang"}
    stats = client.get("/v1/stats").json()
    assert stats["cases"] == 2 and sum(v["events"] for v in stats["volumes"]) == 4
    assert stats["asOf"] == {"treeSize": 4, "computedAt": clock()}
    assert stats["anchoring"]["unanchoredLeaves"] == 4
    # the aggregates are recomputed at most once per stats_max_age_s; the anchoring lag is always current
    _seed(client, cases=1, steps=1)
    again = client.get("/v1/stats").json()
    assert again["cases"] == 2 and again["asOf"]["treeSize"] == 4 and again["anchoring"]["unanchoredLeaves"] == 5
    clock.advance(int(ledger.settings.limits.stats_max_age_s * 1000))
    fresh = client.get("/v1/stats").json()
    assert fresh["cases"] == 3 and fresh["asOf"] == {"treeSize": 5, "computedAt": clock()}


def test_operations(client, ledger, clock):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    _seed(client, cases=1, steps=1)
    clock.advance(int(ledger.settings.max_anchor_lag_s * 1000) + 1000)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not not_ready.json()["checks"]["anchoring"]["ok"]
    metrics = client.get("/metrics").text
    assert "saksi_events_accepted_total 1.0" in metrics
    assert "saksi_anchor_lag_leaves 1.0" in metrics


def test_openapi_is_3_1(client):
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "SubmissionItem" in spec["components"]["schemas"]


def test_checkpoint_history_and_signer_windows(client, ledger, store):
    _seed(client, cases=2, steps=1)
    first = anchor_now(ledger)
    _seed(client, cases=1, steps=1)
    second = anchor_now(ledger)
    history = client.get("/v1/checkpoints", params={"limit": 10}).json()["checkpoints"]
    assert [c["treeSize"] for c in history] == [second, first]
    assert all(c["anchor"]["status"] == "confirmed" and "createdAt" in c for c in history)
    assert [c["treeSize"] for c in client.get("/v1/checkpoints", params={"before": second}).json()["checkpoints"]] == [
        first
    ]
    with store.write() as tx:
        tx.rotate_agency_signer(DUKCAPIL.code, b"\x42" * 20, at=5_000)
    (dukcapil,) = [a for a in client.get("/v1/agencies").json()["agencies"] if a["code"] == DUKCAPIL.code]
    assert dukcapil["signer"] == "0x" + "42" * 20
    assert [(w["validFrom"], w["validUntil"]) for w in dukcapil["signers"]] == [(0, 5_000), (5_000, None)]
    assert dukcapil["signers"][0]["signer"] == hex0x(DUKCAPIL.address)


def test_latest_audit_is_204_before_the_first_and_the_report_after(client, ledger):
    """No audit yet is a state (204), not a missing resource: a 404 is an error in every browser console."""
    from pathlib import Path

    response = client.get("/v1/audit/latest")
    assert response.status_code == 204 and response.content == b""
    (Path(ledger.settings.data_dir) / "audit-latest.json").write_text('{"clean": true}\n')
    assert client.get("/v1/audit/latest").json() == {"clean": True}
