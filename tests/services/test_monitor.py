"""The witness: follows the chain's checkpoints and catches an API that serves a forged root or history."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from ledger.checker.monitor import Monitor
from ledger.storage.schema import checkpoints, tree_nodes
from tests.api.conftest import DUKCAPIL, anchor_now
from tests.cli.conftest import clock, ledger, settings  # noqa: F401 - shared fixtures
from tests.factories import CaseBuilder


@pytest.fixture
def world(ledger, clock, tmp_path):  # noqa: F811
    client = TestClient(create_app(ledger.settings, ledger=ledger))
    chain: list[tuple[int, int, bytes]] = []  # what the contract accepted: (block, size, root)

    def grow(cases=3):
        for case in [CaseBuilder(DUKCAPIL) for _ in range(cases)]:
            assert client.post("/v1/events", json=case.next_item()).status_code == 201
        size = anchor_now(ledger)
        with ledger.store.read() as reader:
            root = reader.checkpoint(size)[1]
        chain.append((len(chain) + 1, size, root))

    monitor = Monitor(
        client,
        lambda a, b: [c for c in chain if a <= c[0] <= b],
        lambda: len(chain),
        tmp_path / "witness.json",
    )
    return client, grow, monitor, chain


def test_honest_api_raises_no_alert_and_state_resumes(world, tmp_path):
    client, grow, monitor, chain = world
    grow()
    grow()
    assert monitor.check_once() == []
    assert monitor.state.tree_size == chain[-1][1]
    resumed = Monitor(client, monitor.chain_checkpoints, monitor.chain_head, tmp_path / "witness.json")
    assert resumed.state.tree_size == chain[-1][1] and resumed.check_once() == []
    grow()
    assert resumed.check_once() == [] and resumed.state.tree_size == chain[-1][1]


def test_forged_root_is_caught(world, ledger):  # noqa: F811
    client, grow, monitor, chain = world
    grow()
    assert monitor.check_once() == []
    grow()
    _, size, _ = chain[-1]
    with ledger.store.write() as tx:
        tx.conn.execute(update(checkpoints).where(checkpoints.c.tree_size == size).values(root_hash=b"\x13" * 32))
    (alert,) = monitor.check_once()
    assert alert.kind == "api-root-differs" and alert.tree_size == size


def test_rewritten_history_cannot_be_proved(world, ledger):  # noqa: F811
    client, grow, monitor, chain = world
    grow(4)
    assert monitor.check_once() == []
    grow(4)
    # the server's tree nodes were rewritten: its consistency proof no longer leads to the chain's root
    with ledger.store.write() as tx:
        tx.conn.execute(update(tree_nodes).where(tree_nodes.c.level == 2).values(hash=b"\x21" * 32))
    alerts = monitor.check_once()
    assert [a.kind for a in alerts] == ["api-inconsistent"]


def _forging_client(client, rewrite):
    """An httpx client whose transport passes every request to the real API and lets `rewrite`
    change the JSON answer on its way back, as a compromised server or proxy would."""

    def handle(request: httpx.Request) -> httpx.Response:
        target = request.url.path + (f"?{request.url.query.decode()}" if request.url.query else "")
        answer = client.get(target)
        if answer.status_code != 200:
            return httpx.Response(answer.status_code, content=answer.content)
        return httpx.Response(200, json=rewrite(request.url.path, answer.json()))

    return httpx.Client(transport=httpx.MockTransport(handle), base_url="http://saksi.test")


def _witness(world, tmp_path, api, name="forged.json"):
    _, _, monitor, _ = world
    return Monitor(api, monitor.chain_checkpoints, monitor.chain_head, tmp_path / name)


def test_a_proxy_serving_a_forged_root_is_caught(world, tmp_path):
    client, grow, _, chain = world
    grow()
    forged = "0x" + "13" * 32

    def rewrite(path, data):
        return {**data, "rootHash": forged} if path.startswith("/v1/checkpoints/") else data

    witness = _witness(world, tmp_path, _forging_client(client, rewrite))
    (alert,) = witness.check_once()
    assert alert.kind == "api-root-differs" and alert.tree_size == chain[-1][1] and forged in alert.detail
    # the chain is the trust anchor: the witness goes on from the chain's root, not the forged one
    assert witness.state.root_hash == chain[-1][2] and witness.state.alerts == 1


def test_a_proxy_serving_a_forged_consistency_proof_is_caught(world, tmp_path):
    client, grow, _, chain = world
    grow(3)
    honest = _witness(world, tmp_path, client, "shared.json")
    assert honest.check_once() == []
    grow(3)

    def rewrite(path, data):
        if path == "/v1/proofs/consistency":
            return {**data, "proof": ["0x" + "21" * 32 for _ in data["proof"]]}
        return data

    (alert,) = _witness(world, tmp_path, _forging_client(client, rewrite), "shared.json").check_once()
    assert alert.kind == "api-inconsistent" and alert.tree_size == chain[-1][1]


def test_an_unreachable_api_is_retried_next_time(world, tmp_path):
    client, grow, _, chain = world
    grow()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    down = _witness(world, tmp_path, httpx.Client(transport=httpx.MockTransport(refuse), base_url="http://x"), "w.json")
    (alert,) = down.check_once()
    assert alert.kind == "api-unavailable" and down.state.tree_size == 0 and down.state.next_block == 0
    back = _witness(world, tmp_path, client, "w.json")  # resumes from the saved state: same checkpoint again
    assert back.check_once() == [] and back.state.tree_size == chain[-1][1]
    saved = json.loads((tmp_path / "w.json").read_text())
    assert saved["treeSize"] == chain[-1][1] and saved["alerts"] == 1 and saved["nextBlock"] == len(chain) + 1


def test_a_chain_that_shrinks_raises_an_alert(world, tmp_path):
    client, grow, monitor, chain = world
    grow()
    grow()
    assert monitor.check_once() == []
    chain.append((len(chain) + 1, chain[0][1], chain[0][2]))  # a reader that reports an older size again
    (alert,) = monitor.check_once()
    assert alert.kind == "chain-not-growing"
