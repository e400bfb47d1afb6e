"""Schemathesis over every route of /openapi.json (bounded): no 5xx, every error is problem+json, and every
answer is documented (its status, its content type and its body's schema), so the published response
models cannot drift from what the routes return. Inputs are generated valid and invalid (positive and
negative modes) against a ledger with a case, an anchored checkpoint and a complaint in it; a second
test sends one valid request to every route and checks its success answer against the documentation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from ledger.core.commitment import format_access_code
from ledger.core.encoding import hex0x
from ledger.services.complaints import sign_inbox_request
from ledger.services.signed_requests import sign_agency_request
from tests.api.conftest import DUKCAPIL, anchor_now, offline_chain
from tests.factories import CaseBuilder

pytestmark = pytest.mark.slow
ERASE_LEAF_0 = {"erases": [0], "legalBasis": "UU 27/2022 Pasal 8"}


def errors_are_problems(ctx, response, case) -> None:
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), (case.method, case.path, response.status_code)
        body = response.json()
        assert body["status"] == response.status_code and body["type"] and body["detail"]


CHECKS = [
    not_a_server_error,
    errors_are_problems,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _seed(ledger, client) -> dict:
    """A case with two events, an anchored checkpoint and a complaint: the success answers get exercised."""
    case = CaseBuilder(DUKCAPIL)
    first = case.next_item(payload={"nama": "Siti Rahayu"})
    assert client.post("/v1/events", json=first).status_code == 201
    assert client.post("/v1/events", json=case.next_item()).status_code == 201
    anchor_now(ledger)
    complaint = {"caseRef": case.ref, "accessCode": format_access_code(case.key), "category": "delay", "message": "m"}
    assert client.post("/v1/complaints", json=complaint).status_code == 201
    return {"case": case, "first": first, "complaint": complaint}


def _app_and_schema(ledger):
    app = create_app(ledger.settings, ledger=ledger, chain_request=offline_chain)
    return app, schemathesis.openapi.from_asgi("/openapi.json", app)


def test_every_route_survives_generated_input(ledger, request):
    if request.node.callspec.params.get("store") == "postgres":
        pytest.skip("one database is enough for fuzzing the HTTP layer")
    from fastapi.testclient import TestClient

    app, schema = _app_and_schema(ledger)
    _seed(ledger, TestClient(app))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    tried = {"positive": 0, "negative": 0}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=30,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def run(case) -> None:
                tried[case.meta.generation.mode.value if case.meta else "positive"] += 1
                response = case.call()
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid: no parameters, no body
                assert mode is GenerationMode.NEGATIVE, operation.path
    print(f"schemathesis: {tried} requests over {len(operations)} operations, every answer conforming")


def test_a_valid_request_to_every_route_is_answered_as_documented(ledger, request):
    if request.node.callspec.params.get("store") == "postgres":
        pytest.skip("the documentation does not depend on the database")
    from fastapi.testclient import TestClient

    app, schema = _app_and_schema(ledger)
    seeded = _seed(ledger, TestClient(app))
    case, first = seeded["case"], seeded["first"]
    commitment = hex0x(case.commitment)
    timestamp = ledger.clock_ms() // 1000
    inbox_headers = {
        "X-Saksi-Timestamp": str(timestamp),
        "X-Saksi-Signature": sign_inbox_request(DUKCAPIL.code, timestamp, DUKCAPIL.key),
    }
    events_headers = {
        "X-Saksi-Timestamp": str(timestamp),
        "X-Saksi-Signature": sign_agency_request("events", DUKCAPIL.code, timestamp, DUKCAPIL.key),
    }
    calls = [
        ("POST", "/v1/events", {"body": case.next_item()}, 201),
        ("POST", "/v1/erasures", {"body": case.next_item("erasure.personal_data", "Data dihapus", ERASE_LEAF_0)}, 201),
        ("POST", "/v1/events", {"body": first}, 200),
        ("POST", "/v1/events", {"body": {"events": [first, {"x": 1}]}}, 207),
        ("POST", "/v1/events", {"body": {"events": [first]}}, 200),
        (
            "GET",
            "/v1/events/{agency}/{eventId}",
            {
                "path_parameters": dict(agency=DUKCAPIL.code, eventId=first["event"]["eventId"]),
                "headers": events_headers,
            },
            200,
        ),
        ("GET", "/v1/cases/{caseCommitment}", {"path_parameters": {"caseCommitment": commitment}}, 200),
        ("GET", "/v1/cases/{caseCommitment}/bundle", {"path_parameters": {"caseCommitment": commitment}}, 200),
        ("GET", "/v1/cases/{caseCommitment}/tlog-proofs", {"path_parameters": {"caseCommitment": commitment}}, 200),
        ("GET", "/v1/tlog-proofs/{leafIndex}", {"path_parameters": {"leafIndex": 0}}, 200),
        ("GET", "/v1/cases/{caseCommitment}/receipt", {"path_parameters": {"caseCommitment": commitment}}, 200),
        ("POST", "/v1/complaints", {"body": seeded["complaint"]}, 201),
        (
            "GET",
            "/v1/agencies/{agency}/complaints",
            {"path_parameters": {"agency": DUKCAPIL.code}, "headers": inbox_headers},
            200,
        ),
        # its 200 is a stream that never ends by itself: tests/api/test_case_stream.py reads it live
        ("GET", "/v1/cases/{caseCommitment}/stream", {"path_parameters": {"caseCommitment": "0x" + "11" * 32}}, 404),
        ("GET", "/v1/info", {}, 200),
        ("GET", "/v1/checkpoints", {}, 200),
        ("GET", "/v1/checkpoints/latest", {}, 200),
        ("GET", "/v1/checkpoints/{treeSize}", {"path_parameters": {"treeSize": 2}}, 200),
        ("GET", "/v1/proofs/inclusion", {"query": {"leafIndex": 0, "treeSize": 2}}, 200),
        ("GET", "/v1/proofs/consistency", {"query": {"from": 1, "to": 2}}, 200),
        ("GET", "/v1/log/leaves", {"query": {"start": 0, "end": 2}}, 200),
        ("GET", "/v1/agencies", {}, 200),
        ("GET", "/v1/audit/latest", {}, 204),
        ("GET", "/v1/stats", {}, 200),
        ("GET", "/tlog/checkpoint", {}, 200),
        ("GET", "/tlog/tile/{level}/{index}", {"path_parameters": {"level": "0", "index": "000.p/2"}}, 200),
        ("GET", "/tlog/tile/entries/{index}", {"path_parameters": {"index": "000.p/2"}}, 200),
        ("GET", "/healthz", {}, 200),
        ("GET", "/readyz", {}, 200),
        ("GET", "/metrics", {}, 200),
        ("POST", "/chain-rpc", {"body": {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}}, 200),
        ("POST", "/chain-rpc", {"body": {"jsonrpc": "2.0", "id": 2, "method": "eth_sendTransaction"}}, 200),
    ]
    covered = set()
    for method, path, parts, status in calls:
        operation = schema[path][method]
        generated = operation.Case(media_type="application/json" if "body" in parts else None, **parts)
        response = generated.call()
        assert response.status_code == status, (method, path, response.status_code, response.content[:300])
        generated.validate_response(response, checks=CHECKS)
        covered.add((method, path))
    everything = {(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())}
    assert everything == covered
