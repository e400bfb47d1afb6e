// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @title OneSlotPerEvent
 * @notice Reference point for gas comparisons only, never deployed by Saksi: the naive design that
 * writes every service event's digest to its own storage slot, one transaction per event.
 * @dev `scripts/gas_report.py` compares its cost per event with anchoring one checkpoint for many events.
 */
contract OneSlotPerEvent {
    /// @dev Block in which each digest was recorded; zero when never recorded.
    mapping(bytes32 eventDigest => uint256 blockNumber) private _recordedAt;

    /**
     * @notice `eventDigest` was recorded before.
     * @param eventDigest The digest offered again.
     */
    error OneSlotPerEventAlreadyRecorded(bytes32 eventDigest);

    /**
     * @notice Records `eventDigest` in a storage slot of its own.
     * @dev Requirements:
     *
     * - `eventDigest` was not recorded before.
     * @param eventDigest Digest of one service event.
     */
    function record(bytes32 eventDigest) external {
        if (_recordedAt[eventDigest] != 0) {
            revert OneSlotPerEventAlreadyRecorded(eventDigest);
        }
        _recordedAt[eventDigest] = block.number;
    }

    /**
     * @notice The block in which `eventDigest` was recorded.
     * @param eventDigest Digest of one service event.
     * @return The block number, or zero if it was never recorded.
     */
    function recordedAt(bytes32 eventDigest) external view returns (uint256) {
        return _recordedAt[eventDigest];
    }
}
