"""POST /chain-rpc: the embedded chain's read-only window, about the ledger contract only, bounded."""

from __future__ import annotations

import httpx
import pytest

from api.chain_window import CLIENT_VERSION, MAX_LOG_BLOCKS
from api.deps import RateLimiter
from api.state import app_state
from ledger.chain.abi import ledger_abi
from ledger.checker.client import CaseState
from ledger.core.encoding import hex0x
from tests.embedded_site import embedded_site

ABI = ledger_abi()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with embedded_site(tmp_path_factory.mktemp("window")) as site:
        site.register()
        case = CaseState.new("KTP-JKS-2026-000123")
        site.submit(case, "application.submitted", "Permohonan KTP-el diterima")
        site.anchor()
        app_state(site.app).citizen_limiter = RateLimiter(6000)  # these tests ask a lot; the limit has its own
        yield site


def _call(site, method, params=None, request_id=1):
    body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    response = httpx.post(f"{site.url}/chain-rpc", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _contract(site) -> str:
    return hex0x(site.runtime.ledger.domain.verifying_contract)


def _view(site, function: str, *args) -> list:
    return [{"to": _contract(site), "data": "0x" + ABI.encode_call(function, *args).hex()}, "latest"]


def test_the_reads_verifiers_need_are_served(site):
    contract = _contract(site)
    assert _call(site, "web3_clientVersion")["result"] == CLIENT_VERSION
    assert _call(site, "eth_chainId", request_id="a") == {"jsonrpc": "2.0", "id": "a", "result": hex(1337)}
    head = int(_call(site, "eth_blockNumber")["result"], 16)
    assert head >= 3  # deployment, registration, one anchor
    assert len(_call(site, "eth_getCode", [contract, "latest"])["result"]) > 1000

    root = site.runtime.ledger.checkpoint(1).checkpoint.root_hash
    assert _call(site, "eth_call", _view(site, "rootAt", 1))["result"] == hex0x(root)
    latest = _call(site, "eth_call", _view(site, "latestCheckpoint"))["result"]
    assert ABI.decode_output("latestCheckpoint", bytes.fromhex(latest[2:])) == (1, root)
    # a size never anchored: the contract's own revert, with its data, as any node reports it
    missing = _call(site, "eth_call", _view(site, "rootAt", 2))["error"]
    assert (
        missing["code"] == 3 and ABI.decode_error(bytes.fromhex(missing["data"][2:]))[0] == "SaksiLedgerUnknownTreeSize"
    )

    logs = _call(site, "eth_getLogs", [{"address": contract, "fromBlock": "0x0", "toBlock": "latest"}])["result"]
    assert {log["address"] for log in logs} == {contract}
    names = [
        ABI.decode_log([bytes.fromhex(t[2:]) for t in log["topics"]], bytes.fromhex(log["data"][2:]))[0] for log in logs
    ]
    assert "AgencyRegistered" in names and "CheckpointAnchored" in names
    block = _call(site, "eth_getBlockByNumber", [hex(head), False])["result"]
    assert int(block["number"], 16) == head and all(isinstance(tx, str) for tx in block["transactions"])
    receipt = _call(site, "eth_getTransactionReceipt", [block["transactions"][0]])["result"]
    assert receipt["to"] == contract and receipt["status"] == "0x1"
    # /v1/info points browsers here, at this server's own address
    assert httpx.get(f"{site.url}/v1/info").json()["publicRpcUrl"] == f"{site.url}/chain-rpc"


def test_nothing_else_is_served_and_nothing_changes(site):
    contract = _contract(site)
    head = _call(site, "eth_blockNumber")["result"]
    operator = hex0x(site.runtime.chain.operator)
    anchor_call = [{"to": contract, "data": "0x" + ABI.encode_call("revokeAgency", "dukcapil.jaksel").hex()}, "latest"]
    for method, params, code in [
        ("eth_sendRawTransaction", ["0x00"], -32601),
        ("eth_sendTransaction", [{"to": contract}], -32601),
        ("eth_getBalance", [operator, "latest"], -32601),
        ("eth_getTransactionCount", [operator, "latest"], -32601),
        ("eth_estimateGas", anchor_call[:1], -32601),
        ("evm_mine", [], -32601),
        ("__class__", [], -32601),
        ("eth_call", anchor_call, -32602),  # a function that changes state, even as a call
        ("eth_call", [{"to": "0x" + "11" * 20, "data": "0x5fbdb231"}, "latest"], -32602),
        ("eth_call", [{"to": contract, "data": "0xzz"}], -32602),
        ("eth_call", "not a list", -32602),
        ("eth_getCode", [operator, "latest"], -32602),
        ("eth_getLogs", [{"fromBlock": "0x0", "toBlock": "latest"}], -32602),
        ("eth_getLogs", [{"address": operator, "fromBlock": "0x0", "toBlock": "latest"}], -32602),
        ("eth_getLogs", [{"address": contract, "blockHash": "0x" + "00" * 32}], -32602),
        ("eth_getLogs", [{"address": contract, "fromBlock": "0x0", "toBlock": hex(MAX_LOG_BLOCKS)}], -32602),
        ("eth_getLogs", [{"address": contract, "topics": ["0x12"]}], -32602),
        ("eth_getBlockByNumber", [head, True], -32602),
        ("eth_getBlockByNumber", ["0xnothex", False], -32602),
    ]:
        assert _call(site, method, params)["error"]["code"] == code, (method, params)
    # a transaction that is not the ledger contract's reads as unknown
    assert _call(site, "eth_getTransactionReceipt", ["0x" + "ab" * 32])["result"] is None
    assert _call(site, "eth_blockNumber")["result"] == head

    batch = httpx.post(f"{site.url}/chain-rpc", json=[{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}])
    assert batch.json()["error"]["code"] == -32600
    broken = httpx.post(f"{site.url}/chain-rpc", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.headers["content-type"] == "application/problem+json"
    huge = httpx.post(f"{site.url}/chain-rpc", content=b" " * 10_000, headers={"content-type": "application/json"})
    assert huge.status_code == 413 and huge.headers["content-type"] == "application/problem+json"


def test_the_citizen_rate_limit_applies(site):
    state = app_state(site.app)
    limiter, state.citizen_limiter = state.citizen_limiter, RateLimiter(6)
    try:
        answers = [
            httpx.post(f"{site.url}/chain-rpc", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
            for _ in range(3)
        ]
    finally:
        state.citizen_limiter = limiter
    assert answers[0].status_code == 200 and answers[-1].status_code == 429
    assert answers[-1].headers["content-type"] == "application/problem+json"


def test_absent_when_the_chain_is_external(client):
    response = client.post("/chain-rpc", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/info").json()["publicRpcUrl"] is None


def test_get_logs_asks_the_node_for_its_head_once():
    """fromBlock and toBlock both 'latest' (or absent) resolve against one eth_blockNumber, not two."""
    from api.chain_window import ChainWindow
    from ledger.chain.abi import ledger_abi

    asked: list[str] = []

    def node(method, params):
        asked.append(method)
        return "0x7" if method == "eth_blockNumber" else []

    contract = b"\x11" * 20
    assert ledger_abi().view_selectors()  # the window needs the ABI it serves
    window = ChainWindow(node, 31337, contract)
    assert window.answer("eth_getLogs", [{"address": "0x" + contract.hex()}]) == []
    assert asked == ["eth_blockNumber", "eth_getLogs"]
