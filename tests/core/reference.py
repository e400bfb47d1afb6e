"""A naive, textbook RFC 9162 §2.1 Merkle tree: the oracle the fast core is tested against.

Each function is the RFC's recursive definition written out literally, over the
data entries D[n] (not over leaf hashes), with slicing and no caching. It is slow
(O(n) hashes per call, often O(n log n)) and meant to be obviously right, not fast.
Nothing here imports ``ledger``: the oracle must not share a bug with the code it checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1), RFC 9162 §2.1.1."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def leaf_hash(entry: bytes) -> bytes:
    return _sha256(b"\x00" + entry)


def mth(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]), RFC 9162 §2.1.1."""
    n = len(entries)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + entries[0])
    k = _k(n)
    return _sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:]))


def path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]), the inclusion proof of entry m, RFC 9162 §2.1.3.1."""
    n = len(entries)
    if not 0 <= m < n:
        raise ValueError(f"PATH({m}, D[{n}]) is undefined")
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return path(m, entries[:k]) + [mth(entries[k:])]
    return path(m - k, entries[k:]) + [mth(entries[:k])]


def proof(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 9162 §2.1.4.1.

    The RFC defines it for 0 < m <= n; m = 0 (every tree extends the empty one)
    needs no evidence, so it is empty here by convention, as in every CT verifier.
    """
    n = len(entries)
    if not 0 <= m <= n:
        raise ValueError(f"PROOF({m}, D[{n}]) is undefined")
    if m == 0:
        return []
    return subproof(m, entries, True)


def subproof(m: int, entries: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1."""
    n = len(entries)
    if m == n:
        return [] if b else [mth(entries)]
    k = _k(n)
    if m <= k:
        return subproof(m, entries[:k], b) + [mth(entries[k:])]
    return subproof(m - k, entries[k:], False) + [mth(entries[:k])]
