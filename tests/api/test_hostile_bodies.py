"""Raw bytes at every route that takes a body, the way an attacker sends them: random bytes, deep nesting,
huge numbers, duplicate keys, NaN, invalid UTF-8, a byte order mark, mutated valid bodies, odd
Content-Types. Every answer is a 4xx problem (or a success for what is valid), never a 5xx, and nothing
hostile is written. The counts are printed with -s."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from ledger.core.commitment import format_access_code
from tests.api.conftest import DUKCAPIL, offline_chain
from tests.factories import CaseBuilder

pytestmark = pytest.mark.slow
ROUTES = ("/v1/events", "/v1/erasures", "/v1/complaints", "/chain-rpc")
TALLY: Counter = Counter()

_case = CaseBuilder(DUKCAPIL)
VALID = {
    "/v1/events": orjson.dumps(_case.next_item(payload={"nama": "Siti", "nik": "3174015505900001"})),
    "/v1/erasures": orjson.dumps(_case.next_item("erasure.personal_data", "x", {"erases": [0], "legalBasis": "UU"})),
    "/v1/complaints": orjson.dumps(
        {"caseRef": _case.ref, "accessCode": format_access_code(_case.key), "category": "delay", "message": "m"}
    ),
    "/chain-rpc": b'{"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"to": "0x00", "data": "0x"}]}',
}

HOSTILE_FRAGMENTS = st.sampled_from(
    [
        b"[" * 100_000,
        b'{"a":' * 5000,
        b"[" * 1024 + b"]" * 1024,
        b"[" * 1025 + b"]" * 1025,
        b"1" * 5000,
        b"-" + b"9" * 400,
        b"1e999999",
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"\xef\xbb\xbf",
        b"\xff\xfe\x00",
        b"\xc3\x28",
        b"\xed\xa0\x80",  # a UTF-8 encoded surrogate
        b'"\\ud800"',
        b"\x00",
        b'{"events": [], "events": 1}',
        b'{"event": 1, "event": {}}',
        b"18446744073709551616",
        b"-9223372036854775809",
        b"0.1e-400",
        b"//",
        b"/*",
        b",",
        b"}",
        b"]",
        b'"',
    ]
)


def _mutated(draw) -> bytes:
    route = draw(st.sampled_from(ROUTES))
    body = VALID[route]
    at = draw(st.integers(min_value=0, max_value=len(body)))
    cut = draw(st.integers(min_value=0, max_value=40))
    insert = draw(HOSTILE_FRAGMENTS | st.binary(max_size=16))
    return body[:at] + insert + body[at + cut :]


@st.composite
def hostile_bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["random", "fragment", "mutated", "composed"]))
    if kind == "random":
        return draw(st.binary(max_size=512))
    if kind == "fragment":
        return draw(HOSTILE_FRAGMENTS)
    if kind == "mutated":
        return _mutated(draw)
    parts = draw(st.lists(HOSTILE_FRAGMENTS | st.binary(max_size=8), min_size=1, max_size=5))
    return b"".join(parts)


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json",
        "application/json; charset=utf-8",
        "application/x+json",
        "text/plain",
        None,
    ]
)


@pytest.fixture
def hostile_client(ledger):
    limits = replace(ledger.settings.limits, complaint_rate_per_hour=10**9)  # refusals by content, not by rate
    settings = ledger.settings.with_(limits=limits)
    return TestClient(create_app(settings, ledger=ledger, chain_request=offline_chain))


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    tried = sum(v for (_, what), v in TALLY.items() if what == "tried")
    refused = sum(v for (_, what), v in TALLY.items() if what == "refused")
    print(f"hostile bodies: {tried} sent, {refused} refused with a 4xx problem, {tried - refused} accepted")
    for status in sorted({what for _, what in TALLY if isinstance(what, int)}):
        print(f"  status {status}: {sum(v for (_, what), v in TALLY.items() if what == status)}")


def test_hostile_bytes_at_every_body_route(hostile_client, ledger, request):
    if request.node.callspec.params.get("store") == "postgres":
        pytest.skip("one database is enough for fuzzing the HTTP layer")
    size_before = ledger.status().tree_size

    @settings(max_examples=600, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(route=st.sampled_from(ROUTES), body=hostile_bodies(), content_type=CONTENT_TYPES)
    def send(route, body, content_type):
        headers = {} if content_type is None else {"content-type": content_type}
        response = hostile_client.post(route, content=body, headers=headers)
        TALLY[route, "tried"] += 1
        TALLY[route, response.status_code] += 1
        assert response.status_code < 500, (route, body[:200], response.text[:300])
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json"), (route, body[:100])
            problem = response.json()
            assert problem["status"] == response.status_code and problem["type"] and problem["detail"]
            TALLY[route, "refused"] += 1
        else:
            assert content_type is not None and "json" in content_type, (route, content_type)  # else 415
        if response.status_code == 201:
            written.append(route)
            if route in ("/v1/events", "/v1/erasures"):
                # a signed item is accepted only as itself: a mutation that changed its content broke the signature
                assert orjson.loads(body) == orjson.loads(VALID[route]), (route, body[:200])

    written: list[str] = []
    send()
    # nothing but what was accepted was written
    assert ledger.status().tree_size == size_before + len(written)


def test_the_valid_bodies_are_accepted(hostile_client, ledger):
    """The fuzzing starts from bodies that work: a refusal of them would make the mutations meaningless."""
    assert (
        hostile_client.post(
            "/v1/events", content=VALID["/v1/events"], headers={"content-type": "application/json"}
        ).status_code
        == 201
    )
    assert (
        hostile_client.post(
            "/v1/erasures", content=VALID["/v1/erasures"], headers={"content-type": "application/json"}
        ).status_code
        == 201
    )
    complaint = hostile_client.post(
        "/v1/complaints", content=VALID["/v1/complaints"], headers={"content-type": "application/json"}
    )
    assert complaint.status_code == 201, complaint.text
