"""anchor(): the chain accepts a checkpoint only with a valid RFC 9162 consistency proof.

The checkpoints it refuses are contract_cases.py's, which tests_brownie/test_anchor.py replays through brownie too.
"""

from __future__ import annotations

import pytest
from contract_cases import Refusal, refusals, root
from contract_helpers import events_of, revert_of, sample_tree, transact
from web3 import Web3
from web3.contract import Contract

pytestmark = [pytest.mark.anvil, pytest.mark.chain]

ANCHORER_ROLE = Web3.keccak(text="ANCHORER_ROLE")
REGISTRAR_ROLE = Web3.keccak(text="REGISTRAR_ROLE")
ZERO_HASH = b"\x00" * 32


def anchor(w3: Web3, ledger: Contract, sender: str, old_size: int, new_size: int):
    tree = sample_tree()
    proof = tree.consistency_proof(old_size, new_size)
    return transact(w3, ledger.functions.anchor(new_size, tree.root(new_size), proof), sender)


def test_nothing_is_anchored_after_deployment(ledger: Contract) -> None:
    assert ledger.functions.latestCheckpoint().call() == [0, ZERO_HASH]


def test_constructor_grants_each_role_to_its_account(ledger: Contract, roles: dict[str, str]) -> None:
    assert ledger.functions.ANCHORER_ROLE().call() == ANCHORER_ROLE
    assert ledger.functions.REGISTRAR_ROLE().call() == REGISTRAR_ROLE
    assert ledger.functions.hasRole(b"\x00" * 32, roles["admin"]).call()
    assert ledger.functions.hasRole(ANCHORER_ROLE, roles["anchorer"]).call()
    assert ledger.functions.hasRole(REGISTRAR_ROLE, roles["registrar"]).call()
    assert not ledger.functions.hasRole(ANCHORER_ROLE, roles["admin"]).call()


def test_eip712_domain_is_the_one_agencies_sign_under(anvil_w3: Web3, ledger: Contract) -> None:
    fields, name, version, chain_id, verifying_contract, salt, extensions = ledger.functions.eip712Domain().call()
    assert (fields, name, version) == (b"\x0f", "Saksi", "1")
    assert chain_id == anvil_w3.eth.chain_id
    assert verifying_contract == ledger.address
    assert (salt, extensions) == (ZERO_HASH, [])


def test_first_anchor_from_the_empty_tree_needs_no_proof(anvil_w3: Web3, ledger: Contract, roles) -> None:
    tree = sample_tree()
    receipt = transact(anvil_w3, ledger.functions.anchor(3, tree.root(3), []), roles["anchorer"])

    assert events_of(ledger, receipt) == [
        ("CheckpointAnchored", {"treeSize": 3, "rootHash": tree.root(3), "previousSize": 0})
    ]
    assert ledger.functions.latestCheckpoint().call() == [3, tree.root(3)]
    assert ledger.functions.rootAt(3).call() == tree.root(3)


def test_anchors_growing_sizes_with_consistency_proofs(anvil_w3: Web3, ledger: Contract, roles) -> None:
    tree = sample_tree()
    # Powers of two and their neighbours exercise every branch of RFC 9162 §2.1.4.2.
    sizes = [1, 2, 3, 4, 7, 8, 9, 100, 1023, 1024, 1025, 1536, 2000]
    previous = 0
    for size in sizes:
        receipt = anchor(anvil_w3, ledger, roles["anchorer"], previous, size)
        assert events_of(ledger, receipt) == [
            ("CheckpointAnchored", {"treeSize": size, "rootHash": tree.root(size), "previousSize": previous})
        ]
        assert ledger.functions.latestCheckpoint().call() == [size, tree.root(size)]
        previous = size
    # Every anchored root stays readable.
    assert [ledger.functions.rootAt(size).call() for size in sizes] == [tree.root(size) for size in sizes]


def test_rejects_a_caller_without_the_anchorer_role(ledger: Contract, roles) -> None:
    tree = sample_tree()
    for who in ("stranger", "registrar", "admin"):
        call = ledger.functions.anchor(5, tree.root(5), [])
        assert revert_of(ledger, call, roles[who]) == (
            "AccessControlUnauthorizedAccount",
            (roles[who], ANCHORER_ROLE),
        )


def test_admin_can_grant_the_anchorer_role(anvil_w3: Web3, ledger: Contract, roles) -> None:
    receipt = transact(anvil_w3, ledger.functions.grantRole(ANCHORER_ROLE, roles["stranger"]), roles["admin"])
    assert events_of(ledger, receipt) == [
        ("RoleGranted", {"role": ANCHORER_ROLE, "account": roles["stranger"], "sender": roles["admin"]})
    ]
    anchor(anvil_w3, ledger, roles["stranger"], 0, 5)
    assert ledger.functions.latestCheckpoint().call()[0] == 5


@pytest.mark.parametrize("refusal", refusals(), ids=lambda r: r.name)
def test_refusal(anvil_w3: Web3, ledger: Contract, roles, refusal: Refusal) -> None:
    if refusal.anchored:
        transact(anvil_w3, ledger.functions.anchor(refusal.anchored, root(refusal.anchored), []), roles["anchorer"])
    call = ledger.functions.anchor(refusal.size, refusal.root, list(refusal.proof))
    assert revert_of(ledger, call, roles["anchorer"]) == (refusal.error, refusal.args)
    assert ledger.functions.latestCheckpoint().call() == [
        refusal.anchored,
        root(refusal.anchored) if refusal.anchored else ZERO_HASH,
    ]


def test_a_reverted_anchor_changes_nothing(anvil_w3: Web3, ledger: Contract, roles) -> None:
    tree = sample_tree()
    anchor(anvil_w3, ledger, roles["anchorer"], 0, 10)
    # An explicit gas limit skips estimation, so the transaction is really mined and reverts on chain.
    tx_hash = ledger.functions.anchor(20, tree.root(20), []).transact({"from": roles["anchorer"], "gas": 200_000})
    receipt = anvil_w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.01)
    assert receipt["status"] == 0
    assert receipt["logs"] == []
    assert ledger.functions.latestCheckpoint().call() == [10, tree.root(10)]
    assert revert_of(ledger, ledger.functions.rootAt(20), roles["stranger"]) == ("SaksiLedgerUnknownTreeSize", (20,))


def test_root_at_a_size_never_anchored_reverts(anvil_w3: Web3, ledger: Contract, roles) -> None:
    anchor(anvil_w3, ledger, roles["anchorer"], 0, 10)
    for size in (0, 9, 11, 2**64 - 1):
        assert revert_of(ledger, ledger.functions.rootAt(size), roles["stranger"]) == (
            "SaksiLedgerUnknownTreeSize",
            (size,),
        )
