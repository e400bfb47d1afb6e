"""The web router without a browser: pages, assets, security headers (CSP with the public RPC origin)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers import web
from tests.factories import FakeClock
from tests.web.conftest import make_ledger


@pytest.fixture
def web_client(tmp_path, built_pages) -> TestClient:
    clock = FakeClock()
    ledger = make_ledger(tmp_path, clock)
    ledger.settings = ledger.settings.with_(public_rpc_url="https://rpc.example.org:8545/v1/abc?key=1")
    return TestClient(create_app(ledger.settings, ledger=ledger))


@pytest.mark.parametrize(("path", "title"), [("/", "citizen.js"), ("/audit", "audit.js")])
def test_pages_are_served_with_a_strict_csp(web_client: TestClient, path: str, title: str) -> None:
    response = web_client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert f'src="/static/{title}"' in response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
    assert "connect-src 'self' https://rpc.example.org:8545;" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_assets(web_client: TestClient) -> None:
    for name, kind in (("citizen.js", "text/javascript"), ("audit.js", "text/javascript"), ("saksi.css", "text/css")):
        response = web_client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(kind)
        assert "content-security-policy" in response.headers
    for bad in ("/static/nope.js", "/static/..%2Fapp.py", "/static/.hidden.js", "/static/citizen.exe"):
        assert web_client.get(bad).status_code == 404, bad


def test_pages_stay_out_of_the_openapi_document(web_client: TestClient) -> None:
    paths = web_client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/audit" not in paths and not any(p.startswith("/static") for p in paths)


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("", None),
        ("https://rpc.example.org", "https://rpc.example.org"),
        ("http://127.0.0.1:8545/", "http://127.0.0.1:8545"),
        ("https://user:secret@rpc.example.org/", None),
        ("javascript:alert(1)", None),
        ("https://rpc.example.org; script-src *", None),
        ("https://[::1]:8545/", "https://[::1]:8545"),
    ],
)
def test_rpc_source(url: str, source: str | None) -> None:
    assert web.rpc_source(url) == source


def test_missing_build_is_a_clear_503(web_client: TestClient, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(web, "DIST", tmp_path / "nothing")
    response = web_client.get("/")
    assert response.status_code == 503
    assert "npm run build:web" in response.json()["detail"]


def test_api_docs_come_from_this_server(web_client: TestClient) -> None:
    response = web_client.get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert 'src="/static/swagger-ui-bundle.js"' in response.text and 'href="/static/swagger-ui.css"' in response.text
    assert "https://" not in response.text and "http://" not in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in csp and "unsafe-inline" not in csp and "connect-src 'self';" in csp
    for asset, kind in (("swagger-ui-bundle.js", "text/javascript"), ("swagger-ui.css", "text/css")):
        served = web_client.get(f"/static/{asset}")
        assert served.status_code == 200 and served.headers["content-type"].startswith(kind), asset
    assert web_client.get("/redoc").status_code == 404


@pytest.mark.parametrize(
    ("accept", "coding"),
    [("gzip, deflate, br", "br"), ("gzip, deflate", "gzip"), ("br;q=0, gzip", "gzip"), ("", None), ("identity", None)],
)
def test_pages_and_assets_are_sent_compressed_to_clients_that_accept_it(
    web_client: TestClient, built_pages, accept: str, coding: str | None
) -> None:
    for url, name in (("/", "citizen.html"), ("/static/citizen.js", "citizen.js"), ("/static/saksi.css", "saksi.css")):
        response = web_client.get(url, headers={"Accept-Encoding": accept})
        assert response.status_code == 200 and response.headers["vary"] == "Accept-Encoding"
        assert response.headers.get("content-encoding") == coding, url
        # httpx decodes gzip itself (and, without a brotli package, leaves br as sent)
        suffix = ".br" if coding == "br" else ""
        assert response.content == (built_pages / (name + suffix)).read_bytes()
    assert web_client.get("/static/citizen.js.br").status_code == 404  # only through negotiation
