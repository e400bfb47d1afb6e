"""verifyInclusion(): RFC 9162 §2.1.3.2 against an anchored root; false on any bad proof."""

from __future__ import annotations

import pytest
from contract_helpers import flip_bit, revert_of, sample_tree, transact
from web3 import Web3
from web3.contract import Contract

from ledger.core.merkle import NodeId

pytestmark = [pytest.mark.anvil, pytest.mark.chain]

ANCHORED_SIZES = (1, 2, 7, 8, 1000, 1024, 2000)


@pytest.fixture
def anchored(anvil_w3: Web3, ledger: Contract, roles) -> Contract:
    tree = sample_tree()
    previous = 0
    for size in ANCHORED_SIZES:
        proof = tree.consistency_proof(previous, size)
        transact(anvil_w3, ledger.functions.anchor(size, tree.root(size), proof), roles["anchorer"])
        previous = size
    return ledger


def leaf(index: int) -> bytes:
    return sample_tree().get([NodeId(0, index)])[NodeId(0, index)]


def verify(ledger: Contract, index: int, leaf_hash: bytes, size: int, proof: list[bytes]) -> bool:
    return ledger.functions.verifyInclusion(index, leaf_hash, size, proof).call()


@pytest.mark.parametrize(
    ("index", "size"),
    [(0, 1), (0, 2), (1, 2), (0, 7), (6, 7), (3, 8), (0, 1000), (999, 1000), (512, 1024), (1023, 2000), (1999, 2000)],
)
def test_accepts_a_valid_proof(anchored: Contract, index: int, size: int) -> None:
    assert verify(anchored, index, leaf(index), size, sample_tree().inclusion_proof(index, size))


def test_rejects_a_wrong_leaf_or_index(anchored: Contract) -> None:
    proof = sample_tree().inclusion_proof(10, 1000)
    assert not verify(anchored, 10, leaf(11), 1000, proof)
    assert not verify(anchored, 11, leaf(10), 1000, proof)
    assert not verify(anchored, 10, flip_bit(leaf(10)), 1000, proof)


def test_rejects_every_mutated_proof_element(anchored: Contract) -> None:
    proof = sample_tree().inclusion_proof(777, 2000)
    for position in range(len(proof)):
        forged = list(proof)
        forged[position] = flip_bit(forged[position], byte_index=position % 32)
        assert not verify(anchored, 777, leaf(777), 2000, forged)


def test_rejects_a_truncated_extended_or_empty_proof(anchored: Contract) -> None:
    proof = sample_tree().inclusion_proof(777, 2000)
    for bad in (proof[:-1], proof[1:], [*proof, leaf(0)], []):
        assert not verify(anchored, 777, leaf(777), 2000, bad)
    # A one-leaf tree has an empty path; anything more is too long.
    assert not verify(anchored, 0, leaf(0), 1, [leaf(1)])


def test_rejects_a_proof_against_another_anchored_size(anchored: Contract) -> None:
    assert not verify(anchored, 5, leaf(5), 1024, sample_tree().inclusion_proof(5, 1000))


def test_rejects_an_index_outside_the_tree(anchored: Contract) -> None:
    assert not verify(anchored, 8, leaf(8), 8, sample_tree().inclusion_proof(7, 8))
    assert not verify(anchored, 2**64 - 1, leaf(0), 8, [])


def test_reverts_on_a_size_never_anchored(anchored: Contract, roles) -> None:
    call = anchored.functions.verifyInclusion(0, leaf(0), 999, sample_tree().inclusion_proof(0, 999))
    assert revert_of(anchored, call, roles["stranger"]) == ("SaksiLedgerUnknownTreeSize", (999,))
