"""The registry mirror follows the chain's agency registry, and the append path obeys it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.chain.rpc import RpcChain
from ledger.errors import Forbidden
from ledger.services.append import Appender, Receipt
from ledger.services.registry import RegistryMirror
from tests.chain.support import anvil_node, deployed, embedded_chain, node_chain  # noqa: F401 - fixture
from tests.factories import TEST_DOMAIN, AgencyKey, CaseBuilder, FakeClock

pytestmark = pytest.mark.chain

DUKCAPIL = AgencyKey("dukcapil.jaksel", name="Dukcapil Jakarta Selatan")
DUKCAPIL_NEW = AgencyKey("dukcapil.jaksel", key=AgencyKey("dukcapil.jaksel rotated").key)
IMIGRASI = AgencyKey("imigrasi.soetta")


@pytest.fixture(params=[pytest.param("anvil", marks=pytest.mark.anvil), "embedded"])
def chain(request, tmp_path) -> Iterator[RpcChain]:
    if request.param == "anvil":
        yield node_chain(request.getfixturevalue("anvil_node"))
    else:
        base = embedded_chain(tmp_path / "chain")
        try:
            yield deployed(base)
        finally:
            base.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def submit(appender: Appender, case: CaseBuilder, signer: AgencyKey | None = None):
    return appender.submit([case.next_item(signer=signer, advance=False)])[0]


def test_mirror_follows_register_rotate_revoke_and_the_append_path_obeys(store, chain, clock):
    mirror = RegistryMirror(store, chain, clock)
    appender = Appender(store, TEST_DOMAIN, clock)
    first_block = chain.block_number()
    assert mirror.sync().applied == ()

    registered = chain.register_agency(DUKCAPIL.code, DUKCAPIL.address)
    chain.register_agency(IMIGRASI.code, IMIGRASI.address)
    result = mirror.sync()
    assert result.applied == (
        f"dukcapil.jaksel registered with signer 0x{DUKCAPIL.address.hex()} (block {registered.block_number})",
        f"imigrasi.soetta registered with signer 0x{IMIGRASI.address.hex()} (block {registered.block_number + 1})",
    )
    with store.read() as reader:
        signers = reader.active_signers([DUKCAPIL.code, IMIGRASI.code])
        history = reader.signer_history([DUKCAPIL.address])
    assert signers[DUKCAPIL.code].signer == DUKCAPIL.address and signers[IMIGRASI.code].status == "active"
    assert history[0].valid_from == chain.block_timestamp_ms(registered.block_number)  # block time, in ms
    ktp, passport = CaseBuilder(DUKCAPIL), CaseBuilder(IMIGRASI)
    assert isinstance(submit(appender, ktp), Receipt) and isinstance(submit(appender, passport), Receipt)

    rotated = chain.rotate_agency_signer(DUKCAPIL.code, DUKCAPIL_NEW.address)
    revoked = chain.revoke_agency(IMIGRASI.code)
    assert mirror.sync().applied == (
        f"dukcapil.jaksel signer is now 0x{DUKCAPIL_NEW.address.hex()} (block {rotated.block_number})",
        f"imigrasi.soetta revoked (block {revoked.block_number})",
    )
    old_key = submit(appender, CaseBuilder(DUKCAPIL))
    assert isinstance(old_key, Forbidden) and "not the active signer" in old_key.message
    assert isinstance(submit(appender, CaseBuilder(DUKCAPIL), signer=DUKCAPIL_NEW), Receipt)
    refused = submit(appender, CaseBuilder(IMIGRASI))
    assert isinstance(refused, Forbidden) and "revoked" in refused.message
    with store.read() as reader:
        history = {(s.signer, s.valid_until) for s in reader.signer_history([DUKCAPIL.address, IMIGRASI.address])}
    assert (DUKCAPIL.address, chain.block_timestamp_ms(rotated.block_number)) in history
    assert (IMIGRASI.address, chain.block_timestamp_ms(revoked.block_number)) in history

    # Idempotent: nothing new on chain, nothing applied; a restarted mirror re-reads and skips.
    assert mirror.sync().applied == ()
    restarted = RegistryMirror(store, chain, clock, start_block=first_block)
    again = restarted.sync()
    assert again.applied == () and again.from_block == rotated.block_number


def test_a_mirror_started_late_or_ahead_of_the_store_converges_on_the_chain(store, chain, clock):
    chain.register_agency(DUKCAPIL.code, DUKCAPIL.address)
    chain.register_agency(IMIGRASI.code, IMIGRASI.address)
    rotated = chain.rotate_agency_signer(DUKCAPIL.code, DUKCAPIL_NEW.address)
    chain.revoke_agency(IMIGRASI.code)
    # The store had the agency registered by hand with the old key, and the mirror starts after the
    # registrations: only the rotation and the revocation are read.
    with store.write() as tx:
        tx.register_agency(DUKCAPIL.code, DUKCAPIL.name, DUKCAPIL.address, at=0)
    result = RegistryMirror(store, chain, clock, start_block=rotated.block_number).sync()
    assert len(result.applied) == 2
    with store.read() as reader:
        signers = reader.active_signers([DUKCAPIL.code, IMIGRASI.code])
    assert signers[DUKCAPIL.code].signer == DUKCAPIL_NEW.address
    assert signers[IMIGRASI.code].status == "revoked"


@pytest.mark.anvil
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_only_blocks_deep_enough_are_mirrored(store, anvil_node, clock):  # noqa: F811
    chain = node_chain(anvil_node)
    mirror = RegistryMirror(store, chain, clock, start_block=chain.block_number(), confirmations=3)
    chain.register_agency(DUKCAPIL.code, DUKCAPIL.address)
    assert mirror.sync().applied == ()
    chain.request("evm_mine", [])
    chain.request("evm_mine", [])
    assert len(mirror.sync().applied) == 1
