"""RFC 9162 §2.1 Merkle trees, written out from the RFC's recursive definitions (pure Python, hashlib only).

Deliberately naive and independent of the main project's `ledger.core.merkle`: it is the reference the
contract is checked against. Trees here are lists of leaf hashes; every function is O(n) per call.
"""

from hashlib import sha256


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 ‖ data)."""
    return sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return sha256(b"\x01" + left + right).digest()


def leaves(count: int, salt: bytes = b"") -> list[bytes]:
    """The leaf hashes of a test tree: leaf i is `salt ‖ i` as 8 big-endian bytes."""
    return [leaf_hash(salt + i.to_bytes(8, "big")) for i in range(count)]


def _split(n: int) -> int:
    """k: the largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(hashes: list[bytes]) -> bytes:
    """MTH(D[n]): the root of the tree over these leaf hashes."""
    n = len(hashes)
    if n == 0:
        return sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = _split(n)
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def inclusion_proof(m: int, hashes: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf m, leaf side first."""
    n = len(hashes)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return inclusion_proof(m, hashes[:k]) + [mth(hashes[k:])]
    return inclusion_proof(m - k, hashes[k:]) + [mth(hashes[:k])]


def consistency_proof(m: int, hashes: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 < m <= n."""
    return _subproof(m, hashes, True)


def _subproof(m: int, hashes: list[bytes], complete: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if complete else [mth(hashes)]
    k = _split(n)
    if m <= k:
        return _subproof(m, hashes[:k], complete) + [mth(hashes[k:])]
    return _subproof(m - k, hashes[k:], False) + [mth(hashes[:k])]


def flip_bit(proof: list[bytes], index: int, bit: int) -> list[bytes]:
    """The proof with one bit of one hash flipped (index and bit taken modulo the proof's size)."""
    index %= len(proof)
    bit %= 256
    mutated = bytearray(proof[index])
    mutated[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:index], bytes(mutated), *proof[index + 1 :]]


def hexes(hashes: list[bytes]) -> list[str]:
    """bytes32[] arguments as brownie takes them."""
    return ["0x" + h.hex() for h in hashes]
