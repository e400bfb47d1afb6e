"""The URL and header limits hold under any ASGI server (api.request_limits.RequestLimits): 414/431 problems."""

from __future__ import annotations

from api.request_limits import MAX_HEADER_BYTES, MAX_HEADER_COUNT, MAX_URL_BYTES


def _problem(response, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].endswith("/" + kind) and body["detail"]


def test_url_over_the_limit_is_414(client):
    _problem(client.get("/v1/stats?x=" + "a" * MAX_URL_BYTES), 414, "uri-too-long")
    _problem(client.get("/v1/" + "a" * MAX_URL_BYTES), 414, "uri-too-long")
    assert client.get("/healthz?x=" + "a" * (MAX_URL_BYTES - 100)).status_code == 200


def test_header_block_over_the_limit_is_431(client):
    _problem(client.get("/healthz", headers={"x-big": "a" * MAX_HEADER_BYTES}), 431, "headers-too-large")
    many = {f"x-{i}": "1" for i in range(MAX_HEADER_COUNT)}
    _problem(client.get("/healthz", headers=many), 431, "headers-too-large")
    assert client.get("/healthz", headers={"x-ok": "a" * (MAX_HEADER_BYTES // 2)}).status_code == 200


def test_refused_requests_never_reach_the_app(client, ledger):
    from tests.api.conftest import DUKCAPIL
    from tests.factories import CaseBuilder

    item = CaseBuilder(DUKCAPIL).next_item()
    response = client.post("/v1/events", json=item, headers={"x-big": "a" * MAX_HEADER_BYTES})
    _problem(response, 431, "headers-too-large")
    assert ledger.status().tree_size == 0
