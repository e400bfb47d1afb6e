// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @title RFC9162
 * @notice The verifying half of RFC 9162 §2.1 Merkle trees: inclusion (§2.1.3.2) and consistency
 * (§2.1.4.2) proofs, with node hash SHA-256(0x01 ‖ left ‖ right).
 * @dev Internal functions only, so a contract that uses the library compiles it in (no linking, no
 * `DELEGATECALL`), as OpenZeppelin's `MerkleProof` does. Both checks are written in one assembly block
 * so that the node hash is written once: proof hashes are read straight from calldata and each node
 * hash is one `staticcall` to the SHA-256 precompile over a reused 65-byte buffer. The step numbers in
 * the comments are the RFC's. scripts/gas_report.py measures what they cost.
 */
library RFC9162 {
    /// @dev RFC 9162 interior node prefix: node hash = SHA-256(0x01 ‖ left ‖ right).
    uint256 private constant _NODE_PREFIX = 0x01;

    /// @dev Address of the SHA-256 precompile.
    uint256 private constant _SHA256_PRECOMPILE = 0x02;

    /// @dev What a proof shows: that a leaf is in a tree (§2.1.3.2), or that a tree extends an older one
    /// (§2.1.4.2).
    enum Proof {
        Inclusion,
        Consistency
    }

    /**
     * @dev Whether `proof` leads from (`from`, `fromHash`) to the tree (`treeSize`, `rootHash`):
     *
     * - `Proof.Inclusion`: `fromHash` is the leaf hash at index `from`. An index outside the tree, or
     *   too few or too many hashes, yields `false`.
     * - `Proof.Consistency`: (`from`, `fromHash`) is an older tree's size and root, and the tree
     *   (`treeSize`, `rootHash`) extends it. Requires 0 < `from` < `treeSize` (the caller handles the
     *   empty tree).
     *
     * One function for both so that a caller pays for a single internal call.
     */
    function verify(
        Proof kind,
        uint256 from,
        bytes32 fromHash,
        uint256 treeSize,
        bytes32 rootHash,
        bytes32[] calldata proof
    ) internal view returns (bool valid) {
        assembly ("memory-safe") {
            // SHA-256(0x01 ‖ left ‖ right) through the precompile. `buffer` holds the prefix byte at
            // offset 0; the output goes to scratch space. Reverts if the precompile is missing or fails.
            function nodeHash(buffer, left, right) -> result {
                mstore(add(buffer, 0x01), left)
                mstore(add(buffer, 0x21), right)
                // The precompile answers 32 bytes, or nothing when it failed; an address without code
                // answers nothing too. So one test covers a failed call and a missing precompile.
                pop(staticcall(gas(), _SHA256_PRECOMPILE, buffer, 0x41, 0x00, 0x20))
                if iszero(eq(returndatasize(), 0x20)) {
                    revert(0x00, 0x00)
                }
                result := mload(0x00)
            }

            function verifyInclusion(buffer, fn, size, r, expectedRoot, cursor, end) -> ok {
                // An index outside the tree proves nothing.
                if iszero(lt(fn, size)) {
                    leave
                }
                // 1-2. fn = leafIndex, sn = treeSize - 1, r = leafHash
                let sn := sub(size, 1)
                // 3.
                for {} lt(cursor, end) {
                    cursor := add(cursor, 0x20)
                } {
                    // 3.1 More hashes than the tree has levels.
                    if iszero(sn) {
                        leave
                    }
                    let p := calldataload(cursor)
                    switch or(and(fn, 1), eq(fn, sn))
                    case 0 {
                        // 3.3
                        r := nodeHash(buffer, r, p)
                    }
                    default {
                        // 3.2
                        r := nodeHash(buffer, p, r)
                        for {} iszero(or(iszero(fn), and(fn, 1))) {} {
                            fn := shr(1, fn)
                            sn := shr(1, sn)
                        }
                    }
                    fn := shr(1, fn)
                    sn := shr(1, sn)
                }
                // 4.
                ok := and(iszero(sn), eq(r, expectedRoot))
            }

            function verifyConsistency(buffer, firstSize, firstRoot, secondSize, secondRoot, cursor, end) -> ok {
                // 1. An empty proof proves nothing between different sizes.
                if eq(cursor, end) {
                    leave
                }
                let fn := sub(firstSize, 1)
                let sn := sub(secondSize, 1)
                // 2. A first size that is a power of two starts the path from the first root itself.
                let fr := firstRoot
                if and(firstSize, fn) {
                    fr := calldataload(cursor)
                    cursor := add(cursor, 0x20)
                }
                // 3-4. Right-shift fn and sn while the LSB of fn is set.
                for {} and(fn, 1) {} {
                    fn := shr(1, fn)
                    sn := shr(1, sn)
                }
                // 5.
                let sr := fr
                // 6.
                for {} lt(cursor, end) {
                    cursor := add(cursor, 0x20)
                } {
                    // 6.1 More hashes than the tree has levels.
                    if iszero(sn) {
                        leave
                    }
                    let c := calldataload(cursor)
                    switch or(and(fn, 1), eq(fn, sn))
                    case 0 {
                        // 6.3
                        sr := nodeHash(buffer, sr, c)
                    }
                    default {
                        // 6.2
                        fr := nodeHash(buffer, c, fr)
                        sr := nodeHash(buffer, c, sr)
                        for {} iszero(or(iszero(fn), and(fn, 1))) {} {
                            fn := shr(1, fn)
                            sn := shr(1, sn)
                        }
                    }
                    fn := shr(1, fn)
                    sn := shr(1, sn)
                }
                // 7.
                ok := and(iszero(sn), and(eq(fr, firstRoot), eq(sr, secondRoot)))
            }

            let buffer := mload(0x40)
            mstore8(buffer, _NODE_PREFIX)
            let end := add(proof.offset, shl(5, proof.length))
            switch kind
            case 1 {
                valid := verifyConsistency(buffer, from, fromHash, treeSize, rootHash, proof.offset, end)
            }
            default {
                valid := verifyInclusion(buffer, from, treeSize, fromHash, rootHash, proof.offset, end)
            }
        }
    }
}
