// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";

import {RFC9162} from "./RFC9162.sol";

/**
 * @title SaksiLedger
 * @notice Anchors the checkpoints of Saksi's append-only RFC 9162 Merkle log and keeps the registry of
 * the agencies allowed to sign service events.
 * @dev The chain itself enforces that the log only grows: every new checkpoint must come with an
 * RFC 9162 §2.1.4 consistency proof from the previous one, verified by the {RFC9162} library.
 * Agencies sign their events as EIP-712 typed data under this contract's domain (`name` "Saksi",
 * `version` "1", the chain id and this contract's address), which {eip712Domain} exposes as EIP-5267
 * describes. That domain is implemented here rather than by inheriting OpenZeppelin's `EIP712`: in
 * OpenZeppelin Contracts 5.7 `EIP712` pulls in `Bytes`, whose `mcopy` needs Cancun, and this contract
 * targets Shanghai so that every supported chain (ganache included) can run it. No signature is checked
 * on chain, so the domain's fields are all that is needed.
 *
 * Roles: `DEFAULT_ADMIN_ROLE` grants and revokes the others, `ANCHORER_ROLE` anchors checkpoints,
 * `REGISTRAR_ROLE` registers, rotates and revokes agencies.
 */
contract SaksiLedger is AccessControl, IERC5267 {
    /// @notice Role allowed to anchor checkpoints with {anchor}.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @notice Role allowed to manage the agency registry.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice Where an agency stands in the registry.
    /// @dev `Unknown` is the zero value, so a code that was never registered reads as `Unknown`.
    enum AgencyStatus {
        Unknown,
        Active,
        Revoked
    }

    /// @dev One storage slot: 20 + 1 + 8 bytes.
    struct AgencyRecord {
        address signer;
        AgencyStatus status;
        uint64 updatedAtBlock;
    }

    /// @dev EIP-712 domain name and version under which agencies sign their events.
    string private constant _EIP712_NAME = "Saksi";
    string private constant _EIP712_VERSION = "1";

    /// @dev EIP-5267 `fields`: name, version, chainId and verifyingContract are set (no salt).
    bytes1 private constant _EIP712_FIELDS = hex"0f";

    /// @dev Longest agency code, in bytes.
    uint256 private constant _MAX_AGENCY_CODE_LENGTH = 32;

    /// @dev Bit `c` is set when byte `c` may appear in an agency code: `-`, `.`, `0`-`9`, `a`-`z`.
    uint256 private constant _AGENCY_CODE_CHARSET =
        (1 << 0x2d) | (1 << 0x2e) | (((1 << 10) - 1) << 0x30) | (((1 << 26) - 1) << 0x61);

    /// @dev Size of the latest anchored tree; its root is `_roots[_latestSize]`. Keeping the latest
    /// root only in the mapping saves one storage write per anchor.
    uint64 private _latestSize;

    /// @dev Root of every anchored tree, by tree size. Zero means never anchored (a SHA-256 root is never zero).
    mapping(uint64 treeSize => bytes32 rootHash) private _roots;

    /// @dev Agencies by `keccak256(bytes(code))`.
    mapping(bytes32 codeHash => AgencyRecord) private _agencies;

    /**
     * @notice A checkpoint of `treeSize` leaves with root `rootHash` was anchored, extending the tree of
     * `previousSize` leaves anchored before it (0 for the first checkpoint).
     * @param treeSize Number of leaves of the anchored tree.
     * @param rootHash RFC 9162 root of the anchored tree.
     * @param previousSize Size of the checkpoint it extends.
     */
    event CheckpointAnchored(uint64 indexed treeSize, bytes32 rootHash, uint64 previousSize);

    /**
     * @notice The agency `code` was registered with `signer` as its signing address.
     * @param codeHash `keccak256(bytes(code))`, for filtering.
     * @param code The agency's code.
     * @param signer Address whose EIP-712 signatures the agency's events carry.
     */
    event AgencyRegistered(bytes32 indexed codeHash, string code, address signer);

    /**
     * @notice The agency `code` now signs with `newSigner` instead of `previousSigner`.
     * @param codeHash `keccak256(bytes(code))`, for filtering.
     * @param code The agency's code.
     * @param previousSigner Signing address until this block.
     * @param newSigner Signing address from this block on.
     */
    event AgencySignerRotated(bytes32 indexed codeHash, string code, address previousSigner, address newSigner);

    /**
     * @notice The agency `code` was revoked; its code can never be registered again.
     * @param codeHash `keccak256(bytes(code))`, for filtering.
     * @param code The agency's code.
     * @param signer Its signing address at the time of revocation.
     */
    event AgencyRevoked(bytes32 indexed codeHash, string code, address signer);

    /**
     * @notice A checkpoint must be larger than the latest anchored one.
     * @param latestSize Size of the latest anchored checkpoint.
     * @param treeSize Size that was offered.
     */
    error SaksiLedgerTreeNotGrowing(uint64 latestSize, uint64 treeSize);

    /**
     * @notice The consistency proof does not show that the tree of `toSize` leaves extends the anchored
     * tree of `fromSize` leaves.
     * @param fromSize Size of the latest anchored checkpoint.
     * @param toSize Size of the offered checkpoint.
     */
    error SaksiLedgerInvalidConsistencyProof(uint64 fromSize, uint64 toSize);

    /// @notice A zero root cannot be anchored: zero marks sizes that were never anchored.
    error SaksiLedgerZeroRoot();

    /**
     * @notice No checkpoint of `treeSize` leaves was ever anchored.
     * @param treeSize The size asked for.
     */
    error SaksiLedgerUnknownTreeSize(uint64 treeSize);

    /**
     * @notice `code` is not 1 to 32 bytes of `a`-`z`, `0`-`9`, `.` and `-`.
     * @param code The code offered.
     */
    error SaksiLedgerInvalidAgencyCode(string code);

    /// @notice An agency's signer cannot be the zero address.
    error SaksiLedgerZeroSigner();

    /**
     * @notice The agency `code` is already registered and active.
     * @param code The agency's code.
     */
    error SaksiLedgerAgencyExists(string code);

    /**
     * @notice The agency `code` was never registered.
     * @param code The agency's code.
     */
    error SaksiLedgerUnknownAgency(string code);

    /**
     * @notice The agency `code` was revoked, which is final.
     * @param code The agency's code.
     */
    error SaksiLedgerAgencyRevoked(string code);

    /**
     * @notice Deploys an empty ledger (tree size 0) with an empty agency registry.
     * @dev Any of the three accounts may be the zero address, leaving that role to be granted later by
     * an admin (or never, for a zero `admin`).
     * @param admin Receives `DEFAULT_ADMIN_ROLE`, which grants and revokes every role.
     * @param anchorer Receives `ANCHORER_ROLE`.
     * @param registrar Receives `REGISTRAR_ROLE`.
     */
    constructor(address admin, address anchorer, address registrar) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, anchorer);
        _grantRole(REGISTRAR_ROLE, registrar);
    }

    /**
     * @notice Anchors the checkpoint (`treeSize`, `rootHash`) after checking that it extends the latest one.
     * @dev Requirements:
     *
     * - the caller has `ANCHORER_ROLE`;
     * - `rootHash` is not zero;
     * - `treeSize` is larger than the latest anchored size;
     * - `consistencyProof` is the RFC 9162 §2.1.4 consistency proof from the latest checkpoint to this
     *   one, and is empty for the first checkpoint.
     *
     * Emits a {CheckpointAnchored} event.
     * @param treeSize Number of leaves of the new tree.
     * @param rootHash RFC 9162 root of the new tree.
     * @param consistencyProof Consistency proof from the latest anchored tree, deepest node first.
     */
    function anchor(
        uint64 treeSize,
        bytes32 rootHash,
        bytes32[] calldata consistencyProof
    ) external onlyRole(ANCHORER_ROLE) {
        if (rootHash == bytes32(0)) {
            revert SaksiLedgerZeroRoot();
        }
        uint64 previousSize = _latestSize;
        if (treeSize <= previousSize) {
            revert SaksiLedgerTreeNotGrowing(previousSize, treeSize);
        }
        if (previousSize == 0) {
            // Every tree extends the empty tree; RFC 9162 makes that proof empty.
            if (consistencyProof.length != 0) {
                revert SaksiLedgerInvalidConsistencyProof(0, treeSize);
            }
        } else if (
            !RFC9162.verify(
                RFC9162.Proof.Consistency,
                previousSize,
                _roots[previousSize],
                treeSize,
                rootHash,
                consistencyProof
            )
        ) {
            revert SaksiLedgerInvalidConsistencyProof(previousSize, treeSize);
        }

        _latestSize = treeSize;
        _roots[treeSize] = rootHash;
        emit CheckpointAnchored(treeSize, rootHash, previousSize);
    }

    /**
     * @notice Registers the agency `code` with `signer` as its signing address.
     * @dev Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - `code` is 1 to 32 bytes of `a`-`z`, `0`-`9`, `.` and `-`;
     * - `signer` is not the zero address;
     * - `code` was never registered (a revoked code stays revoked).
     *
     * Emits an {AgencyRegistered} event.
     * @param code The agency's code, as it appears in its events' `agency` field.
     * @param signer Address whose EIP-712 signatures the agency's events will carry.
     */
    function registerAgency(string calldata code, address signer) external onlyRole(REGISTRAR_ROLE) {
        _checkAgencyCode(code);
        if (signer == address(0)) {
            revert SaksiLedgerZeroSigner();
        }
        bytes32 codeHash = keccak256(bytes(code));
        AgencyStatus status = _agencies[codeHash].status;
        if (status == AgencyStatus.Active) {
            revert SaksiLedgerAgencyExists(code);
        }
        if (status == AgencyStatus.Revoked) {
            revert SaksiLedgerAgencyRevoked(code);
        }

        _agencies[codeHash] = AgencyRecord(signer, AgencyStatus.Active, uint64(block.number));
        emit AgencyRegistered(codeHash, code, signer);
    }

    /**
     * @notice Replaces the signing address of the agency `code` with `newSigner`.
     * @dev Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - `newSigner` is not the zero address;
     * - the agency `code` is registered and not revoked.
     *
     * Emits an {AgencySignerRotated} event.
     * @param code The agency's code.
     * @param newSigner Address whose signatures the agency's events carry from this block on.
     */
    function rotateAgencySigner(string calldata code, address newSigner) external onlyRole(REGISTRAR_ROLE) {
        if (newSigner == address(0)) {
            revert SaksiLedgerZeroSigner();
        }
        bytes32 codeHash = keccak256(bytes(code));
        AgencyRecord storage record = _activeAgency(codeHash, code);
        address previousSigner = record.signer;

        record.signer = newSigner;
        record.updatedAtBlock = uint64(block.number);
        emit AgencySignerRotated(codeHash, code, previousSigner, newSigner);
    }

    /**
     * @notice Revokes the agency `code`, for good: it can be neither rotated nor registered again.
     * @dev Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - the agency `code` is registered and not already revoked.
     *
     * Emits an {AgencyRevoked} event. The signer stays readable through {agency}, so that events signed
     * before the revocation can still be attributed.
     * @param code The agency's code.
     */
    function revokeAgency(string calldata code) external onlyRole(REGISTRAR_ROLE) {
        bytes32 codeHash = keccak256(bytes(code));
        AgencyRecord storage record = _activeAgency(codeHash, code);

        record.status = AgencyStatus.Revoked;
        record.updatedAtBlock = uint64(block.number);
        emit AgencyRevoked(codeHash, code, record.signer);
    }

    /**
     * @notice The latest anchored checkpoint.
     * @return treeSize Its number of leaves, 0 before the first anchor.
     * @return rootHash Its RFC 9162 root, zero before the first anchor.
     */
    function latestCheckpoint() external view returns (uint64 treeSize, bytes32 rootHash) {
        treeSize = _latestSize;
        rootHash = _roots[treeSize];
    }

    /**
     * @notice The root anchored for a tree of `treeSize` leaves.
     * @dev Requirements:
     *
     * - a checkpoint of `treeSize` leaves was anchored.
     * @param treeSize Number of leaves.
     * @return The RFC 9162 root anchored for that size.
     */
    function rootAt(uint64 treeSize) public view returns (bytes32) {
        bytes32 rootHash = _roots[treeSize];
        if (rootHash == bytes32(0)) {
            revert SaksiLedgerUnknownTreeSize(treeSize);
        }
        return rootHash;
    }

    /**
     * @notice Whether `proof` shows, per RFC 9162 §2.1.3.2, that `leafHash` is the leaf at `leafIndex`
     * of the anchored tree of `treeSize` leaves.
     * @dev Requirements:
     *
     * - a checkpoint of `treeSize` leaves was anchored.
     *
     * Any malformed proof (an index outside the tree, too few or too many hashes) yields `false`.
     * @param leafIndex Zero-based index of the leaf.
     * @param leafHash The leaf's hash, SHA-256(0x00 ‖ leaf).
     * @param treeSize Size of an anchored checkpoint.
     * @param proof Inclusion proof (audit path), leaf side first.
     * @return True when the proof leads to the anchored root.
     */
    function verifyInclusion(
        uint64 leafIndex,
        bytes32 leafHash,
        uint64 treeSize,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return RFC9162.verify(RFC9162.Proof.Inclusion, leafIndex, leafHash, treeSize, rootAt(treeSize), proof);
    }

    /**
     * @notice The registry entry of the agency `code`.
     * @dev A code that was never registered (or is not a valid code) reads as `Unknown` with zero fields.
     * @param code The agency's code.
     * @return signer Its signing address (kept after revocation).
     * @return status `Unknown` (0), `Active` (1) or `Revoked` (2).
     * @return updatedAtBlock Block of its registration, latest rotation or revocation.
     */
    function agency(
        string calldata code
    ) external view returns (address signer, AgencyStatus status, uint64 updatedAtBlock) {
        AgencyRecord storage record = _agencies[keccak256(bytes(code))];
        return (record.signer, record.status, record.updatedAtBlock);
    }

    /**
     * @notice The EIP-712 domain under which agencies sign service events, as EIP-5267 describes it.
     * @return fields `0x0f`: name, version, chainId and verifyingContract are used.
     * @return name "Saksi".
     * @return version "1".
     * @return chainId The current chain id.
     * @return verifyingContract This contract's address.
     * @return salt Unused, zero.
     * @return extensions None.
     */
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        return (
            _EIP712_FIELDS,
            _EIP712_NAME,
            _EIP712_VERSION,
            block.chainid,
            address(this),
            bytes32(0),
            new uint256[](0)
        );
    }

    /**
     * @dev The record of an agency that may still change. Reverts with {SaksiLedgerUnknownAgency} if
     * `code` was never registered and with {SaksiLedgerAgencyRevoked} if it was revoked.
     */
    function _activeAgency(bytes32 codeHash, string calldata code) private view returns (AgencyRecord storage record) {
        record = _agencies[codeHash];
        AgencyStatus status = record.status;
        if (status == AgencyStatus.Unknown) {
            revert SaksiLedgerUnknownAgency(code);
        }
        if (status == AgencyStatus.Revoked) {
            revert SaksiLedgerAgencyRevoked(code);
        }
    }

    /// @dev Reverts with {SaksiLedgerInvalidAgencyCode} unless `code` is 1 to 32 bytes of `[a-z0-9.-]`.
    function _checkAgencyCode(string calldata code) private pure {
        bytes calldata raw = bytes(code);
        bool valid = raw.length != 0 && raw.length <= _MAX_AGENCY_CODE_LENGTH;
        for (uint256 i = 0; valid && i < raw.length; ++i) {
            valid = (_AGENCY_CODE_CHARSET >> uint8(raw[i])) & 1 == 1;
        }
        if (!valid) {
            revert SaksiLedgerInvalidAgencyCode(code);
        }
    }
}
