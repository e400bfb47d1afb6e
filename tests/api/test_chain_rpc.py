"""POST /chain-rpc: the embedded chain's anchored roots for the citizen page, read-only and narrow."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers.chain import ROOT_AT_SELECTOR
from ledger.core.encoding import hex0x

ROOT = bytes(range(32))


@pytest.fixture
def rpc(ledger) -> TestClient:
    return TestClient(create_app(ledger.settings, ledger=ledger, chain_root_at={7: ROOT}.get))


def _call(client, method, params=None, request_id=1):
    response = client.post("/chain-rpc", json={"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    assert response.status_code == 200, response.text
    return response.json()


def _root_at(ledger, size: int, to: str | None = None) -> list:
    data = "0x" + (ROOT_AT_SELECTOR + size.to_bytes(32, "big")).hex()
    return [{"to": to or hex0x(ledger.domain.verifying_contract), "data": data}, "latest"]


def test_chain_id_and_root_at_as_the_contract_answers(rpc, ledger):
    assert _call(rpc, "eth_chainId") == {"jsonrpc": "2.0", "id": 1, "result": hex(ledger.domain.chain_id)}
    assert _call(rpc, "eth_call", _root_at(ledger, 7), request_id="a")["result"] == hex0x(ROOT)
    # a size never anchored: the contract reverts, and the page reads a revert as "not anchored"
    missing = _call(rpc, "eth_call", _root_at(ledger, 8))
    assert missing["error"]["code"] == 3 and "never anchored" in missing["error"]["message"]
    # /v1/info points the page here, at this server's own address
    assert rpc.get("/v1/info").json()["publicRpcUrl"] == "http://testserver/chain-rpc"


def test_nothing_else_is_served(rpc, ledger):
    other_contract = _root_at(ledger, 7, to="0x" + "11" * 20)
    other_function = [{"to": hex0x(ledger.domain.verifying_contract), "data": "0x70a08231" + "00" * 32}, "latest"]
    for method, params, code in [
        ("eth_sendRawTransaction", ["0x00"], -32601),
        ("eth_getBalance", [hex0x(ledger.domain.verifying_contract), "latest"], -32601),
        ("eth_call", other_contract, -32602),
        ("eth_call", other_function, -32602),
        ("eth_call", [{"to": hex0x(ledger.domain.verifying_contract), "data": "0xzz"}], -32602),
        ("eth_call", _root_at(ledger, 2**64), -32602),
        ("eth_call", "not a list", -32602),
    ]:
        assert _call(rpc, method, params)["error"]["code"] == code, method
    batch = rpc.post("/chain-rpc", json=[{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}])
    assert batch.json()["error"]["code"] == -32600
    broken = rpc.post("/chain-rpc", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.headers["content-type"] == "application/problem+json"


def test_absent_when_the_chain_is_external(client):
    response = client.post("/chain-rpc", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/info").json()["publicRpcUrl"] is None
