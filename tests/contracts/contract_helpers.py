"""Small helpers for contract tests: send, expect a revert by error name and arguments, read events."""

from __future__ import annotations

import functools
from typing import Any

from eth_abi import decode
from eth_utils.abi import (
    abi_to_signature,
    event_abi_to_log_topic,
    function_signature_to_4byte_selector,
    get_abi_input_types,
)
from web3 import Web3
from web3._utils.events import get_event_data
from web3.contract.contract import Contract, ContractFunction
from web3.exceptions import ContractLogicError
from web3.types import TxReceipt

from ledger.core.merkle import MemoryTree, leaf_hash

# Errors every Solidity contract may raise besides those in its ABI.
_BUILTIN_ERRORS = [
    {"type": "error", "name": "Error", "inputs": [{"name": "message", "type": "string"}]},
    {"type": "error", "name": "Panic", "inputs": [{"name": "code", "type": "uint256"}]},
]


def transact(w3: Web3, function: ContractFunction, sender: str, **tx: Any) -> TxReceipt:
    """Send a transaction from an unlocked anvil account and wait for its (successful) receipt."""
    tx_hash = function.transact({"from": sender, **tx})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.01)
    assert receipt["status"] == 1, f"transaction reverted: {receipt}"
    return receipt


def decode_error(abi: list[dict[str, Any]], data: str | bytes) -> tuple[str, tuple[Any, ...]]:
    """(name, arguments) of ABI-encoded revert data, matched against the contract's errors."""
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else bytes(data)
    if len(raw) < 4:
        raise AssertionError(f"revert without an error selector: 0x{raw.hex()}")
    for entry in [*abi, *_BUILTIN_ERRORS]:
        if entry.get("type") != "error":
            continue
        if function_signature_to_4byte_selector(abi_to_signature(entry)) == raw[:4]:
            types = get_abi_input_types(entry)
            values = decode(types, raw[4:])
            # Checksummed like every address web3 hands out, so that comparisons with accounts work.
            return entry["name"], tuple(
                Web3.to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True)
            )
    raise AssertionError(f"revert data matches no error of the ABI: 0x{raw.hex()}")


def revert_of(contract: Contract, function: ContractFunction, sender: str) -> tuple[str, tuple[Any, ...]]:
    """Simulate a call; return the custom error it reverts with, decoded. Fails if it does not revert."""
    try:
        function.call({"from": sender})
    except ContractLogicError as error:
        return decode_error(contract.abi, error.data if isinstance(error.data, str) else error.message or "0x")
    raise AssertionError(f"{function.fn_name} did not revert")


def events_of(contract: Contract, receipt: TxReceipt) -> list[tuple[str, dict[str, Any]]]:
    """Every log of the receipt emitted by the contract, decoded as (event name, arguments), in order."""
    by_topic = {event_abi_to_log_topic(e): e for e in contract.abi if e.get("type") == "event"}
    decoded = []
    for log in receipt["logs"]:
        if log["address"] != contract.address:
            continue
        event = by_topic[bytes(log["topics"][0])]
        data = get_event_data(contract.w3.codec, event, log)
        decoded.append((data["event"], dict(data["args"])))
    return decoded


# --- test data ------------------------------------------------------------------------------------

SAMPLE_TREE_SIZE = 2000


@functools.cache
def sample_tree() -> MemoryTree:
    """An RFC 9162 tree of 2,000 distinct leaves, built once per session."""
    return MemoryTree(leaf_hash(b"saksi-test-leaf-%d" % i) for i in range(SAMPLE_TREE_SIZE))


def flip_bit(value: bytes, byte_index: int = 0, bit: int = 0) -> bytes:
    mutated = bytearray(value)
    mutated[byte_index] ^= 1 << bit
    return bytes(mutated)
