"""The anchoring worker on anvil, on SQLite and PostgreSQL: triggers, crash safety, node outages, reorgs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from ledger.chain.rpc import RpcChain
from ledger.core.merkle import MemoryTree
from ledger.core.note import verify_note
from ledger.devchain import nodes
from ledger.devchain.nodes import DevNode
from ledger.services.anchoring import AnchorSettings, AnchorTickResult, AnchorWorker
from ledger.services.append import Appender, Receipt
from ledger.storage import anchors
from ledger.storage.sql import SqlStore
from tests.chain.support import (
    OPERATOR,
    anvil_node,  # noqa: F401 - fixture
    deployed,
    embedded_chain,
    mine,
    node_chain,
    require_binary,
)
from tests.factories import TEST_DOMAIN, AgencyKey, CaseBuilder, FakeClock, log_signer_for_tests

pytestmark = [pytest.mark.chain, pytest.mark.anvil]

DUKCAPIL = AgencyKey("dukcapil.jaksel", name="Dukcapil Jakarta Selatan")
SETTINGS = dict(every_leaves=5, every_seconds=60, confirmations=1, min_backoff_s=1, max_backoff_s=8, resend_after_s=30)


class Crash(BaseException):
    """The process dies here (BaseException: nothing in the worker may catch it)."""


class CrashingChain:
    """The chain, but the process dies at ``send_raw``: before the transaction leaves, or right after."""

    def __init__(self, chain: RpcChain, after_send: bool = False) -> None:
        self.chain = chain
        self.after_send = after_send

    def __getattr__(self, name: str):
        return getattr(self.chain, name)

    def send_raw(self, raw: bytes) -> bytes:
        if self.after_send:
            self.chain.send_raw(raw)
        raise Crash


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def appender(store: SqlStore, clock: FakeClock) -> Appender:
    with store.write() as tx:
        tx.register_agency(DUKCAPIL.code, DUKCAPIL.name, DUKCAPIL.address, at=0)
    return Appender(store, TEST_DOMAIN, clock)


@pytest.fixture
def chain(anvil_node: DevNode) -> RpcChain:  # noqa: F811
    return node_chain(anvil_node)


@pytest.fixture
def own_anvil(tmp_path) -> Iterator[DevNode]:
    """An anvil of this test's own, keeping its state in a file across restarts."""
    require_binary("anvil")
    node = nodes.start_anvil(tmp_path, state_file=tmp_path / "anvil-state.json")
    try:
        node.fund(OPERATOR)
        yield node
    finally:
        node.kill()


def append(appender: Appender, count: int) -> None:
    case = CaseBuilder(DUKCAPIL)
    outcomes = appender.submit([case.next_item(summary=f"Langkah {i}") for i in range(count)])
    assert all(isinstance(o, Receipt) for o in outcomes), outcomes


def worker(store, chain, clock, **overrides) -> AnchorWorker:
    return AnchorWorker(store, chain, clock, AnchorSettings(**{**SETTINGS, **overrides}))


def row(store: SqlStore, size: int) -> anchors.AnchorRow | None:
    with store.read() as reader:
        return reader.anchors(0, b"").get(size)


def tick_until(w: AnchorWorker, done: Callable[[AnchorTickResult], bool], tries: int = 200) -> list[AnchorTickResult]:
    seen = []
    for _ in range(tries):
        result = w.tick()
        seen.append(result)
        if done(result):
            return seen
        time.sleep(0.01)
    raise AssertionError(f"condition never met: {seen[-3:]}")


def settled(store: SqlStore, size: int, status: str = "confirmed") -> Callable[[AnchorTickResult], bool]:
    return lambda _: (r := row(store, size)) is not None and r.status == status


def anchored_sizes(chain: RpcChain) -> list[int]:
    return [e.tree_size for e in chain.checkpoint_events(0, chain.block_number())]


def log_root(store: SqlStore, size: int) -> bytes:
    with store.read() as reader:
        return MemoryTree(reader.leaf_hashes(0, size)).root()


def test_anchors_every_n_leaves_or_t_seconds_and_reports_the_lag(store, chain, appender, clock):
    w = worker(store, chain, clock)
    append(appender, 3)
    assert w.tick().action == "idle"
    clock.advance(10_000)
    status = w.status()
    assert (status.tree_size, status.anchored_size, status.lag_leaves) == (3, 0, 3)
    assert status.oldest_unanchored_age_s == 10.0 and status.seconds_since_last_anchor is None

    append(appender, 2)  # 5 leaves: the leaf trigger
    first = w.tick()
    assert (first.action, first.tree_size) == ("anchored", 5)
    assert row(store, 5).status == "pending" and row(store, 5).tx_hash == first.tx_hash
    results = tick_until(w, settled(store, 5))
    assert any(r.gas_used.get(5, 0) > 40_000 for r in results)
    assert row(store, 5).block_number is not None
    assert chain.latest_checkpoint() == (5, log_root(store, 5))

    append(appender, 1)
    clock.advance(59_000)
    assert w.tick().action == "idle"  # one leaf, 59 s: neither trigger
    clock.advance(1_000)
    assert w.tick().tree_size == 6  # 60 s since the last anchor
    tick_until(w, settled(store, 6))
    assert chain.latest_checkpoint() == (6, log_root(store, 6))
    status = w.status()
    assert (status.anchored_size, status.confirmed_size, status.lag_leaves, status.pending_size) == (6, 6, 0, None)
    assert anchored_sizes(chain) == [5, 6]


def test_recorded_before_sent_a_crash_in_between_is_resent_with_the_same_nonce(store, chain, appender, clock):
    append(appender, 5)
    with pytest.raises(Crash):
        worker(store, CrashingChain(chain), clock).tick()
    recorded = row(store, 5)
    assert recorded.status == "pending" and recorded.tx_hash and recorded.nonce is not None
    assert chain.transaction_status(recorded.tx_hash).state == "unknown"  # never left the process

    restarted = worker(store, chain, clock)
    first = restarted.tick()
    assert first.action == "resent" and any("re-sending tree size 5" in n for n in first.notes)
    tick_until(restarted, settled(store, 5))
    assert row(store, 5).nonce == recorded.nonce
    assert anchored_sizes(chain) == [5]


def test_a_crash_right_after_sending_is_found_mined(store, chain, appender, clock):
    append(appender, 5)
    with pytest.raises(Crash):
        worker(store, CrashingChain(chain, after_send=True), clock).tick()
    sent = row(store, 5).tx_hash
    restarted = worker(store, chain, clock)
    tick_until(restarted, settled(store, 5))
    assert row(store, 5).tx_hash == sent
    assert anchored_sizes(chain) == [5]


def test_never_anchors_a_size_twice_a_root_already_on_chain_is_recorded(store, chain, appender, clock):
    append(appender, 5)
    signed = chain.build_anchor_tx(5, log_root(store, 5), [], chain.next_nonce(), chain.suggest_fees())
    chain.send_raw(signed.raw)
    chain.wait_mined(signed.tx_hash)
    nonce = chain.next_nonce()

    result = worker(store, chain, clock).tick()
    assert result.action == "recorded"
    assert row(store, 5).tx_hash == signed.tx_hash and row(store, 5).status in ("mined", "confirmed")
    assert chain.next_nonce() == nonce  # nothing was sent
    assert anchored_sizes(chain) == [5]


def test_waits_for_the_confirmation_depth(store, chain, appender, clock):
    w = worker(store, chain, clock, confirmations=3)
    append(appender, 5)
    w.tick()
    tick_until(w, settled(store, 5, "mined"))
    mine(chain)
    w.tick()
    assert row(store, 5).status == "mined"  # 2 of 3
    mine(chain)
    w.tick()
    assert row(store, 5).status == "confirmed"


@pytest.mark.parametrize("confirmations", [3, 1], ids=["mined", "confirmed"])
def test_a_reorg_that_drops_an_anchor_is_detected_and_reanchored(store, chain, appender, clock, confirmations):
    w = worker(store, chain, clock, confirmations=confirmations)
    append(appender, 5)
    snapshot = chain.request("evm_snapshot")
    w.tick()
    tick_until(w, settled(store, 5, "mined" if confirmations > 1 else "confirmed"))
    assert chain.request("evm_revert", [snapshot]) is True
    assert chain.latest_checkpoint()[0] == 0

    result = w.tick()
    assert any("tree size 5 dropped" in n for n in result.notes), result
    assert (result.action, result.tree_size) == ("anchored", 5)
    tick_until(w, settled(store, 5, "mined" if confirmations > 1 else "confirmed"))
    mine(chain, confirmations - 1)
    tick_until(w, settled(store, 5))
    # (Rebuilt from the same state, the new transaction may well be byte for byte the dropped one.)
    assert chain.transaction_status(row(store, 5).tx_hash).state == "mined"
    assert anchored_sizes(chain) == [5]


def test_a_transaction_stuck_in_the_pool_is_replaced_with_a_higher_fee(store, chain, appender, clock):
    w = worker(store, chain, clock)
    chain.request("evm_setAutomine", [False])
    try:
        append(appender, 5)
        first = w.tick()
        stuck = chain.transaction_status(first.tx_hash)
        assert stuck.state == "pending"
        assert w.tick().action == "waiting"
        clock.advance(30_000)
        replaced = w.tick()
        assert replaced.action == "resent" and replaced.tx_hash != first.tx_hash
        assert row(store, 5).nonce == chain.mined_nonce()  # the same nonce
        pooled = chain.transaction_status(replaced.tx_hash)
        assert pooled.state == "pending" and pooled.fees.max_fee_per_gas >= stuck.fees.bumped(25).max_fee_per_gas
        mine(chain)
    finally:
        chain.request("evm_setAutomine", [True])
    tick_until(w, settled(store, 5))
    assert row(store, 5).tx_hash == replaced.tx_hash
    assert anchored_sizes(chain) == [5]


def test_node_down_events_still_accepted_lag_visible_backoff_then_recovery(store, appender, clock, own_anvil):
    chain = node_chain(own_anvil)
    w = worker(store, chain, clock)
    append(appender, 5)
    w.tick()
    tick_until(w, settled(store, 5))

    own_anvil.stop()  # SIGTERM: anvil writes its state file
    append(appender, 3)  # the append path never needs the chain
    down = w.tick()
    assert down.action == "backoff" and down.retry_in_s == 1 and "did not answer" in down.error
    status = w.status()
    assert (status.chain_available, status.lag_leaves, status.consecutive_failures) == (False, 3, 1)
    assert w.tick().retry_in_s == 1.0 and w.status().consecutive_failures == 1  # not retried before its time
    for expected in (2, 4, 8, 8):
        clock.advance(int(w.status().backoff_s * 1000))
        assert w.tick().retry_in_s == expected
    assert w.status().last_error

    own_anvil.start()  # the same state file: anchor 5 is still there
    clock.advance(60_000)
    assert w.tick().action == "anchored"
    tick_until(w, settled(store, 8))
    status = w.status()
    assert (status.chain_available, status.lag_leaves, status.consecutive_failures, status.last_error) == (
        True,
        0,
        0,
        None,
    )
    assert anchored_sizes(chain) == [5, 8]


def test_a_node_restart_that_loses_the_pool_gets_the_anchor_resent(store, appender, clock, own_anvil):
    chain = node_chain(own_anvil)
    w = worker(store, chain, clock)
    chain.request("evm_setAutomine", [False])
    append(appender, 5)
    lost = w.tick().tx_hash
    own_anvil.stop()
    own_anvil.start()  # automine again, and an empty pool
    assert chain.transaction_status(lost).state == "unknown"
    assert w.tick().action == "resent"
    tick_until(w, settled(store, 5))
    assert anchored_sizes(chain) == [5]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_on_the_embedded_chain_an_anchor_is_final_once_mined(store, appender, clock, tmp_path):
    base = embedded_chain(tmp_path / "chain")
    try:
        chain = deployed(base)
        w = worker(store, chain, clock, confirmations=12)
        append(appender, 5)
        assert w.tick().action == "anchored"
        result = w.tick()
        assert any("confirmed" in n for n in result.notes)
        assert row(store, 5).status == "confirmed"
        assert chain.latest_checkpoint() == (5, log_root(store, 5))
    finally:
        base.close()


def test_saksi_anchor_waits_for_the_servers_anchor_in_flight_instead_of_racing_it(store, appender, clock, own_anvil):
    """20.2c: the server's worker has an anchor in the pool, not mined yet, and one more leaf arrived: the
    command reconciles and waits for that anchor, then anchors the rest, once each (it used to tick 50
    times in a row and say '1 leaves are still not anchored: try again')."""
    import threading
    from types import SimpleNamespace

    from ledger.core.checkpoint import default_origin
    from ledger.runtime import anchor_everything

    chain = node_chain(own_anvil)
    chain.request("evm_setAutomine", [False])
    append(appender, 5)
    server = worker(store, chain, clock)
    assert server.tick().action == "anchored"  # in the pool, not mined
    append(appender, 1)
    stop = threading.Event()

    def miner():
        time.sleep(0.5)
        while not stop.is_set():
            mine(chain)
            stop.wait(0.2)

    thread = threading.Thread(target=miner, daemon=True)
    thread.start()
    origin = default_origin(chain.chain_id, chain.contract_address)
    signer = log_signer_for_tests(origin)
    runtime = SimpleNamespace(
        store=store,
        chain=chain,
        ledger=SimpleNamespace(clock_ms=clock),
        settings=SimpleNamespace(origin=origin),
        log_signer=signer,
    )
    try:
        _, status = anchor_everything(runtime, timeout_s=30)
    finally:
        stop.set()
        thread.join(timeout=5)
        chain.request("evm_setAutomine", [True])
    assert status.anchored_size == 6 and status.lag_leaves == 0
    assert anchored_sizes(chain) == [5, 6]
    with store.read() as reader:  # the command's checkpoint is signed by the log key, the server's was not
        assert reader.unsigned_checkpoints() == [(5, reader.checkpoint(5)[1], origin)]
        note = reader.signed_checkpoint(signer.vkey, 6)
    assert note is not None and verify_note(note, [signer.vkey])
