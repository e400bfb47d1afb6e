"""The SaksiLedger ABI as plain functions: call data, return values, custom errors and logs.

Built on eth-abi and eth-utils only, so the same bytes go out whatever node answers, and a revert is
decoded the same way whether anvil, ganache or the embedded chain reported it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from eth_abi import decode, encode
from eth_utils import to_checksum_address
from eth_utils.abi import (
    event_abi_to_log_topic,
    function_abi_to_4byte_selector,
    get_abi_input_types,
    get_abi_output_types,
)

from ledger.chain import solc

# Errors any Solidity contract can raise besides those declared in its ABI.
_BUILTIN_ERRORS: tuple[dict[str, Any], ...] = (
    {"type": "error", "name": "Error", "inputs": [{"name": "message", "type": "string"}]},
    {"type": "error", "name": "Panic", "inputs": [{"name": "code", "type": "uint256"}]},
)


def _readable(types: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
    """Addresses checksummed (as every web3 tool shows them); everything else as eth-abi decodes it."""
    return tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True))


class ContractAbi:
    """One contract's ABI, indexed by function name, error selector and event topic."""

    def __init__(self, abi: Sequence[Mapping[str, Any]], bytecode: bytes = b"") -> None:
        self.abi = [dict(entry) for entry in abi]
        self.bytecode = bytecode
        self._functions = {e["name"]: e for e in self.abi if e.get("type") == "function"}
        self._errors = {
            function_abi_to_4byte_selector(e): e for e in (*self.abi, *_BUILTIN_ERRORS) if e.get("type") == "error"
        }
        self._events = {event_abi_to_log_topic(e): e for e in self.abi if e.get("type") == "event"}
        self._event_topics = {e["name"]: topic for topic, e in self._events.items()}
        constructors = [e for e in self.abi if e.get("type") == "constructor"]
        self._constructor_types = get_abi_input_types(constructors[0]) if constructors else []

    # --- functions ---

    def encode_call(self, name: str, *args: Any) -> bytes:
        entry = self._functions[name]
        return function_abi_to_4byte_selector(entry) + encode(get_abi_input_types(entry), list(args))

    def view_selectors(self) -> frozenset[bytes]:
        """The selectors of the functions that only read (view or pure)."""
        return frozenset(
            function_abi_to_4byte_selector(e)
            for e in self._functions.values()
            if e.get("stateMutability") in ("view", "pure")
        )

    def decode_output(self, name: str, data: bytes) -> tuple[Any, ...]:
        types = get_abi_output_types(self._functions[name])
        return _readable(types, decode(types, data))

    def encode_deploy(self, *args: Any) -> bytes:
        if not self.bytecode:
            raise ValueError("this ABI has no bytecode to deploy")
        return self.bytecode + encode(self._constructor_types, list(args))

    # --- errors ---

    def decode_error(self, data: bytes) -> tuple[str, tuple[Any, ...]] | None:
        """(name, arguments) of revert data, or None when it matches no error of the ABI."""
        entry = self._errors.get(bytes(data[:4]))
        if entry is None:
            return None
        types = get_abi_input_types(entry)
        try:
            return entry["name"], _readable(types, decode(types, bytes(data[4:])))
        except Exception:  # noqa: BLE001 - malformed arguments: still name the error
            return entry["name"], ()

    # --- events ---

    def event_topic(self, name: str) -> bytes:
        return self._event_topics[name]

    def decode_log(self, topics: Sequence[bytes], data: bytes) -> tuple[str, dict[str, Any]] | None:
        """(event name, arguments) of a log emitted by this contract, or None for a log it does not declare."""
        if not topics:
            return None
        entry = self._events.get(bytes(topics[0]))
        if entry is None:
            return None
        indexed = [i for i in entry["inputs"] if i.get("indexed")]
        plain = [i for i in entry["inputs"] if not i.get("indexed")]
        args: dict[str, Any] = {}
        for item, topic in zip(indexed, topics[1:], strict=True):
            # Indexed dynamic values (string, bytes, arrays) are only their keccak hash in the topic.
            if item["type"] in ("string", "bytes") or item["type"].endswith("]"):
                args[item["name"]] = bytes(topic)
            else:
                args[item["name"]] = _readable([item["type"]], decode([item["type"]], bytes(topic)))[0]
        plain_types = [i["type"] for i in plain]
        for item, value in zip(plain, _readable(plain_types, decode(plain_types, bytes(data))), strict=True):
            args[item["name"]] = value
        return entry["name"], args


@cache
def ledger_abi() -> ContractAbi:
    """The committed SaksiLedger artifact's ABI and creation bytecode."""
    artifact = solc.load_artifact("SaksiLedger")
    return ContractAbi(artifact["abi"], bytes.fromhex(artifact["bytecode"].removeprefix("0x")))
