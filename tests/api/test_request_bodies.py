"""Request bodies are read one way (api.body): JSON by Content-Type (else 415, nothing written), bounded, orjson."""

from __future__ import annotations

import orjson
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from api.body import require_json
from ledger.errors import UnsupportedMediaType
from tests.api.conftest import DUKCAPIL, offline_chain
from tests.factories import CaseBuilder

NOT_JSON = [
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "text/json",
    "application/jsonp",
    "application/+json",
    "application/json; charset=latin-1",
    "",
    None,
]
JSON = ["application/json", "Application/JSON", "application/json; charset=utf-8", "application/merge-patch+json"]


def _post(client, path: str, body: bytes, content_type: str | None):
    headers = {} if content_type is None else {"content-type": content_type}
    return client.post(path, content=body, headers=headers)


def _tree_size(ledger) -> int:
    return ledger.status().tree_size


@pytest.mark.parametrize("content_type", NOT_JSON)
def test_a_valid_event_that_is_not_json_by_its_content_type_is_415_and_not_written(client, ledger, content_type):
    item = CaseBuilder(DUKCAPIL).next_item()
    response = _post(client, "/v1/events", orjson.dumps(item), content_type)
    assert response.status_code == 415, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/unsupported-media-type")
    assert _tree_size(ledger) == 0
    # the same bytes as JSON are written
    assert _post(client, "/v1/events", orjson.dumps(item), "application/json").status_code == 201
    assert _tree_size(ledger) == 1


def test_every_body_route_refuses_what_is_not_json(ledger):
    client = TestClient(create_app(ledger.settings, ledger=ledger, chain_request=offline_chain))
    case = CaseBuilder(DUKCAPIL)
    bodies = {
        "/v1/events": orjson.dumps(case.next_item()),
        "/v1/erasures": orjson.dumps(case.next_item()),
        "/v1/complaints": orjson.dumps(
            {"caseRef": case.ref, "accessCode": "A" * 52, "category": "delay", "message": "hello"}
        ),
        "/chain-rpc": b'{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}',
    }
    spec = client.get("/openapi.json").json()
    assert {path for path, operations in spec["paths"].items() if "post" in operations} == set(bodies)
    for path, body in bodies.items():
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            response = _post(client, path, body, content_type)
            assert response.status_code == 415, (path, content_type, response.text)
            assert response.json()["status"] == 415
    assert _tree_size(ledger) == 0


@pytest.mark.parametrize("content_type", JSON)
def test_json_media_types_are_read(content_type):
    require_json(content_type)


@pytest.mark.parametrize("content_type", NOT_JSON)
def test_other_media_types_are_refused(content_type):
    with pytest.raises(UnsupportedMediaType):
        require_json(content_type)


def test_no_route_lets_fastapi_parse_a_body_and_every_body_is_documented(ledger):
    app = create_app(ledger.settings, ledger=ledger)
    spec = app.openapi()
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        # a body FastAPI parses is read whole, unbounded, by the standard library's recursive parser
        assert route.body_field is None, route.path
        for method in route.methods - {"GET", "HEAD"}:
            body = spec["paths"][route.path][method.lower()]["requestBody"]
            assert list(body["content"]) == ["application/json"], route.path
            assert "415" in spec["paths"][route.path][method.lower()]["responses"], route.path


def test_complaint_fields_are_still_named_when_invalid(client):
    response = client.post("/v1/complaints", json={"caseRef": "x", "accessCode": "short", "message": "m"})
    assert response.status_code == 422
    assert response.json()["field"] == "accessCode"
    response = client.post("/v1/complaints", json={"caseRef": "x", "accessCode": "A" * 52, "message": "m", "x": 1})
    assert response.status_code == 422 and response.json()["field"] == "x"
