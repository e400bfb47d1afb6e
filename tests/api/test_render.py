"""The ledger's reads return domain objects and the API renders them through its response models.

The bytes of each route are asserted whole (field order, aliases, hex, no extra field), and a domain
object that does not fit its model fails instead of reaching a client.
"""

from __future__ import annotations

import dataclasses

import orjson
import pytest
from pydantic import ValidationError

from api import render
from api.responses import model_response
from ledger.core.encoding import hex0x
from ledger.services.views import (
    CaseTimeline,
    ConsistencyProof,
    InclusionProof,
    LeafPage,
    LogStatus,
)
from tests.api.conftest import DUKCAPIL, anchor_now
from tests.factories import CaseBuilder


def _seed(client, n: int) -> CaseBuilder:
    case = CaseBuilder(DUKCAPIL)
    for step in range(n):
        assert client.post("/v1/events", json=case.next_item(summary=f"Langkah {step + 1} ✓")).status_code == 201
    return case


def test_reads_return_domain_objects(client, ledger):
    case = _seed(client, 3)
    anchor_now(ledger)
    assert isinstance(ledger.inclusion(1, 3), InclusionProof)
    assert isinstance(ledger.consistency(1, 3), ConsistencyProof)
    assert isinstance(ledger.leaves(0, 3), LeafPage)
    assert isinstance(ledger.status(), LogStatus)
    timeline = ledger.case_timeline(case.commitment)
    assert isinstance(timeline, CaseTimeline)
    assert [e.stored.event.case_seq for e in timeline.events] == [1, 2, 3]
    assert all(e.anchored for e in timeline.events) and timeline.head.head_hash == case.head
    with pytest.raises(dataclasses.FrozenInstanceError):
        timeline.case_commitment = b""  # type: ignore[misc]


def test_proof_and_leaf_bytes(client, ledger):
    _seed(client, 3)
    proof = ledger.inclusion(1, 3)
    hashes = ledger.leaves(0, 100).leaf_hashes
    body = client.get("/v1/proofs/inclusion", params={"leafIndex": 1, "treeSize": 3}).content
    assert (
        body
        == (
            f'{{"leafIndex":1,"treeSize":3,"leafHash":"{hex0x(hashes[1])}",'
            f'"proof":[{",".join(chr(34) + hex0x(h) + chr(34) for h in proof.proof)}]}}'
        ).encode()
    )
    consistency = ledger.consistency(1, 3)
    body = client.get("/v1/proofs/consistency", params={"from": 1, "to": 3}).content
    assert (
        body
        == f'{{"from":1,"to":3,"proof":[{",".join(chr(34) + hex0x(h) + chr(34) for h in consistency.proof)}]}}'.encode()
    )
    body = client.get("/v1/log/leaves", params={"start": 2, "end": 50}).content
    assert body == f'{{"start":2,"end":3,"leafHashes":["{hex0x(hashes[2])}"]}}'.encode()
    assert client.get("/v1/log/leaves", params={"start": 7, "end": 9}).content == b'{"start":7,"end":7,"leafHashes":[]}'


def test_info_and_checkpoint_bytes(client, ledger, clock):
    domain = ledger.domain
    contract = hex0x(domain.verifying_contract)
    vkey = "null" if ledger.log_vkey is None else f'"{ledger.log_vkey}"'
    assert (
        client.get("/v1/info").content
        == (
            f'{{"origin":"{ledger.origin}","chainId":{domain.chain_id},"contract":"{contract}",'
            f'"eip712Domain":{{"name":"Saksi","version":"1","chainId":{domain.chain_id},"verifyingContract":"{contract}"}},'
            f'"publicRpcUrl":null,"logVkey":{vkey},"witnessPolicy":null,"checkpointCountsWhen":["anchored"],'
            f'"version":"0.1.0"}}'
        ).encode()
    )
    _seed(client, 2)
    size = anchor_now(ledger, status="mined")
    view = ledger.checkpoint(size)
    text = view.checkpoint.to_text().replace("\n", "\\n")
    note = "null" if view.note is None else orjson.dumps(view.note.serialize()).decode()
    assert view.note is not None  # the test ledger signs its checkpoints
    expected = (
        f'{{"treeSize":2,"rootHash":"{hex0x(view.checkpoint.root_hash)}","checkpoint":"{text}",'
        f'"anchor":{{"chainId":{domain.chain_id},"contract":"{contract}","txHash":"0x{"00" * 31}02",'
        f'"blockNumber":102,"status":"mined"}},"note":{note},"witnessing":null}}'
    )
    assert client.get("/v1/checkpoints/latest").content == expected.encode()
    history = b'{"checkpoints":[' + expected[:-1].encode() + f',"createdAt":{clock()}}}]}}'.encode()
    assert client.get("/v1/checkpoints").content == history
    # the bundle and the tests keep the checkpoint JSON without the API
    assert model_response(render.checkpoint(view)).body == expected.encode() == orjson.dumps(view.to_json())


def test_timeline_bytes_follow_the_model(client, ledger):
    case = _seed(client, 2)
    body = client.get(f"/v1/cases/{hex0x(case.commitment)}").content
    event = case.events[0]["event"]
    assert body.startswith(
        f'{{"caseCommitment":"{hex0x(case.commitment)}","events":[{{"eventId":"{event["eventId"]}",'
        f'"agency":"dukcapil.jaksel","caseCommitment":"{hex0x(case.commitment)}","caseSeq":1,'.encode()
    )
    assert '"summary":"Langkah 1 ✓"'.encode() in body  # UTF-8 as it is, not \\u escapes
    assert body.endswith(f'"head":{{"caseSeq":2,"headHash":"{hex0x(case.head)}"}},"checkpoint":null}}'.encode())


def test_a_domain_object_that_does_not_fit_its_model_is_refused(client, ledger):
    _seed(client, 1)
    proof = ledger.inclusion(0, 1)
    with pytest.raises(ValidationError):
        render.inclusion(dataclasses.replace(proof, leaf_index="0x0"))  # type: ignore[arg-type]
    status = ledger.status()
    with pytest.raises(ValidationError):
        render.log_status(dataclasses.replace(status, anchor_lag_s="soon"))  # type: ignore[arg-type]
