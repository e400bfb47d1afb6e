"""The witness: follows the chain's checkpoints and catches an API that serves a forged root or history."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from ledger.services.monitor import Monitor
from ledger.storage.schema import checkpoints, tree_nodes
from tests.api.conftest import DUKCAPIL, anchor_now
from tests.cli.conftest import clock, ledger, settings  # noqa: F401 - shared fixtures
from tests.factories import CaseBuilder


@pytest.fixture
def world(ledger, clock, tmp_path):  # noqa: F811
    client = TestClient(create_app(ledger.settings, ledger=ledger, clock_ms=clock))
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
