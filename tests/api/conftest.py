from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from api.app import create_app
from ledger.config import Limits, Settings
from ledger.core.encoding import hex0x
from ledger.services.ledger import Ledger
from ledger.services.proofs import make_checkpoint
from ledger.storage.schema import anchors
from tests.factories import TEST_CHAIN_ID, TEST_CONTRACT, AgencyKey, FakeClock, log_signer_for_tests

DUKCAPIL = AgencyKey("dukcapil.jaksel", name="Dukcapil Jakarta Selatan")
POLRI = AgencyKey("polri.satpas-bandung", name="Satpas Polrestabes Bandung")
DESK = AgencyKey("pemkot.kupang", name="Pengaduan Pemkot Kupang")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        chain_id=TEST_CHAIN_ID,
        contract=hex0x(TEST_CONTRACT),
        complaints_agency=DESK.code,
        limits=Limits(max_body_bytes=256 * 1024, max_batch=100, citizen_rate_per_minute=6000),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(settings, store, clock) -> Ledger:
    settings = settings.__class__(**{**settings.__dict__, "database_url": str(store.engine.url)})
    with store.write() as tx:
        for agency in (DUKCAPIL, POLRI, DESK):
            tx.register_agency(agency.code, agency.name, agency.address, at=0)
    return Ledger(settings, store, clock, complaints_key=DESK.key, log_vkey=log_signer_for_tests(settings.origin).vkey)


@pytest.fixture
def witnessed_app(settings, store, clock):
    """A log with a signing key and a 2-of-3 witness policy (tests/api/witnessed.py)."""
    from tests.api.witnessed import build_witnessed

    return build_witnessed(settings, store, clock, [DUKCAPIL, POLRI, DESK], DESK)


@pytest.fixture
def client(ledger) -> TestClient:
    return TestClient(create_app(ledger.settings, ledger=ledger))


def anchor_now(ledger: Ledger, status: str = "confirmed") -> int:
    """Checkpoint the tree, signed by the log's TEST key, and record an anchor as the anchoring worker would
    (chain side faked)."""
    checkpoint = make_checkpoint(ledger.store, ledger.origin, ledger.clock_ms, log_signer_for_tests(ledger.origin))
    with ledger.store.write() as tx:
        tx.conn.execute(
            insert(anchors).values(
                tree_size=checkpoint.tree_size,
                chain_id=ledger.domain.chain_id,
                contract=ledger.domain.verifying_contract,
                tx_hash=checkpoint.tree_size.to_bytes(32, "big"),
                nonce=checkpoint.tree_size,
                block_number=100 + checkpoint.tree_size,
                status=status,
                created_at=0,
                updated_at=0,
            )
        )
    return checkpoint.tree_size


def offline_chain(method: str, params: list) -> object:
    """A stand-in node behind POST /chain-rpc for tests of the HTTP edge: an empty chain at block 0."""
    return {"eth_blockNumber": "0x0", "eth_getLogs": [], "eth_getBlockByNumber": None}.get(method, "0x")
