"""RFC 9162 §2.1 Merkle tree: hashing, roots, proofs and their verification.

Pure functions over bytes. Proof *generation* never touches storage itself: it
names the perfect subtrees it needs (:class:`NodeId`), the caller fetches them
(one round trip, O(log n) nodes) and :func:`assemble` folds them into the proof.
Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from ledger.errors import ConsistencyProofInvalid, InclusionProofInvalid, InvalidField

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(leaf: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 ‖ d)."""
    return _sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(NODE_PREFIX + left + right).digest()


class NodeId(NamedTuple):
    """The perfect subtree of 2**level leaves starting at leaf index << level."""

    level: int
    index: int  # type: ignore[assignment]  # shadows tuple.index, which no caller uses; FORMATS names it so

    @property
    def begin(self) -> int:
        return self.index << self.level

    @property
    def end(self) -> int:
        return (self.index + 1) << self.level


def _largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def decompose(begin: int, end: int) -> list[NodeId]:
    """Perfect subtrees, left to right, whose fold is MTH(D[begin:end]).

    Valid for every range that RFC 9162's recursion produces (``begin`` is a
    multiple of the smallest power of two >= end - begin): the range splits into
    its binary digits, largest first, and MTH is the right fold of those nodes.
    """
    nodes: list[NodeId] = []
    size = end - begin
    position = begin
    while size:
        level = size.bit_length() - 1
        nodes.append(NodeId(level, position >> level))
        position += 1 << level
        size -= 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of a decomposition: node(h0, node(h1, ... node(hn-2, hn-1)))."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


class ProofPlan(NamedTuple):
    """What a proof needs from storage: each proof element is the fold of one group."""

    groups: tuple[tuple[NodeId, ...], ...]

    def node_ids(self) -> set[NodeId]:
        return {node for group in self.groups for node in group}


def _check_size(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= 1 << 63:
        raise InvalidField(name, "must be an integer in [0, 2^63)")


def inclusion_plan(leaf_index: int, tree_size: int) -> ProofPlan:
    """Nodes of PATH(m, D[n]) (RFC 9162 §2.1.3.1), leaf side first."""
    _check_size("treeSize", tree_size)
    _check_size("leafIndex", leaf_index)
    if leaf_index >= tree_size:
        raise InvalidField("leafIndex", f"must be below treeSize {tree_size}")
    ranges: list[tuple[int, int]] = []
    begin, end = 0, tree_size
    while end - begin > 1:
        k = _largest_power_of_two_below(end - begin)
        if leaf_index < begin + k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
    ranges.reverse()
    return ProofPlan(tuple(tuple(decompose(b, e)) for b, e in ranges))


def consistency_plan(old_size: int, new_size: int) -> ProofPlan:
    """Nodes of PROOF(m, D[n]) (RFC 9162 §2.1.4.1), deepest first."""
    _check_size("from", old_size)
    _check_size("to", new_size)
    if old_size > new_size:
        raise InvalidField("from", f"must not exceed to ({new_size})")
    if old_size == 0 or old_size == new_size:
        return ProofPlan(())
    ranges: list[tuple[int, int]] = []
    begin, end, m = 0, new_size, old_size
    complete = True  # the `b` flag of SUBPROOF: m is the whole original old tree
    while True:
        n = end - begin
        if m == n:
            if not complete:
                ranges.append((begin, end))
            break
        k = _largest_power_of_two_below(n)
        if m <= k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin += k
            m -= k
            complete = False
    ranges.reverse()
    return ProofPlan(tuple(tuple(decompose(b, e)) for b, e in ranges))


def root_plan(tree_size: int) -> tuple[NodeId, ...]:
    """Nodes whose fold is the root of a tree of tree_size leaves (empty for 0)."""
    _check_size("treeSize", tree_size)
    return tuple(decompose(0, tree_size))


def assemble(plan: ProofPlan, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """Fold fetched nodes into the proof's hashes."""
    return [fold([nodes[node] for node in group]) for group in plan.groups]


def root_from_nodes(plan: Sequence[NodeId], nodes: Mapping[NodeId, bytes]) -> bytes:
    if not plan:
        return EMPTY_ROOT
    return fold([nodes[node] for node in plan])


# --- building and reading whole trees in memory ------------------------------------


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, iteratively, O(n) hashes and O(log n) memory."""
    if not leaf_hashes:
        return EMPTY_ROOT
    stack: list[tuple[int, bytes]] = []  # (level, hash) of completed perfect subtrees
    for h in leaf_hashes:
        level = 0
        while stack and stack[-1][0] == level:
            h = node_hash(stack.pop()[1], h)
            level += 1
        stack.append((level, h))
    return fold([h for _, h in stack])


class CompactRange:
    """The right edge of a tree: the perfect subtrees of decompose(0, size).

    Appending leaves yields every newly completed perfect subtree, which is what
    storage must persist so that any later proof needs only O(log n) reads.
    """

    __slots__ = ("size", "_peaks")

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        if len(peaks) != size.bit_count():
            raise InvalidField("peaks", f"a tree of {size} leaves has {size.bit_count()} peaks")
        self.size = size
        self._peaks = list(peaks)

    @classmethod
    def from_nodes(cls, size: int, get: Callable[[Sequence[NodeId]], Mapping[NodeId, bytes]]) -> CompactRange:
        ids = root_plan(size)
        nodes = get(ids) if ids else {}
        return cls(size, [nodes[i] for i in ids])

    @property
    def peaks(self) -> tuple[bytes, ...]:
        return tuple(self._peaks)

    def root(self) -> bytes:
        return fold(self._peaks) if self._peaks else EMPTY_ROOT

    def append(self, leaf_hash_: bytes) -> list[tuple[NodeId, bytes]]:
        """Add one leaf; return the completed subtrees at level >= 1 (new nodes)."""
        index = self.size
        h = leaf_hash_
        created: list[tuple[NodeId, bytes]] = []
        level = 0
        while index & 1:
            h = node_hash(self._peaks.pop(), h)
            level += 1
            index >>= 1
            created.append((NodeId(level, index), h))
        self._peaks.append(h)
        self.size += 1
        return created

    def extend(self, leaf_hashes: Iterable[bytes]) -> list[tuple[NodeId, bytes]]:
        created: list[tuple[NodeId, bytes]] = []
        for h in leaf_hashes:
            created.extend(self.append(h))
        return created


# --- verification (RFC 9162 §2.1.3.2, §2.1.4.2) ------------------------------------


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, (bytes, bytearray)) or len(value) != HASH_SIZE:
        raise InvalidField(name, "must be 32 bytes")


def root_from_inclusion_proof(leaf_index: int, tree_size: int, leaf_hash_: bytes, proof: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof; raises InclusionProofInvalid on a malformed one."""
    _check_size("treeSize", tree_size)
    _check_size("leafIndex", leaf_index)
    _check_hash("leafHash", leaf_hash_)
    if leaf_index >= tree_size:
        raise InclusionProofInvalid(f"leaf index {leaf_index} is not below tree size {tree_size}")
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
    # 1-2. fn = leaf_index, sn = tree_size - 1, r = leaf_hash
    fn, sn, r = leaf_index, tree_size - 1, bytes(leaf_hash_)
    # 3. for each p in the path
    for p in proof:
        if sn == 0:  # 3.1 the path is longer than the tree is deep
            raise InclusionProofInvalid("proof has more elements than the tree has levels")
        if fn & 1 or fn == sn:  # 3.2
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:  # 3.3
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # 4. sn must be 0 at the end
    if sn != 0:
        raise InclusionProofInvalid("proof has fewer elements than the tree has levels")
    return r


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf_hash_: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """Raise InclusionProofInvalid unless the proof places leaf_hash at leaf_index under expected_root."""
    _check_hash("rootHash", expected_root)
    calculated = root_from_inclusion_proof(leaf_index, tree_size, leaf_hash_, proof)
    if calculated != expected_root:
        raise InclusionProofInvalid(
            "calculated root differs from the expected root", expected=expected_root, calculated=calculated
        )


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Raise ConsistencyProofInvalid unless the tree of new_size extends the tree of old_size."""
    _check_size("from", old_size)
    _check_size("to", new_size)
    _check_hash("oldRoot", old_root)
    _check_hash("newRoot", new_root)
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
    if old_size > new_size:
        raise ConsistencyProofInvalid(f"old size {old_size} exceeds new size {new_size}")
    if old_size == new_size:
        if proof:
            raise ConsistencyProofInvalid("proof between equal sizes must be empty")
        if old_root != new_root:
            raise ConsistencyProofInvalid("equal sizes with different roots", expected=old_root, calculated=new_root)
        return
    if old_size == 0:
        if proof:
            raise ConsistencyProofInvalid("proof from the empty tree must be empty")
        return
    if not proof:
        raise ConsistencyProofInvalid("proof is empty")
    path = list(proof)
    # 2. if first is an exact power of 2, prepend first_hash (the old root)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3-5.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:  # 6.1
            raise ConsistencyProofInvalid("proof has more elements than needed")
        if fn & 1 or fn == sn:  # 6.2
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:  # 6.3
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # 7.
    if sn != 0:
        raise ConsistencyProofInvalid("proof has fewer elements than needed")
    if fr != old_root:
        raise ConsistencyProofInvalid("old root does not match", expected=old_root, calculated=fr)
    if sr != new_root:
        raise ConsistencyProofInvalid("new root does not match", expected=new_root, calculated=sr)


# --- whole-tree helpers (tests, vectors, audits) -------------------------------------


class MemoryTree:
    """A tree held in memory with every perfect subtree, for tests and audits."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._nodes: dict[NodeId, bytes] = {}
        self._range = CompactRange()
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        return self._range.size

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        for h in leaf_hashes:
            self._nodes[NodeId(0, self._range.size)] = h
            for node, value in self._range.append(h):
                self._nodes[node] = value

    def get(self, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
        return {i: self._nodes[i] for i in ids}

    def root(self, tree_size: int | None = None) -> bytes:
        size = self.size if tree_size is None else tree_size
        plan = root_plan(size)
        return root_from_nodes(plan, self.get(plan))

    def inclusion_proof(self, leaf_index: int, tree_size: int | None = None) -> list[bytes]:
        plan = inclusion_plan(leaf_index, self.size if tree_size is None else tree_size)
        return assemble(plan, self.get(plan.node_ids()))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        plan = consistency_plan(old_size, self.size if new_size is None else new_size)
        return assemble(plan, self.get(plan.node_ids()))
