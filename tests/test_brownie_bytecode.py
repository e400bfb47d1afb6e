"""brownie compiles SaksiLedger to the committed build's code (`make brownie` writes build/brownie/).

brownie 1.22.2 has no setting for `metadata.bytecodeHash` (its compiler input carries only evmVersion,
optimizer, remappings and viaIR), so its code ends with solc's default CBOR metadata, {"ipfs", "solc"},
where the committed build, compiled with `bytecodeHash: none`, ends with {"solc"} alone. Everything else
must be identical: the runtime code before the metadata byte for byte, and the creation code once the two
constants that hold code lengths (which include the metadata) are set to the committed build's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "contracts" / "SaksiLedger.sol"
COMMITTED = ROOT / "contracts" / "build" / "SaksiLedger.json"
BROWNIE = ROOT / "build" / "brownie" / "contracts" / "SaksiLedger.json"


def _code(artifact: dict, key: str) -> bytes:
    return bytes.fromhex(artifact[key].removeprefix("0x"))


def split_metadata(code: bytes) -> tuple[bytes, dict[str, bytes]]:
    """(code before the CBOR metadata, the metadata map): solc appends the map and its length in 2 bytes."""
    length = int.from_bytes(code[-2:], "big")
    return code[: -(length + 2)], _cbor_text_to_bytes_map(code[-(length + 2) : -2])


def _cbor_text_to_bytes_map(data: bytes) -> dict[str, bytes]:
    """Decode the small CBOR map solc writes: text keys, byte-string values (RFC 8949, short lengths)."""

    def item(at: int, major: int) -> tuple[bytes, int]:
        assert at < len(data), "the CBOR map ends early"
        head, info = data[at] >> 5, data[at] & 0x1F
        assert head == major, f"unexpected CBOR item {data[at]:#x} at {at}"
        if info < 24:
            return data[at + 1 : at + 1 + info], at + 1 + info
        assert info == 24, f"unexpected CBOR length {info} at {at}"
        size = data[at + 1]
        return data[at + 2 : at + 2 + size], at + 2 + size

    assert data[0] >> 5 == 5 and data[0] & 0x1F < 24, "metadata is not a small CBOR map"
    entries, at, result = data[0] & 0x1F, 1, {}
    for _ in range(entries):
        key, at = item(at, 3)
        result[key.decode()], at = item(at, 2)
    assert at == len(data), "trailing bytes after the CBOR map"
    return result


def push_operands(code: bytes) -> list[tuple[int, int]]:
    """(offset, width) of every PUSH1..PUSH32 operand, walking the code as the EVM does."""
    operands, pc = [], 0
    while pc < len(code):
        width = code[pc] - 0x5F if 0x60 <= code[pc] <= 0x7F else 0
        if width:
            operands.append((pc + 1, width))
        pc += 1 + width
    return operands


@pytest.fixture(scope="module")
def artifacts() -> tuple[dict, dict]:
    if not BROWNIE.exists():
        message = f"{BROWNIE.relative_to(ROOT)} is absent: `make brownie` (scripts/brownie.sh) compiles it"
        if os.environ.get("CI"):
            pytest.fail(message + "; make test runs it first")
        pytest.skip(message)
    brownie, committed = json.loads(BROWNIE.read_text()), json.loads(COMMITTED.read_text())
    if brownie["source"] != SOURCE.read_text():
        pytest.fail(f"{BROWNIE.relative_to(ROOT)} was compiled from an older {SOURCE.name}: run `make brownie`")
    return brownie, committed


def test_same_compiler_and_settings(artifacts):
    brownie, committed = artifacts
    settings = committed["compiler"]["settings"]
    assert brownie["compiler"]["version"] == committed["compiler"]["version"]
    assert brownie["compiler"]["evm_version"] == settings["evmVersion"]
    assert brownie["compiler"]["optimizer"] == settings["optimizer"]
    assert settings["metadata"] == {"bytecodeHash": "none"}  # what brownie cannot set


def test_runtime_code_is_identical_before_the_metadata(artifacts):
    brownie, committed = artifacts
    brownie_code, brownie_metadata = split_metadata(_code(brownie, "deployedBytecode"))
    committed_code, committed_metadata = split_metadata(_code(committed, "deployedBytecode"))
    assert brownie_code == committed_code
    # The metadata differs by brownie's IPFS hash of the metadata JSON (a sha2-256 multihash) only.
    assert committed_metadata.keys() == {"solc"}
    assert brownie_metadata.keys() == {"ipfs", "solc"}
    assert brownie_metadata["solc"] == committed_metadata["solc"] == bytes((0, 8, 28))  # 0.8.28
    assert brownie_metadata["ipfs"][:2] == b"\x12\x20" and len(brownie_metadata["ipfs"]) == 34


def test_creation_code_is_identical_but_for_the_code_lengths(artifacts):
    brownie, committed = artifacts
    inits, lengths = [], []
    for artifact in (committed, brownie):
        creation, runtime = _code(artifact, "bytecode"), _code(artifact, "deployedBytecode")
        assert creation.endswith(runtime)  # creation code = constructor code + runtime code
        inits.append(creation[: -len(runtime)])
        lengths.append({"runtime": len(runtime), "creation": len(creation)})
    (committed_init, brownie_init), (committed_lengths, brownie_lengths) = inits, lengths

    # The constructor pushes the runtime length (to copy and return it) and the creation code's length
    # (where constructor arguments start): put brownie's lengths where the committed build has its own.
    expected = bytearray(committed_init)
    replaced = set()
    for offset, width in push_operands(committed_init):
        value = int.from_bytes(committed_init[offset : offset + width], "big")
        for name, committed_length in committed_lengths.items():
            if value == committed_length:
                expected[offset : offset + width] = brownie_lengths[name].to_bytes(width, "big")
                replaced.add(name)
    assert replaced == {"runtime", "creation"}
    assert brownie_init == bytes(expected)
