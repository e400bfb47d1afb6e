"""Hostile bodies against a real `saksi serve` process: a crash (a segfault) would end it, not a test thread.

Every route that takes a body (every POST in /openapi.json) gets a JSON body nested 100,000 deep, a
declared Content-Length of 200 MiB, and a chunked body that never ends: each is a 4xx problem, the
oversized ones before the body is read whole, and the server still answers afterwards. So do a URL
and a header block over the limits, which the server refuses while it parses them (414/431).
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time

import httpx
import orjson
import pytest

from api.request_limits import MAX_HEADER_COUNT, MAX_URL_BYTES
from ledger.config import Limits
from ledger.runtime import init_data_dir
from tests.factories import AgencyKey, CaseBuilder
from tests.live import SaksiProcess

PASSWORD = "request-limits-test-password"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("limits") / "data"
    settings = init_data_dir(data, PASSWORD)
    # rate limits out of the way: these tests send many hostile requests from one address
    settings.with_(limits=Limits(citizen_rate_per_minute=10**7, complaint_rate_per_hour=10**9)).save()
    return data


@pytest.fixture(scope="module")
def server(data_dir, tmp_path_factory):
    with SaksiProcess(data_dir, PASSWORD, tmp_path_factory.mktemp("log") / "serve.log") as process:
        yield process


def body_routes(server) -> list[str]:
    spec = httpx.get(server.url + "/openapi.json", timeout=5).json()
    routes = sorted(path for path, operations in spec["paths"].items() if "post" in operations)
    assert {"/v1/events", "/v1/erasures", "/v1/complaints", "/chain-rpc"} <= set(routes)
    return routes


def exchange(server, head: bytes, chunks=(), timeout: float = 10.0) -> tuple[int, bytes, int]:
    """Send a request head, then body chunks until the server answers; (status, answer, body bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    sent = 0
    try:
        sock.sendall(head)
        for chunk in chunks:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except OSError:  # the server answered and closed while the body was still coming
                break
            sent += len(chunk)
        answer = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 4 + _length(answer):
            if time.monotonic() > deadline:
                raise AssertionError(f"no complete answer within {timeout} s: {answer[:200]!r}")
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer[9:12]), answer, sent


def _length(answer: bytes) -> int:
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    for line in head.split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def assert_problem(answer: bytes, status: int) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower(), head
    assert f'"status":{status}'.encode() in body, body[:300]


def test_deep_json_on_every_body_route_is_a_problem_and_the_server_lives(server):
    routes = body_routes(server)
    deep_bodies = {
        "arrays": b"[" * 100_000 + b"]" * 100_000,
        "objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "just past the nesting limit": b"[" * 1025 + b"]" * 1025,
    }
    for route in routes:
        for name, body in deep_bodies.items():
            try:
                response = httpx.post(
                    server.url + route, content=body, headers={"content-type": "application/json"}, timeout=20
                )
            except httpx.HTTPError as exc:
                raise AssertionError(f"{route} ({name}): no answer, server alive: {server.alive}: {exc}") from None
            assert 400 <= response.status_code < 500, (route, name, response.status_code, response.text[:200])
            assert response.headers["content-type"].startswith("application/problem+json"), (route, name)
            assert server.alive and server.answers(), (route, name, server.log_tail())


def test_a_payload_as_deep_as_the_parser_allows_is_refused_not_an_internal_error(server):
    """At the default recursion limit, RFC 8785 canonicalisation of a payload ~1000 deep would raise."""
    item = CaseBuilder(AgencyKey("dukcapil.jaksel")).next_item(payload={"nama": "Siti"})
    item["payload"] = "DEEP"
    for depth in (65, 1020):
        body = orjson.dumps(item).replace(b'"DEEP"', b"[" * depth + b"0" + b"]" * depth)
        response = httpx.post(
            server.url + "/v1/events", content=body, headers={"content-type": "application/json"}, timeout=20
        )
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "payload" and "nested" in response.json()["detail"]
    assert server.alive and server.answers()


def test_the_serving_process_keeps_the_default_recursion_limit(tmp_path):
    """`saksi serve` as far as uvicorn: the limit it would serve with, after every import."""
    data_dir = tmp_path / "data"
    init_data_dir(data_dir, PASSWORD)
    probe = (
        "import sys, uvicorn\n"
        "uvicorn.Server.run = lambda self, *a, **k: print('limit', sys.getrecursionlimit(), flush=True)\n"
        "from ledger.cli import main\n"
        f"sys.argv = ['saksi', 'serve', '--no-workers', '--data-dir', {str(data_dir)!r}]\n"
        "main()\n"
    )
    env = {**os.environ, "SAKSI_PASSWORD": PASSWORD}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert "limit 1000" in result.stdout.splitlines(), (result.stdout, result.stderr[-2000:])
    # and the libraries that raise it were imported by then, so no later import can raise it again
    raised = subprocess.run(
        [sys.executable, "-c", "import sys, eth, py_ecc; print(sys.getrecursionlimit())"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert int(raised.stdout) > 1000  # what the test guards against, still true of the dependencies


def test_declared_oversized_body_is_refused_before_it_is_sent(server):
    declared = 200 * 1024 * 1024
    for route in body_routes(server):
        head = (
            f"POST {route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
        ).encode()
        started = time.monotonic()
        status, answer, _ = exchange(server, head, timeout=5)
        assert status == 413, (route, answer[:300])
        assert_problem(answer, 413)
        assert time.monotonic() - started < 5
    assert server.alive and server.answers()


def test_chunked_oversized_body_is_refused_while_it_arrives(server):
    limit = Limits().max_body_bytes  # the live server's: config.json keeps the default
    chunk = b"[" + b"0," * (512 * 1024) + b"0]"  # ~1 MiB of valid-looking JSON per chunk
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    rss_before = server.rss_bytes()
    for route in body_routes(server):
        head = (
            f"POST {route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        status, answer, sent = exchange(server, head, chunks=[framed] * 200, timeout=20)  # up to 200 MiB
        assert status == 413, (route, answer[:300])
        assert_problem(answer, 413)
        # refused once past the limit: what was sent beyond it sat in socket buffers, never in the body
        assert sent < 200 * len(framed), (route, sent)
    grown = server.rss_bytes() - rss_before
    assert grown < 4 * limit, f"RSS grew by {grown / 2**20:.1f} MiB"
    assert server.alive and server.answers()


def _get(path: bytes, headers: bytes = b"") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"Connection: close\r\n\r\n"


def test_oversized_url_and_header_block_are_problems_not_bare_400s(server):
    cases = {
        "url just over": (_get(b"/healthz?x=" + b"a" * MAX_URL_BYTES), 414),
        "url of 1 MiB": (_get(b"/healthz?x=" + b"a" * 2**20), 414),
        "header of 20 KiB": (_get(b"/healthz", b"X-Big: " + b"a" * 20_000 + b"\r\n"), 431),
        "header block of 1 MiB": (_get(b"/healthz", b"X-Big: " + b"a" * 2**20 + b"\r\n"), 431),
        "too many fields": (_get(b"/healthz", b"".join(b"X-%d: 1\r\n" % i for i in range(MAX_HEADER_COUNT + 1))), 431),
        "not HTTP": (b"GET /healthz HTTP/1.1\r\nHost x\r\n\r\n", 400),
    }
    for name, (request, expected) in cases.items():
        status, answer, _ = exchange(server, request)
        assert status == expected, (name, answer[:300])
        assert_problem(answer, expected)
    # within the limits: answered
    for request in (_get(b"/healthz?x=" + b"a" * 7000), _get(b"/healthz", b"X-Ok: " + b"a" * 12_000 + b"\r\n")):
        assert exchange(server, request)[0] == 200
    assert server.alive and server.answers()


def test_an_endless_header_field_is_refused_while_it_arrives(server):
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Endless: "
    status, answer, sent = exchange(server, head, chunks=[b"a" * 65536] * 1600)  # up to 100 MiB
    assert status == 431, answer[:300]
    assert_problem(answer, 431)
    # refused long before the field ended; what the client got to send beyond ~25 KiB sat in socket
    # buffers (loopback buffers hold megabytes while a loaded server takes its turn to answer)
    assert sent < 16 * 2**20, sent
    assert server.alive and server.answers()


def test_keep_alive_requests_with_large_bodies_are_not_mistaken_for_large_heads(server):
    small = b'{"events": []}'
    large = b'{"note": "' + b"a" * 120_000 + b'"}'  # ~120 KiB, sent with its head in one piece
    requests = b"".join(
        b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (len(body), body)
        for body in (small, large, small)
    )
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        sock.sendall(requests)
        answers = b""
        while answers.count(b"HTTP/1.1 ") < 3:
            data = sock.recv(65536)
            if not data:
                break
            answers += data
    finally:
        sock.close()
    statuses = [int(part[:3]) for part in answers.split(b"HTTP/1.1 ")[1:]]
    assert statuses == [422, 422, 422], answers[:600]  # each read as the (invalid) body it is
