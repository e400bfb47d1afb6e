"""GET /v1/tlog-proofs/{leafIndex} and GET /v1/cases/{c}/tlog-proofs: c2sp.org/tlog-proof@v1 files that
verify offline against the witness policy (ours and tlog-scales' verifiers), an archive per case."""

from __future__ import annotations

import hashlib
import io
import zipfile

import orjson
import pytest
from tlog_scales.signing import Vkey as ScalesVkey
from tlog_scales.tiles import leaf_hash as scales_leaf_hash
from tlog_scales.tlog import Checkpoint as ScalesCheckpoint
from tlog_scales.tlog import InclusionProof as ScalesInclusionProof

from ledger.core.note import Cosigner
from ledger.core.policy import Policy
from ledger.core.tlog_proof import TlogProof, verify_tlog_proof
from ledger.errors import InclusionProofInvalid, VerificationFailed
from tests.factories import CaseBuilder


def test_a_tlog_proof_verifies_offline_with_the_policy(witnessed_app):
    client, seeded = witnessed_app.client, witnessed_app.seed(3)
    response = client.get("/v1/tlog-proofs/1")
    assert response.status_code == 200 and response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="saksi-leaf-1.tlog-proof"'
    proof = TlogProof.parse(response.content)
    assert proof.index == 1 and proof.tree.tree_size == 3
    policy = Policy.parse(witnessed_app.policy_text)
    checked = verify_tlog_proof(proof, proof.leaf_hash(), policy)
    assert checked.quorum_met and len(checked.cosigned_by) == 3
    assert proof.leaf_hash() == bytes.fromhex(seeded[1]["leafHash"][2:])
    # tlog-scales: its own checkpoint parser, log-signature verifier and RFC 9162 inclusion check
    text = response.text
    note_text = text.split("\n\n", 1)[1]
    scales = ScalesCheckpoint.from_text(note_text)
    scales.verify(ScalesVkey.from_string(witnessed_app.log_vkey))
    ScalesInclusionProof(1, 3, list(proof.inclusion)).check(scales_leaf_hash(proof.leaf().to_bytes()), scales.root_hash)


def test_a_tampered_tlog_proof_is_refused(witnessed_app):
    witnessed_app.seed(3)
    text = witnessed_app.client.get("/v1/tlog-proofs/0").text
    policy = Policy.parse(witnessed_app.policy_text)
    proof = TlogProof.parse(text)
    with pytest.raises(InclusionProofInvalid):
        verify_tlog_proof(proof, hashlib.sha256(b"another leaf").digest(), policy)
    forged = Cosigner(witnessed_app.witness_names[0], hashlib.sha256(b"saksi test forger").digest())
    lines = text.splitlines(keepends=True)
    # replace the first cosignature by one under another key with the same name and key id
    for i, line in enumerate(lines):
        if line.startswith("— " + witnessed_app.witness_names[0]):
            good = line.split()[2]
            bad_sig = forged.cosign(proof.checkpoint.text, 1_800_000_000).line().split()[2]
            lines[i] = line.replace(good, good[:8] + bad_sig[8:])  # key id kept, signature forged
    with pytest.raises(VerificationFailed):
        verify_tlog_proof(TlogProof.parse("".join(lines)), proof.leaf_hash(), policy)


def test_no_proof_past_the_checkpoint_that_counts(witnessed_app):
    witnessed_app.seed(2)
    witnessed_app.append_unwitnessed(1)
    response = witnessed_app.client.get("/v1/tlog-proofs/2")
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert "not covered yet" in response.json()["detail"]
    assert witnessed_app.client.get("/v1/tlog-proofs/-1").status_code == 422


def test_the_case_archive_holds_a_proof_per_event_the_bundle_and_the_policy(witnessed_app):
    case = CaseBuilder(witnessed_app.agency)
    witnessed_app.seed(3, case)
    response = witnessed_app.client.get(f"/v1/cases/0x{case.commitment.hex()}/tlog-proofs")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert names[-2:] == ["bundle.json", "policy.txt"] and len(names) == 5
    assert names[0].startswith("0001-ev-") and names[0].endswith(".tlog-proof")
    policy = Policy.parse(archive.read("policy.txt"))
    for name in names[:3]:
        proof = TlogProof.parse(archive.read(name))
        assert verify_tlog_proof(proof, proof.leaf_hash(), policy).quorum_met
    bundle = orjson.loads(archive.read("bundle.json"))
    assert bundle["caseCommitment"] == f"0x{case.commitment.hex()}"
    # the same proofs make the same bytes
    assert witnessed_app.client.get(f"/v1/cases/0x{case.commitment.hex()}/tlog-proofs").content == response.content
