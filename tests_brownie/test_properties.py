"""Hypothesis properties through brownie's `given` (which reverts the chain between examples)."""

import brownie
import saksi_errors as err
from brownie.test import given, strategy
from rfc9162 import consistency_proof, dataset, flip_bit, hexes, inclusion_proof, leaf_hash, mth


def root(entries):
    return "0x" + mth(entries).hex()


@given(
    old=strategy("uint16", min_value=1, max_value=300),
    extra=strategy("uint16", min_value=1, max_value=300),
    index=strategy("uint8"),
    bit=strategy("uint8"),
    salt=strategy("bytes4"),
)
def test_consistency_proofs_for_any_growth(saksi, anchorer, old, extra, index, bit, salt):
    """For any 0 < m < n, the proof from m to n is accepted and the same proof with one bit flipped is not."""
    new = old + extra
    entries = dataset(new, salt=bytes(salt))
    saksi.anchor(old, root(entries[:old]), [], {"from": anchorer})
    proof = consistency_proof(old, entries)
    with brownie.reverts(err.invalid_consistency_proof(old, new)):
        saksi.anchor(new, root(entries), hexes(flip_bit(proof, index, bit)), {"from": anchorer})
    saksi.anchor(new, root(entries), hexes(proof), {"from": anchorer})
    assert tuple(saksi.latestCheckpoint()) == (new, root(entries))


@given(sizes=strategy("uint16[]", min_value=1, max_value=600, min_length=1, max_length=6, unique=True))
def test_any_sequence_of_checkpoints(saksi, anchorer, sizes):
    sizes = sorted(sizes)
    entries = dataset(sizes[-1])
    previous = 0
    for size in sizes:
        proof = consistency_proof(previous, entries[:size]) if previous else []
        saksi.anchor(size, root(entries[:size]), hexes(proof), {"from": anchorer})
        previous = size
    for size in sizes:
        assert saksi.rootAt(size) == root(entries[:size])


@given(
    size=strategy("uint16", min_value=1, max_value=600),
    index=strategy("uint16"),
    bit=strategy("uint8"),
)
def test_inclusion_proofs_for_any_leaf(saksi, anchorer, size, index, bit):
    entries = dataset(size)
    index %= size
    saksi.anchor(size, root(entries), [], {"from": anchorer})
    proof = inclusion_proof(index, entries)
    leaf = "0x" + leaf_hash(entries[index]).hex()
    assert saksi.verifyInclusion(index, leaf, size, hexes(proof))
    if proof:
        assert not saksi.verifyInclusion(index, leaf, size, hexes(flip_bit(proof, bit, bit)))
    else:  # a one-leaf tree: its root is the leaf itself
        assert not saksi.verifyInclusion(index, "0x" + leaf_hash(b"another").hex(), size, [])
