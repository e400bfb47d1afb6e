"""RFC 9162 Merkle tree: known answers, agreement with the textbook oracle, and tampering."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import merkle
from ledger.errors import ConsistencyProofInvalid, InclusionProofInvalid, InvalidField
from tests.core import reference as ref

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)

# --- independent expected values: RFC 6962 test data as published by transparency-dev/merkle ----
# (testonly/constants.go and proof/verify_test.go), typed in here, not computed.

CT_LEAVES = [
    bytes.fromhex(x)
    for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
CT_ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
# NodeHashes(): level -> hashes of the perfect subtrees at that level, left to right.
CT_NODES = {
    0: [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    1: [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    2: [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    3: ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
}
# (leafIndex, treeSize) -> proof; verify_test.go numbers leaves from 1, these from 0.
CT_INCLUSION = {
    (0, 1): [],
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
CT_CONSISTENCY = {
    (1, 1): [],
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
    (6, 7): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}


def unhex(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


@pytest.fixture(scope="module")
def ct_tree() -> merkle.MemoryTree:
    return merkle.MemoryTree(merkle.leaf_hash(leaf) for leaf in CT_LEAVES)


def test_prefixes_and_empty_root() -> None:
    assert merkle.EMPTY_ROOT == hashlib.sha256(b"").digest() == bytes.fromhex(CT_ROOTS[0])
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b"l" * 32, b"r" * 32) == hashlib.sha256(b"\x01" + b"l" * 32 + b"r" * 32).digest()


@pytest.mark.parametrize("size", range(9))
def test_ct_roots(ct_tree: merkle.MemoryTree, size: int) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in CT_LEAVES[:size]]
    expected = bytes.fromhex(CT_ROOTS[size])
    assert merkle.root(hashes) == expected
    assert merkle.MemoryTree(hashes).root() == expected
    assert ct_tree.root(size) == expected
    assert merkle.CompactRange().root() == merkle.EMPTY_ROOT
    compact = merkle.CompactRange()
    compact.extend(hashes)
    assert compact.root() == expected
    assert ref.mth(CT_LEAVES[:size]) == expected  # the oracle knows the answers too


def test_ct_node_hashes(ct_tree: merkle.MemoryTree) -> None:
    for level, hashes in CT_NODES.items():
        nodes = ct_tree.get(merkle.NodeId(level, i) for i in range(len(hashes)))
        assert [nodes[merkle.NodeId(level, i)].hex() for i in range(len(hashes))] == hashes


@pytest.mark.parametrize(("index", "size"), sorted(CT_INCLUSION))
def test_ct_inclusion(ct_tree: merkle.MemoryTree, index: int, size: int) -> None:
    proof = unhex(CT_INCLUSION[(index, size)])
    assert ct_tree.inclusion_proof(index, size) == proof
    merkle.verify_inclusion(index, size, merkle.leaf_hash(CT_LEAVES[index]), proof, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("old", "new"), sorted(CT_CONSISTENCY))
def test_ct_consistency(ct_tree: merkle.MemoryTree, old: int, new: int) -> None:
    proof = unhex(CT_CONSISTENCY[(old, new)])
    assert ct_tree.consistency_proof(old, new) == proof
    merkle.verify_consistency(old, new, bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new]), proof)


# --- the fast core agrees with the textbook oracle ---------------------------------------------


def entries(size: int, salt: int) -> list[bytes]:
    return [f"{salt}/{i}".encode() for i in range(size)]


@st.composite
def trees(draw: st.DrawFn, min_size: int = 0, max_size: int = 300) -> tuple[list[bytes], merkle.MemoryTree]:
    data = entries(draw(st.integers(min_size, max_size)), draw(st.integers(0, 1 << 16)))
    return data, merkle.MemoryTree(ref.leaf_hash(d) for d in data)


@PROPERTY
@given(trees())
def test_roots_equal_oracle(tree: tuple[list[bytes], merkle.MemoryTree]) -> None:
    data, memory = tree
    expected = ref.mth(data)
    hashes = [ref.leaf_hash(d) for d in data]
    assert merkle.root(hashes) == expected
    assert memory.root() == expected
    compact = merkle.CompactRange()
    compact.extend(hashes)
    assert compact.root() == expected
    rebuilt = merkle.CompactRange.from_nodes(len(data), memory.get)
    assert rebuilt.root() == expected and rebuilt.peaks == compact.peaks


@PROPERTY
@given(trees(min_size=1), st.data())
def test_inclusion_equals_oracle_and_verifies(tree: tuple[list[bytes], merkle.MemoryTree], data: st.DataObject) -> None:
    leaves, memory = tree
    size = data.draw(st.integers(1, len(leaves)), label="treeSize")
    index = data.draw(st.integers(0, size - 1), label="leafIndex")
    proof = memory.inclusion_proof(index, size)
    assert proof == ref.path(index, leaves[:size])
    root = ref.mth(leaves[:size])
    assert memory.root(size) == root
    merkle.verify_inclusion(index, size, ref.leaf_hash(leaves[index]), proof, root)
    assert merkle.root_from_inclusion_proof(index, size, ref.leaf_hash(leaves[index]), proof) == root


@PROPERTY
@given(trees(min_size=1), st.data())
def test_consistency_equals_oracle_and_verifies(
    tree: tuple[list[bytes], merkle.MemoryTree], data: st.DataObject
) -> None:
    leaves, memory = tree
    new = data.draw(st.integers(1, len(leaves)), label="newSize")
    old = data.draw(st.integers(0, new), label="oldSize")
    proof = memory.consistency_proof(old, new)
    assert proof == ref.proof(old, leaves[:new])
    merkle.verify_consistency(old, new, ref.mth(leaves[:old]), ref.mth(leaves[:new]), proof)


# --- every tampered proof is refused -----------------------------------------------------------


def flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def refuses_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    try:
        merkle.verify_inclusion(index, size, leaf, proof, root)
    except InclusionProofInvalid:
        return True
    return False


def refuses_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    try:
        merkle.verify_consistency(old, new, old_root, new_root, proof)
    except ConsistencyProofInvalid:
        return True
    return False


@PROPERTY
@given(trees(min_size=1), st.data())
def test_tampered_inclusion_is_refused(tree: tuple[list[bytes], merkle.MemoryTree], data: st.DataObject) -> None:
    leaves, memory = tree
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1), label="leafIndex")
    leaf, root = ref.leaf_hash(leaves[index]), ref.mth(leaves)
    proof = memory.inclusion_proof(index)
    for k in range(len(proof)):  # every element, one bit each
        bit = data.draw(st.integers(0, 255), label=f"bit of proof[{k}]")
        assert refuses_inclusion(index, size, leaf, [*proof[:k], flip(proof[k], bit), *proof[k + 1 :]], root)
    if proof:
        assert refuses_inclusion(index, size, leaf, proof[:-1], root)
        assert refuses_inclusion(index, size, leaf, proof[1:], root)
    extra = data.draw(st.binary(min_size=32, max_size=32), label="extra")
    assert refuses_inclusion(index, size, leaf, [*proof, extra], root)
    assert refuses_inclusion(index, size, leaf, [extra, *proof], root)
    wrong_index = data.draw(st.integers(0, 2 * size).filter(lambda i: i != index), label="wrong index")
    assert refuses_inclusion(wrong_index, size, leaf, proof, root)
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), label="other leaf") if size > 1 else None
    if other is not None:
        assert refuses_inclusion(index, size, ref.leaf_hash(leaves[other]), proof, root)
    assert refuses_inclusion(index, size, flip(leaf, data.draw(st.integers(0, 255))), proof, root)
    assert refuses_inclusion(index, size, leaf, proof, flip(root, data.draw(st.integers(0, 255))))
    # A wrong size: the proof does not show the leaf in the tree of that size (unless, by the
    # shape of the trees, it is that tree's very proof too).
    wrong_size = data.draw(st.integers(index + 1, 2 * size + 1).filter(lambda n: n != size), label="wrong size")
    more = entries(wrong_size, -1)
    other_tree = leaves[:wrong_size] + more[len(leaves) : wrong_size]
    if proof != ref.path(index, other_tree):
        assert refuses_inclusion(index, wrong_size, leaf, proof, ref.mth(other_tree))


@PROPERTY
@given(trees(min_size=2), st.data())
def test_tampered_consistency_is_refused(tree: tuple[list[bytes], merkle.MemoryTree], data: st.DataObject) -> None:
    leaves, memory = tree
    new = len(leaves)
    old = data.draw(st.integers(1, new - 1), label="oldSize")
    old_root, new_root = ref.mth(leaves[:old]), ref.mth(leaves)
    proof = memory.consistency_proof(old, new)
    assert proof
    for k in range(len(proof)):
        bit = data.draw(st.integers(0, 255), label=f"bit of proof[{k}]")
        assert refuses_consistency(old, new, old_root, new_root, [*proof[:k], flip(proof[k], bit), *proof[k + 1 :]])
    assert refuses_consistency(old, new, old_root, new_root, proof[:-1])
    assert refuses_consistency(old, new, old_root, new_root, proof[1:])
    extra = data.draw(st.binary(min_size=32, max_size=32), label="extra")
    assert refuses_consistency(old, new, old_root, new_root, [*proof, extra])
    assert refuses_consistency(old, new, old_root, new_root, [extra, *proof])
    assert refuses_consistency(old, new, flip(old_root, data.draw(st.integers(0, 255))), new_root, proof)
    assert refuses_consistency(old, new, old_root, flip(new_root, data.draw(st.integers(0, 255))), proof)
    assert refuses_consistency(new, old, new_root, old_root, proof)  # shrinking
    # Wrong sizes: refused against the true roots of those sizes unless the proofs coincide.
    wrong_old = data.draw(st.integers(1, new).filter(lambda m: m != old), label="wrong oldSize") if new > 2 else None
    if wrong_old is not None and proof != ref.proof(wrong_old, leaves):
        assert refuses_consistency(wrong_old, new, ref.mth(leaves[:wrong_old]), new_root, proof)
    wrong_new = (
        data.draw(st.integers(old + 1, new).filter(lambda n: n != new), label="wrong newSize")
        if new - old > 1
        else None
    )
    if wrong_new is not None and proof != ref.proof(old, leaves[:wrong_new]):
        assert refuses_consistency(old, wrong_new, old_root, ref.mth(leaves[:wrong_new]), proof)


def test_a_root_does_not_tell_its_size() -> None:
    """What no consistency verifier can refuse (this one, RFC 9162's, any other): a root does not encode
    the tree's size, so the proof from 2 to 8 leaves also "proves" 2 -> 5, 6 and 7 with the 8-leaf root.
    The contract therefore cannot stop an anchorer from anchoring a root under a size it does not have;
    `saksi audit` does (tests/services/test_auditor.py::test_a_root_anchored_under_another_size), and so
    does any citizen whose leaf lies in the misstated range (its inclusion proof fails)."""
    leaves = entries(8, 3)
    proof = merkle.MemoryTree(ref.leaf_hash(d) for d in leaves).consistency_proof(2, 8)
    for size in (5, 6, 7, 8):
        merkle.verify_consistency(2, size, ref.mth(leaves[:2]), ref.mth(leaves), proof)
    assert refuses_consistency(2, 4, ref.mth(leaves[:2]), ref.mth(leaves), proof)  # a shorter proof's size


def test_every_small_proof_exhaustively() -> None:
    """All (index, size) and (old, new) up to 33 leaves, each element flipped at several bits."""
    leaves = entries(33, 7)
    memory = merkle.MemoryTree(ref.leaf_hash(d) for d in leaves)
    roots = [ref.mth(leaves[:n]) for n in range(34)]
    for size in range(1, 34):
        for index in range(size):
            proof = memory.inclusion_proof(index, size)
            assert proof == ref.path(index, leaves[:size])
            leaf = ref.leaf_hash(leaves[index])
            merkle.verify_inclusion(index, size, leaf, proof, roots[size])
            for k in range(len(proof)):
                for bit in (0, 7, 100, 255):
                    assert refuses_inclusion(
                        index, size, leaf, [*proof[:k], flip(proof[k], bit), *proof[k + 1 :]], roots[size]
                    )
            for wrong in range(size + 1):
                if wrong != index:
                    assert refuses_inclusion(wrong, size, leaf, proof, roots[size])
        for old in range(0, size + 1):
            proof = memory.consistency_proof(old, size)
            assert proof == ref.proof(old, leaves[:size])
            merkle.verify_consistency(old, size, roots[old], roots[size], proof)
            for k in range(len(proof)):
                for bit in (0, 7, 100, 255):
                    assert refuses_consistency(
                        old, size, roots[old], roots[size], [*proof[:k], flip(proof[k], bit), *proof[k + 1 :]]
                    )


# --- plans, compact ranges and bad input -------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 1000, (1 << 40) + 3, (1 << 63) - 1])
def test_plans_need_logarithmic_nodes(size: int) -> None:
    for index in {0, size // 3, size - 1}:
        plan = merkle.inclusion_plan(index, size)
        assert len(plan.groups) <= 63
        assert len(plan.node_ids()) <= 2 * 63
    for old in {1, size // 2, size - 1} - {0}:
        assert len(merkle.consistency_plan(old, size).groups) <= 2 * 63
    assert len(merkle.root_plan(size)) == size.bit_count()


def test_compact_range_reports_new_nodes() -> None:
    compact = merkle.CompactRange()
    created = compact.extend(ref.leaf_hash(d) for d in entries(8, 1))
    assert sorted(node for node, _ in created) == sorted(
        [merkle.NodeId(1, i) for i in range(4)] + [merkle.NodeId(2, 0), merkle.NodeId(2, 1), merkle.NodeId(3, 0)]
    )
    assert dict(created)[merkle.NodeId(3, 0)] == ref.mth(entries(8, 1))


def test_decompose_folds_to_subtree_roots() -> None:
    leaves = entries(64, 3)
    memory = merkle.MemoryTree(ref.leaf_hash(d) for d in leaves)
    for begin, end in [(0, 7), (8, 13), (16, 31), (32, 64), (48, 49)]:
        nodes = memory.get(merkle.decompose(begin, end))
        assert merkle.fold([nodes[n] for n in merkle.decompose(begin, end)]) == ref.mth(leaves[begin:end])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: merkle.inclusion_plan(3, 3), "leafIndex"),
        (lambda: merkle.inclusion_plan(-1, 3), "leafIndex"),
        (lambda: merkle.inclusion_plan(0, 1 << 63), "treeSize"),
        (lambda: merkle.inclusion_plan(True, 3), "leafIndex"),
        (lambda: merkle.consistency_plan(4, 3), "from"),
        (lambda: merkle.consistency_plan(1, -3), "to"),
        (lambda: merkle.root_plan(-1), "treeSize"),
        (lambda: merkle.CompactRange(3, [b"\x00" * 32]), "peaks"),
        (lambda: merkle.verify_inclusion(0, 1, b"\x00" * 31, [], b"\x00" * 32), "leafHash"),
        (lambda: merkle.verify_inclusion(0, 1, b"\x00" * 32, [], b"\x00" * 31), "rootHash"),
        (lambda: merkle.verify_inclusion(0, 2, b"\x00" * 32, ["00" * 32], b"\x00" * 32), "proof[0]"),
        (lambda: merkle.verify_consistency(1, 2, b"\x00" * 32, b"\x00" * 32, [b"\x00" * 32, b""]), "proof[1]"),
        (lambda: merkle.verify_consistency(1.0, 2, b"\x00" * 32, b"\x00" * 32, [b"\x00" * 32]), "from"),
    ],
)
def test_bad_input_names_the_field(call, field: str) -> None:
    with pytest.raises(InvalidField) as raised:
        call()
    assert raised.value.field == field


def test_empty_tree_includes_nothing() -> None:
    with pytest.raises(InclusionProofInvalid):
        merkle.verify_inclusion(0, 0, merkle.leaf_hash(b""), [], merkle.EMPTY_ROOT)
    merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])
    merkle.verify_consistency(0, 1, merkle.EMPTY_ROOT, merkle.leaf_hash(b""), [])


def test_root_mismatch_carries_evidence() -> None:
    memory = merkle.MemoryTree(ref.leaf_hash(d) for d in entries(5, 0))
    wrong = b"\x11" * 32
    with pytest.raises(InclusionProofInvalid) as raised:
        merkle.verify_inclusion(2, 5, ref.leaf_hash(b"0/2"), memory.inclusion_proof(2), wrong)
    assert raised.value.evidence == {"expected": wrong, "calculated": memory.root()}
