import brownie
from brownie.test import given, strategy
from conftest import b32, tree

from ledger.core.merkle import NodeId


def test_anchor_grows_with_consistency_proofs(saksi, operator):
    t = tree(100)
    tx = saksi.anchor(10, b32(t.root(10)), [], {"from": operator})
    assert tx.events["CheckpointAnchored"]["treeSize"] == 10
    proof = [b32(h) for h in t.consistency_proof(10, 100)]
    tx = saksi.anchor(100, b32(t.root(100)), proof, {"from": operator})
    assert tx.events["CheckpointAnchored"]["previousSize"] == 10
    size, root = saksi.latestCheckpoint()
    assert size == 100 and root == b32(t.root(100))
    assert saksi.rootAt(10) == b32(t.root(10))


def test_rewriting_history_reverts(saksi, operator):
    t = tree(20)
    saksi.anchor(8, b32(t.root(8)), [], {"from": operator})
    forged = [b32(b"\x01" * 32) for _ in t.consistency_proof(8, 20)]
    with brownie.reverts():
        saksi.anchor(20, b32(t.root(20)), forged, {"from": operator})
    with brownie.reverts():
        saksi.anchor(8, b32(t.root(8)), [], {"from": operator})  # not growing
    with brownie.reverts():
        saksi.anchor(4, b32(t.root(4)), [], {"from": operator})  # shrinking


def test_only_the_anchorer_anchors(saksi, accounts):
    t = tree(4)
    with brownie.reverts():
        saksi.anchor(4, b32(t.root(4)), [], {"from": accounts[2]})


def test_verify_inclusion(saksi, operator):
    t = tree(13)
    saksi.anchor(13, b32(t.root(13)), [], {"from": operator})
    proof = [b32(h) for h in t.inclusion_proof(5, 13)]
    leaf = t.get([NodeId(0, 5)])[NodeId(0, 5)]
    assert saksi.verifyInclusion(5, b32(leaf), 13, proof)
    assert not saksi.verifyInclusion(6, b32(leaf), 13, proof)


def test_agency_registry_and_roles(saksi, operator, accounts):
    tx = saksi.registerAgency("polri.satpas-bandung", accounts[1], {"from": operator})
    assert tx.events["AgencyRegistered"]["code"] == "polri.satpas-bandung"
    tx = saksi.rotateAgencySigner("polri.satpas-bandung", accounts[2], {"from": operator})
    assert tx.events["AgencySignerRotated"]["newSigner"] == accounts[2]
    saksi.revokeAgency("polri.satpas-bandung", {"from": operator})
    assert saksi.agency("polri.satpas-bandung")[1] == 2
    with brownie.reverts():
        saksi.rotateAgencySigner("polri.satpas-bandung", accounts[3], {"from": operator})
    with brownie.reverts():
        saksi.registerAgency("imigrasi.surabaya", accounts[1], {"from": accounts[4]})  # not the registrar
    with brownie.reverts():
        saksi.registerAgency("Bad Code", accounts[1], {"from": operator})


@given(old=strategy("uint", min_value=1, max_value=200), extra=strategy("uint", min_value=1, max_value=200))
def test_property_consistency(SaksiLedger, accounts, old, extra):
    saksi = SaksiLedger.deploy(accounts[0], accounts[0], accounts[0], {"from": accounts[0]})
    t = tree(old + extra)
    saksi.anchor(old, b32(t.root(old)), [], {"from": accounts[0]})
    proof = t.consistency_proof(old, old + extra)
    if proof:
        mutated = [b32(bytes([proof[0][0] ^ 1]) + proof[0][1:])] + [b32(h) for h in proof[1:]]
        with brownie.reverts():
            saksi.anchor(old + extra, b32(t.root(old + extra)), mutated, {"from": accounts[0]})
    saksi.anchor(old + extra, b32(t.root(old + extra)), [b32(h) for h in proof], {"from": accounts[0]})
    assert saksi.latestCheckpoint()[0] == old + extra
