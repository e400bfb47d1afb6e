"""The contract's RFC 9162 cases, written once for both contract suites: verifyInclusion claims and the
checkpoints anchor() refuses.

tests/contracts/test_verify_inclusion.py and test_anchor.py replay them on anvil through web3,
tests_brownie/test_inclusion.py and test_anchor.py on ganache through brownie (the card's workflow). Pure Python over the one RFC 9162 oracle,
tests/core/reference.py, and nothing else, so that brownie's own virtual environment imports it too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from tests.core import reference

TREE_SIZE = 2000
# Anchored in this order, each with the oracle's consistency proof from the one before.
ANCHORED_SIZES = (1, 2, 7, 8, 1000, 1024, 2000)
NEVER_ANCHORED = 999


@functools.cache
def entries() -> tuple[bytes, ...]:
    return tuple(b"saksi-test-leaf-%d" % i for i in range(TREE_SIZE))


@functools.cache
def root(size: int) -> bytes:
    return reference.mth(entries()[:size])


@functools.cache
def path(index: int, size: int) -> tuple[bytes, ...]:
    return tuple(reference.path(index, entries()[:size]))


def leaf(index: int) -> bytes:
    return reference.leaf_hash(entries()[index])


def anchors() -> list[tuple[int, bytes, list[bytes]]]:
    """(tree size, root, consistency proof from the previous anchor) for every anchored size, in order."""
    out, previous = [], 0
    for size in ANCHORED_SIZES:
        out.append((size, root(size), reference.proof(previous, entries()[:size])))
        previous = size
    return out


def flip_bit(value: bytes, byte_index: int = 0, bit: int = 0) -> bytes:
    mutated = bytearray(value)
    mutated[byte_index] ^= 1 << bit
    return bytes(mutated)


@dataclass(frozen=True)
class Claim:
    """verifyInclusion(index, leaf, size, proof) against the anchored root of `size` must answer `included`."""

    name: str
    index: int
    leaf: bytes
    size: int
    proof: tuple[bytes, ...]
    included: bool


def claims() -> list[Claim]:
    # Every leaf of the small trees; the edges and a middle of the large ones.
    valid = [(i, n) for n in (1, 2, 7, 8) for i in range(n)]
    valid += [(0, 1000), (999, 1000), (512, 1024), (1023, 2000), (1999, 2000)]
    out = [Claim(f"leaf {i} of {n}", i, leaf(i), n, path(i, n), True) for i, n in valid]
    p = path(10, 1000)
    out += [
        Claim("another leaf at the index", 10, leaf(11), 1000, p, False),
        Claim("the leaf at another index", 11, leaf(10), 1000, p, False),
        Claim("a leaf with one bit flipped", 10, flip_bit(leaf(10)), 1000, p, False),
    ]
    p = path(777, 2000)
    out += [
        Claim(
            f"proof hash {k} with one bit flipped",
            777,
            leaf(777),
            2000,
            p[:k] + (flip_bit(p[k], k % 32),) + p[k + 1 :],
            False,
        )
        for k in range(len(p))
    ]
    out += [
        Claim("a truncated proof", 777, leaf(777), 2000, p[:-1], False),
        Claim("a proof without its first hash", 777, leaf(777), 2000, p[1:], False),
        Claim("a proof with one hash too many", 777, leaf(777), 2000, (*p, leaf(0)), False),
        Claim("an empty proof", 777, leaf(777), 2000, (), False),
        Claim("a one-leaf tree with a non-empty path", 0, leaf(0), 1, (leaf(1),), False),
        Claim("a proof against another anchored size", 5, leaf(5), 1024, path(5, 1000), False),
        Claim("an index equal to the size", 8, leaf(8), 8, path(7, 8), False),
        Claim("the largest uint64 index", 2**64 - 1, leaf(0), 8, (), False),
    ]
    return out


@dataclass(frozen=True)
class Refusal:
    """With the tree of `anchored` entries anchored first (none when 0), anchor(size, root, proof) reverts
    with the custom error `error`(*`args`) and changes nothing."""

    name: str
    anchored: int
    size: int
    root: bytes
    proof: tuple[bytes, ...]
    error: str
    args: tuple[int, ...]


def consistency(old: int, new: int, data: tuple[bytes, ...] | None = None) -> tuple[bytes, ...]:
    return tuple(reference.proof(old, (data or entries())[:new]))


def refusals() -> list[Refusal]:
    bad = "SaksiLedgerInvalidConsistencyProof"
    out = [
        Refusal("a zero root", 0, 5, b"\x00" * 32, (), "SaksiLedgerZeroRoot", ()),
        Refusal("the empty tree", 0, 0, reference.mth([]), (), "SaksiLedgerTreeNotGrowing", (0, 0)),
        Refusal("a proof on the first anchor", 0, 5, root(5), (root(4),), bad, (0, 5)),
        Refusal("an equal size", 10, 10, root(10), (), "SaksiLedgerTreeNotGrowing", (10, 10)),
        Refusal("an equal size with another root", 10, 10, root(11), (), "SaksiLedgerTreeNotGrowing", (10, 10)),
        Refusal("a shrinking size", 10, 9, root(9), consistency(9, 10), "SaksiLedgerTreeNotGrowing", (10, 9)),
    ]
    for old in (10, 16):  # not a power of two / a power of two
        proof = consistency(old, 37)
        out += [
            Refusal(f"from {old}: proof hash {k} with one bit flipped", old, 37, root(37), forged, bad, (old, 37))
            for k in range(len(proof))
            for forged in [proof[:k] + (flip_bit(proof[k], 31),) + proof[k + 1 :]]
        ]
    out += [
        Refusal(f"the proof from {a} to {b}", 10, 20, root(20), consistency(a, b), bad, (10, 20))
        for a, b in ((9, 20), (10, 21), (11, 20))
    ]
    out.append(Refusal("a root that is not the proof's", 10, 20, root(21), consistency(10, 20), bad, (10, 20)))
    rewritten = entries()[:5] + (b"rewritten",) + entries()[6:20]
    out.append(
        Refusal(
            "a rewritten history, with a proof valid for it",
            10,
            20,
            reference.mth(rewritten),
            consistency(10, 20, rewritten),
            bad,
            (10, 20),
        )
    )
    proof = consistency(10, 1500)
    for name, forged in (
        ("a truncated proof", proof[:-1]),
        ("a proof without its first hash", proof[1:]),
        ("a proof with one hash too many", (*proof, root(3))),
        ("a proof twice over", proof + proof),
        ("a proof out of order", proof[::-1]),
        ("no proof", ()),
    ):
        out.append(Refusal(name, 10, 1500, root(1500), forged, bad, (10, 1500)))
    return out
