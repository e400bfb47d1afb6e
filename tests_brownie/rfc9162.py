"""The brownie suite's face of the project's one RFC 9162 oracle, tests/core/reference.py.

The oracle is the RFC's recursive definitions written out literally over the data entries D[n], with
nothing imported from `ledger` (it must not share a bug with the code it checks); the main suite holds
`ledger.core.merkle` and, in tests/contracts, the contract to it, and this suite holds the contract to it
through brownie. Trees here are lists of entries; the contract takes their leaf hashes, `leaf_hash(entry)`.
"""

import sys
from pathlib import Path

# brownie runs this suite from its own virtual environment, where the repository is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.core.reference import leaf_hash, mth  # noqa: E402
from tests.core.reference import path as inclusion_proof  # noqa: E402
from tests.core.reference import proof as consistency_proof  # noqa: E402

__all__ = ["consistency_proof", "dataset", "flip_bit", "hexes", "inclusion_proof", "leaf_hash", "mth"]


def dataset(count: int, salt: bytes = b"") -> list[bytes]:
    """The entries of a test tree: entry i is `salt ‖ i` as 8 big-endian bytes."""
    return [salt + i.to_bytes(8, "big") for i in range(count)]


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
