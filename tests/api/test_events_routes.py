"""POST /v1/events and GET /v1/events/{agency}/{eventId}: every status code."""

from __future__ import annotations

import orjson

from ledger.services.signed_requests import sign_agency_request
from tests.api.conftest import DUKCAPIL, POLRI, anchor_now
from tests.factories import AgencyKey, CaseBuilder

PROBLEM = "application/problem+json"


def _problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"].endswith("/" + kind), body
    assert body["detail"]
    return body


def test_single_event_201_then_200_on_identical_resubmission(client):
    item = CaseBuilder(DUKCAPIL).next_item()
    first = client.post("/v1/events", json=item)
    assert first.status_code == 201
    receipt = first.json()
    assert receipt["leafIndex"] == 0 and receipt["status"] == "pending" and receipt["created"] is True
    assert receipt["caseHead"]["caseSeq"] == 1
    again = client.post("/v1/events", json=item)
    assert again.status_code == 200
    assert {k: v for k, v in again.json().items() if k != "created"} == {
        k: v for k, v in receipt.items() if k != "created"
    }


def test_resubmission_after_anchoring_says_anchored(client, ledger):
    first, second = CaseBuilder(DUKCAPIL).next_item(), CaseBuilder(DUKCAPIL).next_item()
    assert client.post("/v1/events", json=first).status_code == 201
    anchor_now(ledger)  # leaf 0 under an anchored checkpoint
    assert client.post("/v1/events", json=second).json()["status"] == "pending"
    # resubmitted in one batch with a new event: the old one's receipt is anchored, the new one pending
    third = CaseBuilder(DUKCAPIL).next_item()
    response = client.post("/v1/events", json={"events": [first, second, third]})
    assert response.status_code == 201, response.text
    receipts = response.json()["receipts"]
    assert [(r["leafIndex"], r["status"], r["created"]) for r in receipts] == [
        (0, "anchored", False),
        (1, "pending", False),
        (2, "pending", True),
    ]


def _signed_get(client, clock, agency, event_id, key=None, ts=None, scope="events"):
    ts = clock.now_ms // 1000 if ts is None else ts
    signature = sign_agency_request(scope, agency.code, ts, (key or agency).key)
    return client.get(
        f"/v1/events/{agency.code}/{event_id}",
        headers={"X-Saksi-Timestamp": str(ts), "X-Saksi-Signature": signature},
    )


def test_get_event_200_and_404_for_the_agency(client, clock):
    item = CaseBuilder(DUKCAPIL).next_item()
    client.post("/v1/events", json=item)
    got = _signed_get(client, clock, DUKCAPIL, item["event"]["eventId"])
    assert got.status_code == 200, got.text
    assert got.json()["summary"] == item["event"]["summary"]
    _problem(_signed_get(client, clock, DUKCAPIL, "nope"), 404, "not-found")
    assert client.get("/v1/events/BAD/x").status_code == 422


def test_get_event_is_not_public(client, clock):
    """Knowing an agency and an eventId is not enough to read the event's case commitment (16.4)."""
    item = CaseBuilder(DUKCAPIL).next_item()
    client.post("/v1/events", json=item)
    event_id = item["event"]["eventId"]
    unsigned = client.get(f"/v1/events/{DUKCAPIL.code}/{event_id}")
    assert unsigned.status_code == 422 and "caseCommitment" not in unsigned.text
    # another agency's key, a signature made for the inbox, and an old timestamp are all refused
    body = _problem(_signed_get(client, clock, DUKCAPIL, event_id, key=POLRI), 403, "forbidden-signer")
    assert "caseCommitment" not in body
    _problem(_signed_get(client, clock, DUKCAPIL, event_id, scope="inbox"), 403, "forbidden-signer")
    _problem(_signed_get(client, clock, DUKCAPIL, event_id, ts=clock.now_ms // 1000 - 301), 401, "bad-signature")


def test_an_erasure_event_is_refused_at_the_events_door(client, ledger):
    """POST /v1/events takes no erasure.*: it would claim an erasure that nothing carried out (16.5)."""
    case = CaseBuilder(DUKCAPIL)
    assert client.post("/v1/events", json=case.next_item(payload={"nama": "Siti"})).status_code == 201
    erasure = case.next_item(
        "erasure.personal_data", "Data pribadi dihapus", payload={"erases": [0], "legalBasis": "UU 27/2022"}
    )
    body = _problem(client.post("/v1/events", json=erasure), 422, "invalid-field")
    assert body["field"] == "event.eventType" and "/v1/erasures" in body["rule"]
    batch = client.post("/v1/events", json={"events": [erasure]})
    assert batch.status_code == 207 and batch.json()["receipts"][0]["problem"]["field"] == "event.eventType"
    with ledger.store.read() as reader:
        assert reader.tree_size() == 1 and reader.payload(0) is not None
    # the one door: the same event through POST /v1/erasures is appended and shreds the payload
    answer = client.post("/v1/erasures", json=erasure)
    assert answer.status_code == 201, answer.text
    assert answer.json()["erased"] == [0]
    with ledger.store.read() as reader:
        assert reader.tree_size() == 2 and reader.payload(0) is None


def test_conflicting_duplicate_409(client):
    item = CaseBuilder(DUKCAPIL).next_item()
    client.post("/v1/events", json=item)
    other = CaseBuilder(DUKCAPIL).next_item(event_id=item["event"]["eventId"])
    _problem(client.post("/v1/events", json=other), 409, "duplicate-event")


def test_stale_head_409_carries_the_head(client):
    case = CaseBuilder(DUKCAPIL)
    client.post("/v1/events", json=case.next_item())
    stale = CaseBuilder(DUKCAPIL, ref=case.ref, key=case.key).next_item(event_id="x-1")
    body = _problem(client.post("/v1/events", json=stale), 409, "stale-case-head")
    assert body["caseSeq"] == 1 and body["headHash"] == "0x" + case.head.hex()


def test_bad_signature_401_and_forbidden_signer_403(client):
    tampered = CaseBuilder(DUKCAPIL).next_item()
    tampered["event"]["summary"] = "diubah"
    _problem(client.post("/v1/events", json=tampered), 401, "bad-signature")
    _problem(client.post("/v1/events", json=CaseBuilder(DUKCAPIL).next_item(signer=POLRI)), 403, "forbidden-signer")
    _problem(
        client.post("/v1/events", json=CaseBuilder(AgencyKey("imigrasi.surabaya")).next_item()), 403, "forbidden-signer"
    )


def test_invalid_field_422_names_the_field(client):
    item = CaseBuilder(DUKCAPIL).next_item(advance=False)
    item["event"]["caseSeq"] = 0
    body = _problem(client.post("/v1/events", json=item), 422, "invalid-field")
    assert body["field"] == "caseSeq"


def test_oversized_body_413_before_reading(client):
    huge = b'{"events": [' + b"1," * 200_000 + b"1]}"
    _problem(client.post("/v1/events", content=huge, headers={"content-type": "application/json"}), 413, "too-large")


def test_malformed_json_422(client):
    for raw in (b"{", b"\xff\xfe", b'{"summary": "\xc3\x28"}', b"[" * 2000 + b"]" * 2000, b""):
        response = client.post("/v1/events", content=raw, headers={"content-type": "application/json"})
        _problem(response, 422, "invalid-input")


def test_huge_integers_are_invalid_fields(client):
    item = CaseBuilder(DUKCAPIL).next_item(advance=False)
    raw = orjson.dumps(item).replace(b'"caseSeq":1', b'"caseSeq":1' + b"0" * 40)
    body = _problem(
        client.post("/v1/events", content=raw, headers={"content-type": "application/json"}), 422, "invalid-field"
    )
    assert body["field"] == "caseSeq"


def test_batch_over_limit_413(client):
    case = CaseBuilder(DUKCAPIL)
    item = case.next_item(advance=False)
    _problem(client.post("/v1/events", json={"events": [item] * 101}), 413, "too-large")


def test_batch_per_item_results_207(client):
    good = CaseBuilder(DUKCAPIL)
    bad = CaseBuilder(DUKCAPIL).next_item(advance=False)
    bad["event"]["agency"] = "Not Valid"
    response = client.post(
        "/v1/events", json={"events": [good.next_item(), bad, good.next_item("documents.verified", "Lengkap")]}
    )
    assert response.status_code == 207
    receipts = response.json()["receipts"]
    assert receipts[0]["leafIndex"] == 0 and receipts[2]["leafIndex"] == 1
    assert receipts[1]["index"] == 1 and receipts[1]["problem"]["status"] == 422


def test_batch_all_new_201_all_known_200(client):
    case = CaseBuilder(DUKCAPIL)
    items = [case.next_item(), case.next_item("documents.verified", "Lengkap")]
    assert client.post("/v1/events", json={"events": items}).status_code == 201
    assert client.post("/v1/events", json={"events": items}).status_code == 200


def test_bad_batch_shapes_422(client):
    for body in ({"events": []}, {"events": "x"}, {"events": [], "extra": 1}, [1, 2], "text", 5):
        response = client.post("/v1/events", content=orjson.dumps(body), headers={"content-type": "application/json"})
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)


def test_unknown_route_and_method_are_problems(client):
    _problem(client.get("/v1/nothing"), 404, "not-found")
    _problem(client.delete("/v1/events"), 405, "method-not-allowed")
