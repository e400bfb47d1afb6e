"""verifyInclusion(): RFC 9162 §2.1.3.2 against an anchored root; false on any bad proof.

The cases are contract_cases.py's, which tests_brownie/test_inclusion.py replays through brownie too.
"""

from __future__ import annotations

import pytest
from contract_cases import NEVER_ANCHORED, Claim, anchors, claims, entries, leaf
from contract_helpers import revert_of, transact
from web3 import Web3
from web3.contract import Contract

from tests.core import reference

pytestmark = [pytest.mark.anvil, pytest.mark.chain]


@pytest.fixture
def anchored(anvil_w3: Web3, ledger: Contract, roles) -> Contract:
    for size, root, proof in anchors():
        transact(anvil_w3, ledger.functions.anchor(size, root, proof), roles["anchorer"])
    return ledger


@pytest.mark.parametrize("claim", claims(), ids=lambda c: c.name)
def test_claim(anchored: Contract, claim: Claim) -> None:
    call = anchored.functions.verifyInclusion(claim.index, claim.leaf, claim.size, list(claim.proof))
    assert call.call() is claim.included


def test_reverts_on_a_size_never_anchored(anchored: Contract, roles) -> None:
    proof = reference.path(0, entries()[:NEVER_ANCHORED])
    call = anchored.functions.verifyInclusion(0, leaf(0), NEVER_ANCHORED, proof)
    assert revert_of(anchored, call, roles["stranger"]) == ("SaksiLedgerUnknownTreeSize", (NEVER_ANCHORED,))
