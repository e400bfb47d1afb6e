"""Property: the chain accepts exactly the consistency proofs the Python core makes, and no mutation of them."""

from __future__ import annotations

import pytest
from contract_helpers import SAMPLE_TREE_SIZE, flip_bit, revert_of, sample_tree, transact
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract

pytestmark = [pytest.mark.anvil, pytest.mark.chain]


@st.composite
def sizes(draw: st.DrawFn) -> tuple[int, int]:
    new_size = draw(st.integers(min_value=2, max_value=SAMPLE_TREE_SIZE))
    return draw(st.integers(min_value=1, max_value=new_size - 1)), new_size


@st.composite
def mutations(draw: st.DrawFn, proof_length: int) -> tuple[str, int, int, int]:
    """(kind, position, byte, bit): flip one bit of one element, drop one, or add a copy of one after it."""
    kind = draw(st.sampled_from(["flip", "truncate", "extend"]))
    position = draw(st.integers(min_value=0, max_value=proof_length - 1))
    return kind, position, draw(st.integers(0, 31)), draw(st.integers(0, 7))


def mutate(proof: list[bytes], kind: str, position: int, byte: int, bit: int) -> list[bytes]:
    mutated = list(proof)
    if kind == "flip":
        mutated[position] = flip_bit(mutated[position], byte, bit)
    elif kind == "truncate":
        del mutated[position]
    else:
        mutated.insert(position + 1, flip_bit(mutated[position], byte, bit))
    return mutated


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), old_and_new=sizes())
def test_python_proofs_are_accepted_and_mutated_ones_refused(
    anvil_w3: Web3, deployed_ledger: Contract, roles, data: st.DataObject, old_and_new: tuple[int, int]
) -> None:
    old_size, new_size = old_and_new
    tree = sample_tree()
    proof = tree.consistency_proof(old_size, new_size)
    assert proof, "a proof between two non-empty different sizes is never empty"
    mutation = data.draw(mutations(len(proof)), label="mutation")

    # Fixtures are not reset between Hypothesis examples, so each example snapshots and reverts itself.
    snapshot = anvil_w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        transact(anvil_w3, deployed_ledger.functions.anchor(old_size, tree.root(old_size), []), roles["anchorer"])

        forged = deployed_ledger.functions.anchor(new_size, tree.root(new_size), mutate(proof, *mutation))
        assert revert_of(deployed_ledger, forged, roles["anchorer"]) == (
            "SaksiLedgerInvalidConsistencyProof",
            (old_size, new_size),
        )

        transact(anvil_w3, deployed_ledger.functions.anchor(new_size, tree.root(new_size), proof), roles["anchorer"])
        assert deployed_ledger.functions.latestCheckpoint().call() == [new_size, tree.root(new_size)]
    finally:
        assert anvil_w3.provider.make_request("evm_revert", [snapshot])["result"] is True
