"""anchor(): the chain accepts a checkpoint only with an RFC 9162 consistency proof from the latest one."""

import brownie
import saksi_errors as err
from rfc9162 import consistency_proof, dataset, flip_bit, hexes, leaf_hash, mth

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


def test_a_rewritten_history_is_refused(saksi, anchorer):
    """The operator anchored 8 leaves, then rewrites leaf 3: the new tree no longer extends the anchored one."""
    honest = dataset(20)
    anchor(saksi, honest, 8, [], anchorer)
    rewritten = [*honest[:3], dataset(1, salt=b"forged")[0], *honest[4:]]
    with brownie.reverts(err.invalid_consistency_proof(8, 20)):
        anchor(saksi, rewritten, 20, consistency_proof(8, rewritten), anchorer)
    assert tuple(saksi.latestCheckpoint()) == (8, "0x" + mth(honest[:8]).hex())
    anchor(saksi, honest, 20, consistency_proof(8, honest), anchorer)


def test_malformed_proofs_are_refused(saksi, anchorer):
    entries = dataset(20)
    anchor(saksi, entries, 6, [], anchorer)
    proof = consistency_proof(6, entries)
    assert len(proof) > 2
    root = "0x" + mth(entries).hex()
    for bad in (
        proof[:-1],  # truncated
        [*proof, proof[-1]],  # one hash too many
        proof[::-1],  # out of order
        flip_bit(proof, 1, 7),  # one bit flipped
        [],  # none at all
    ):
        with brownie.reverts(err.invalid_consistency_proof(6, 20)):
            saksi.anchor(20, root, hexes(bad), {"from": anchorer})
    with brownie.reverts(err.invalid_consistency_proof(6, 20)):  # right proof, wrong new root
        saksi.anchor(20, "0x" + mth(entries[:19]).hex(), hexes(proof), {"from": anchorer})


def test_a_first_checkpoint_with_a_proof_is_refused(saksi, anchorer):
    entries = dataset(4)
    with brownie.reverts(err.invalid_consistency_proof(0, 4)):
        anchor(saksi, entries, 4, [leaf_hash(entries[0])], anchorer)


def test_the_tree_must_grow(saksi, anchorer):
    entries = dataset(8)
    anchor(saksi, entries, 8, [], anchorer)
    with brownie.reverts(err.tree_not_growing(8, 8)):
        anchor(saksi, entries, 8, [], anchorer)
    with brownie.reverts(err.tree_not_growing(8, 4)):
        anchor(saksi, entries, 4, [], anchorer)


def test_a_zero_root_is_refused(saksi, anchorer):
    with brownie.reverts(err.ZERO_ROOT):
        saksi.anchor(1, ZERO, [], {"from": anchorer})


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
