"""verifyInclusion(): an event's leaf checked against an anchored root, as a wallet or contract would."""

import brownie
import saksi_errors as err
from rfc9162 import consistency_proof, flip_bit, hexes, inclusion_proof, leaves, mth


def anchor(saksi, hashes, size, previous, anchorer):
    proof = consistency_proof(previous, hashes[:size]) if previous else []
    saksi.anchor(size, "0x" + mth(hashes[:size]).hex(), hexes(proof), {"from": anchorer})


def verify(saksi, index, leaf, size, proof):
    return saksi.verifyInclusion(index, "0x" + leaf.hex(), size, hexes(proof))


def test_every_leaf_of_anchored_trees(saksi, anchorer):
    hashes = leaves(40)
    anchor(saksi, hashes, 1, 0, anchorer)
    anchor(saksi, hashes, 13, 1, anchorer)
    anchor(saksi, hashes, 40, 13, anchorer)
    for size in (1, 13, 40):  # older checkpoints keep verifying after the log grew
        for index in range(size):
            assert verify(saksi, index, hashes[index], size, inclusion_proof(index, hashes[:size]))


def test_wrong_claims_are_false(saksi, anchorer):
    hashes = leaves(13)
    anchor(saksi, hashes, 13, 0, anchorer)
    proof = inclusion_proof(5, hashes)
    assert verify(saksi, 5, hashes[5], 13, proof)
    assert not verify(saksi, 6, hashes[5], 13, proof)  # another position
    assert not verify(saksi, 5, hashes[6], 13, proof)  # another leaf
    assert not verify(saksi, 5, hashes[5], 13, flip_bit(proof, 2, 100))
    assert not verify(saksi, 5, hashes[5], 13, proof[:-1])  # too short
    assert not verify(saksi, 5, hashes[5], 13, [*proof, proof[0]])  # too long
    assert not verify(saksi, 13, hashes[5], 13, proof)  # outside the tree
    assert not verify(saksi, 2**64 - 1, hashes[5], 13, proof)


def test_only_anchored_sizes_can_be_checked(saksi, anchorer):
    hashes = leaves(13)
    anchor(saksi, hashes, 13, 0, anchorer)
    with brownie.reverts(err.unknown_tree_size(12)):
        verify(saksi, 0, hashes[0], 12, inclusion_proof(0, hashes[:12]))
