"""verifyInclusion(): an event's leaf checked against an anchored root, as a wallet or contract would.

The brownie face of tests/contracts/contract_cases.py, the cases tests/contracts/test_verify_inclusion.py
replays through web3: the same anchored trees (built by the RFC 9162 oracle), the same claims.
"""

import sys
from pathlib import Path

import brownie
import saksi_errors as err
from rfc9162 import hexes

# The shared cases live with the main suite's contract tests (brownie's environment has no repository).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "contracts"))

from contract_cases import NEVER_ANCHORED, anchors, claims, entries, leaf  # noqa: E402

from tests.core import reference  # noqa: E402


def anchor_all(saksi, anchorer):
    for size, root, proof in anchors():
        saksi.anchor(size, "0x" + root.hex(), hexes(proof), {"from": anchorer})


def test_every_claim(saksi, anchorer):
    anchor_all(saksi, anchorer)
    wrong = [
        claim.name
        for claim in claims()
        if bool(saksi.verifyInclusion(claim.index, "0x" + claim.leaf.hex(), claim.size, hexes(claim.proof)))
        != claim.included
    ]
    assert wrong == []


def test_only_anchored_sizes_can_be_checked(saksi, anchorer):
    anchor_all(saksi, anchorer)
    proof = reference.path(0, entries()[:NEVER_ANCHORED])
    with brownie.reverts(err.unknown_tree_size(NEVER_ANCHORED)):
        saksi.verifyInclusion(0, "0x" + leaf(0).hex(), NEVER_ANCHORED, hexes(proof))
