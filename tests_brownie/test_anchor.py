"""anchor(): the chain accepts a checkpoint only with an RFC 9162 consistency proof from the latest one.

The checkpoints it refuses are tests/contracts/contract_cases.py's, which tests/contracts/test_anchor.py
replays through web3 too.
"""

import sys
from pathlib import Path

import brownie
import pytest
import saksi_errors as err
from rfc9162 import consistency_proof, dataset, hexes, mth

# The shared cases live with the main suite's contract tests (brownie's environment has no repository).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "contracts"))

from contract_cases import refusals, root  # noqa: E402

ZERO = "0x" + "00" * 32


def anchor(saksi, entries, size, proof, sender):
    return saksi.anchor(size, "0x" + mth(entries[:size]).hex(), hexes(proof), {"from": sender})


def test_a_new_ledger_is_empty(saksi):
    assert tuple(saksi.latestCheckpoint()) == (0, ZERO)
    with brownie.reverts(err.unknown_tree_size(0)):
        saksi.rootAt(0)


def test_first_checkpoint_takes_an_empty_proof(saksi, anchorer):
    entries = dataset(10)
    tx = anchor(saksi, entries, 10, [], anchorer)
    assert tx.events["CheckpointAnchored"] == {"treeSize": 10, "rootHash": "0x" + mth(entries).hex(), "previousSize": 0}
    assert tuple(saksi.latestCheckpoint()) == (10, "0x" + mth(entries).hex())
    assert saksi.rootAt(10) == "0x" + mth(entries).hex()


def test_the_log_grows_checkpoint_by_checkpoint(saksi, anchorer):
    sizes = [1, 2, 3, 7, 8, 9, 64, 100, 257]
    entries = dataset(sizes[-1])
    previous = 0
    for size in sizes:
        proof = consistency_proof(previous, entries[:size]) if previous else []
        tx = anchor(saksi, entries, size, proof, anchorer)
        assert tx.events["CheckpointAnchored"]["previousSize"] == previous
        previous = size
    assert tuple(saksi.latestCheckpoint()) == (257, "0x" + mth(entries).hex())
    for size in sizes:  # every anchored root stays readable, for inclusion proofs against it
        assert saksi.rootAt(size) == "0x" + mth(entries[:size]).hex()


@pytest.mark.parametrize("refusal", refusals(), ids=lambda r: r.name)
def test_refusal(saksi, anchorer, refusal):
    if refusal.anchored:
        saksi.anchor(refusal.anchored, "0x" + root(refusal.anchored).hex(), [], {"from": anchorer})
    with brownie.reverts(err.custom_error(refusal.error, *refusal.args)):
        saksi.anchor(refusal.size, "0x" + refusal.root.hex(), hexes(refusal.proof), {"from": anchorer})
    assert tuple(saksi.latestCheckpoint())[0] == refusal.anchored


def test_only_the_anchorer_role_anchors(saksi, admin, registrar, outsider, anchorer):
    entries = dataset(4)
    role = saksi.ANCHORER_ROLE()
    for account in (admin, registrar, outsider):
        with brownie.reverts(err.unauthorized(account, role)):
            anchor(saksi, entries, 2, [], account)

    saksi.grantRole(role, outsider, {"from": admin})
    anchor(saksi, entries, 2, [], outsider)
    saksi.revokeRole(role, outsider, {"from": admin})
    with brownie.reverts(err.unauthorized(outsider, role)):
        anchor(saksi, entries, 4, consistency_proof(2, entries), outsider)
    anchor(saksi, entries, 4, consistency_proof(2, entries), anchorer)
