"""One suite, every chain adapter: the embedded chain, anvil and ganache behave the same through the port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_utils import keccak, to_checksum_address

from ledger.chain.embedded import ChainDataError, EmbeddedChain, EmbeddedProvider
from ledger.chain.port import (
    ChainIdMismatch,
    ChainPort,
    ContractMissing,
    ContractReverted,
    Fees,
    NonceTooLow,
)
from ledger.chain.rpc import RpcChain, RpcSettings
from ledger.core.merkle import MemoryTree, leaf_hash
from ledger.devchain.nodes import free_port
from ledger.errors import ChainUnavailable
from tests.chain.support import (
    EMBEDDED_CHAIN_ID,
    FAST,
    OPERATOR,
    OPERATOR_KEY,
    STRANGER,
    as_stranger,
    deployed,
    embedded_chain,
    mine,
    node_chain,
)
from tests.factories import test_key as derive_key

pytestmark = pytest.mark.chain

ZERO32 = b"\x00" * 32
ANCHORER_ROLE = keccak(b"ANCHORER_ROLE")
REGISTRAR_ROLE = keccak(b"REGISTRAR_ROLE")
SIGNER_A = derive_key("conformance signer a")[:20]  # any 20 bytes do as a signer address
SIGNER_B = derive_key("conformance signer b")[:20]
SIGNER_C = derive_key("conformance signer c")[:20]


@pytest.fixture(
    params=[
        "embedded",
        "embedded-process",
        pytest.param("anvil", marks=pytest.mark.anvil),
        pytest.param("ganache", marks=pytest.mark.ganache),
    ]
)
def chain(request, tmp_path) -> Iterator[RpcChain]:
    """A freshly deployed ledger on each kind of chain, the operator holding every role."""
    if request.param.startswith("embedded"):
        base = embedded_chain(tmp_path / "chain", FAST, separate_process=request.param == "embedded-process")
        try:
            yield deployed(base)
        finally:
            base.close()
    else:
        yield node_chain(request.getfixturevalue(f"{request.param}_node"))


def tree(size: int) -> MemoryTree:
    return MemoryTree(leaf_hash(b"conformance leaf %d" % i) for i in range(size))


def anchor(chain: RpcChain, t: MemoryTree, size: int, previous: int) -> None:
    proof = t.consistency_proof(previous, size) if previous else []
    signed = chain.build_anchor_tx(size, t.root(size), proof, chain.next_nonce(), chain.suggest_fees())
    assert chain.send_raw(signed.raw) == signed.tx_hash
    status = chain.wait_mined(signed.tx_hash)
    assert status.succeeded, status


def test_deployed_ledger_reads_empty_and_names_its_domain(chain):
    assert isinstance(chain, ChainPort)
    assert chain.latest_checkpoint() == (0, ZERO32)
    assert chain.root_at(1) is None
    for role in ("DEFAULT_ADMIN_ROLE", "ANCHORER_ROLE", "REGISTRAR_ROLE"):
        assert chain.has_role(role, OPERATOR)
        assert not chain.has_role(role, STRANGER)
    domain = chain.eip712_domain()
    assert (domain["name"], domain["version"]) == ("Saksi", "1")
    assert domain["chainId"] == chain.chain_id
    assert domain["verifyingContract"] == chain.contract_address
    assert chain.next_nonce() == chain.mined_nonce() >= 1


def test_anchors_grow_with_real_consistency_proofs(chain):
    t = tree(40)
    sizes = [1, 2, 3, 7, 8, 21, 40]
    start = chain.block_number()
    previous = 0
    for size in sizes:
        anchor(chain, t, size, previous)
        previous = size
    assert chain.latest_checkpoint() == (40, t.root(40))
    for size in sizes:
        assert chain.root_at(size) == t.root(size)
    assert chain.root_at(5) is None
    events = chain.checkpoint_events(start, chain.block_number())
    assert [(e.tree_size, e.previous_size, e.root_hash) for e in events] == [
        (size, prev, t.root(size)) for size, prev in zip(sizes, [0, *sizes[:-1]], strict=True)
    ]
    found = chain.find_anchor(21)
    assert found is not None and found.root_hash == t.root(21)
    assert chain.transaction_status(found.tx_hash).block_number == found.block_number
    assert chain.find_anchor(5) is None


def test_reverts_are_decoded_by_error_name_and_arguments(chain):
    t = tree(10)
    fees, nonce = chain.suggest_fees(), chain.next_nonce()
    with pytest.raises(ContractReverted) as error:
        chain.build_anchor_tx(3, t.root(3), [t.root(1)], nonce, fees)
    assert (error.value.error_name, error.value.error_args) == ("SaksiLedgerInvalidConsistencyProof", (0, 3))
    with pytest.raises(ContractReverted) as error:
        chain.build_anchor_tx(3, ZERO32, [], nonce, fees)
    assert error.value.error_name == "SaksiLedgerZeroRoot"
    anchor(chain, t, 6, 0)
    with pytest.raises(ContractReverted) as error:
        chain.build_anchor_tx(6, t.root(6), [], chain.next_nonce(), fees)
    assert (error.value.error_name, error.value.error_args) == ("SaksiLedgerTreeNotGrowing", (6, 6))
    proof = t.consistency_proof(6, 9)
    proof[0] = bytes([proof[0][0] ^ 1]) + proof[0][1:]
    with pytest.raises(ContractReverted) as error:
        chain.build_anchor_tx(9, t.root(9), proof, chain.next_nonce(), fees)
    assert (error.value.error_name, error.value.error_args) == ("SaksiLedgerInvalidConsistencyProof", (6, 9))
    with pytest.raises(ContractReverted) as error:
        as_stranger(chain).build_anchor_tx(9, t.root(9), t.consistency_proof(6, 9), 0, fees)
    assert (error.value.error_name, error.value.error_args) == (
        "AccessControlUnauthorizedAccount",
        (to_checksum_address(STRANGER), ANCHORER_ROLE),
    )
    with pytest.raises(ContractReverted) as error:
        chain.call("rootAt", 7)
    assert (error.value.error_name, error.value.error_args) == ("SaksiLedgerUnknownTreeSize", (7,))
    with pytest.raises(ContractReverted) as error:
        chain.register_agency("Dukcapil Jaksel", SIGNER_A)
    assert (error.value.error_name, error.value.error_args) == ("SaksiLedgerInvalidAgencyCode", ("Dukcapil Jaksel",))
    with pytest.raises(ContractReverted) as error:
        chain.rotate_agency_signer("imigrasi.soetta", SIGNER_A)
    assert (error.value.error_name, error.value.error_args) == ("SaksiLedgerUnknownAgency", ("imigrasi.soetta",))
    with pytest.raises(ContractReverted) as error:
        as_stranger(chain).register_agency("dukcapil.jaksel", SIGNER_A)
    assert error.value.error_args == (to_checksum_address(STRANGER), REGISTRAR_ROLE)


def test_registry_register_rotate_revoke_and_its_events(chain):
    start = chain.block_number() + 1
    registered = chain.register_agency("dukcapil.jaksel", SIGNER_A)
    chain.register_agency("polri.satpas-bandung", SIGNER_B)
    rotated = chain.rotate_agency_signer("dukcapil.jaksel", SIGNER_C)
    revoked = chain.revoke_agency("polri.satpas-bandung")
    assert registered.gas_used > 0 and registered.block_number >= start

    record = chain.agency("dukcapil.jaksel")
    assert (record.signer, record.status, record.updated_at_block) == (SIGNER_C, "active", rotated.block_number)
    record = chain.agency("polri.satpas-bandung")
    assert (record.signer, record.status, record.updated_at_block) == (SIGNER_B, "revoked", revoked.block_number)
    assert chain.agency("never.registered").status == "unknown"

    events = chain.registry_events(start, chain.block_number())
    assert [(e.kind, e.code, e.signer, e.previous_signer) for e in events] == [
        ("registered", "dukcapil.jaksel", SIGNER_A, None),
        ("registered", "polri.satpas-bandung", SIGNER_B, None),
        ("rotated", "dukcapil.jaksel", SIGNER_C, SIGNER_A),
        ("revoked", "polri.satpas-bandung", SIGNER_B, None),
    ]
    assert events[0].tx_hash == registered.tx_hash and events[-1].block_number == revoked.block_number
    times = [e.timestamp_ms for e in events]
    assert times == sorted(times) and times[0] > 1_600_000_000_000 and all(t % 1000 == 0 for t in times)
    assert chain.registry_events(revoked.block_number + 1, chain.block_number()) == []

    for call in (
        lambda: chain.register_agency("polri.satpas-bandung", SIGNER_C),
        lambda: chain.rotate_agency_signer("polri.satpas-bandung", SIGNER_C),
        lambda: chain.revoke_agency("polri.satpas-bandung"),
    ):
        with pytest.raises(ContractReverted) as error:
            call()
        assert (error.value.error_name, error.value.error_args) == (
            "SaksiLedgerAgencyRevoked",
            ("polri.satpas-bandung",),
        )
    with pytest.raises(ContractReverted) as error:
        chain.register_agency("dukcapil.jaksel", SIGNER_B)
    assert error.value.error_name == "SaksiLedgerAgencyExists"


def test_transaction_status_unknown_mined_reverted_and_deeper(chain):
    t = tree(5)
    signed = chain.build_anchor_tx(5, t.root(5), [], chain.next_nonce(), chain.suggest_fees())
    assert chain.transaction_status(signed.tx_hash).state == "unknown"
    chain.send_raw(signed.raw)
    mined = chain.wait_mined(signed.tx_hash)
    assert (mined.state, mined.succeeded, mined.confirmations) == ("mined", True, 1)
    assert mined.gas_used and 40_000 < mined.gas_used < signed.gas
    mine(chain, 2)
    assert chain.transaction_status(signed.tx_hash).confirmations == 3

    # A nonce that is already used is refused before mining...
    again = chain.sign(
        chain.abi.encode_call("anchor", 5, t.root(5), []),
        chain.contract_address,
        signed.nonce,
        signed.fees.bumped(50),
        200_000,
    )
    with pytest.raises(NonceTooLow):
        chain.send_raw(again.raw)
    # ...while a transaction sent without simulation is mined and reverts on chain.
    doomed = chain.sign(
        chain.abi.encode_call("anchor", 5, t.root(5), []),
        chain.contract_address,
        chain.next_nonce(),
        chain.suggest_fees(),
        200_000,
    )
    chain.send_raw(doomed.raw)
    failed = chain.wait_mined(doomed.tx_hash)
    assert (failed.state, failed.succeeded) == ("mined", False)


def test_fees_eip1559_by_default_and_legacy_on_request(chain):
    fees = chain.suggest_fees()
    assert fees.is_dynamic and fees.max_fee_per_gas >= fees.max_priority_fee_per_gas > 0
    legacy = RpcChain(
        chain.provider,
        chain.chain_id,
        OPERATOR_KEY,
        chain.contract_address,
        RpcSettings(fee_mode="legacy", poll_interval_s=0.01),
        chain.capabilities,
    )
    legacy_fees = legacy.suggest_fees()
    assert not legacy_fees.is_dynamic and legacy_fees.gas_price > 0
    t = tree(3)
    signed = legacy.build_anchor_tx(3, t.root(3), [], legacy.next_nonce(), legacy_fees)
    legacy.send_raw(signed.raw)
    assert legacy.wait_mined(signed.tx_hash).succeeded
    assert Fees(10, 2).bumped(25) == Fees(13, 3) and Fees(gas_price=100).bumped(10) == Fees(gas_price=110)


def test_a_node_of_another_chain_or_without_the_contract_is_refused(chain):
    other = chain.chain_id + 1
    with pytest.raises(ChainIdMismatch) as error:
        RpcChain(chain.provider, other, OPERATOR_KEY, chain.contract_address).check()
    assert (error.value.expected, error.value.actual) == (other, chain.chain_id)
    with pytest.raises(ContractMissing):
        chain.with_contract(b"\x42" * 20)


@pytest.mark.anvil
def test_connect_checks_chain_id_and_reports_a_node_that_is_down(anvil_node):
    with pytest.raises(ChainIdMismatch):
        RpcChain.connect(anvil_node.url, 1, OPERATOR_KEY, settings=FAST)
    assert RpcChain.connect(anvil_node.url, anvil_node.chain_id, OPERATOR_KEY).chain_id == anvil_node.chain_id
    with pytest.raises(ChainUnavailable):
        RpcChain.connect(f"http://127.0.0.1:{free_port()}", anvil_node.chain_id, OPERATOR_KEY, settings=FAST)


def test_embedded_chain_refuses_another_chain_id_and_declares_what_it_lacks(tmp_path):
    chain = embedded_chain(tmp_path)
    try:
        assert not chain.capabilities.reorgs and not chain.capabilities.mempool
        assert chain.capabilities.instant_finality
        with pytest.raises(ChainIdMismatch):
            RpcChain(EmbeddedProvider(chain.node), 31337, OPERATOR_KEY).check()
    finally:
        chain.close()
    with pytest.raises(ChainDataError):
        EmbeddedChain.open(tmp_path, OPERATOR_KEY, EMBEDDED_CHAIN_ID + 1)
