"""brownie compiles the same contract to the same code as the main build (make brownie makes its output).

brownie 1.22.2 cannot set `metadata.bytecodeHash: none`, so its bytecode ends with a CBOR metadata
block that carries an IPFS hash of the sources; ours carries only the compiler version. The code
before that block must be identical, byte for byte.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROWNIE_ARTIFACT = ROOT / "build" / "brownie" / "contracts" / "SaksiLedger.json"
MAIN_ARTIFACT = ROOT / "contracts" / "build" / "SaksiLedger.json"


def split_metadata(hex_code: str) -> tuple[bytes, bytes]:
    raw = bytes.fromhex(hex_code.removeprefix("0x"))
    length = int.from_bytes(raw[-2:], "big")
    return raw[: -(length + 2)], raw[-(length + 2) :]


@pytest.fixture(scope="module")
def artifacts():
    if not BROWNIE_ARTIFACT.exists():
        if os.environ.get("CI"):
            pytest.fail("brownie's build output is missing: make test runs `make brownie` first")
        pytest.skip("run `make brownie` first (brownie's build output is absent)")
    return json.loads(BROWNIE_ARTIFACT.read_text()), json.loads(MAIN_ARTIFACT.read_text())


def test_brownie_code_equals_the_committed_build(artifacts):
    brownie, main = artifacts
    brownie_code, brownie_meta = split_metadata(brownie["deployedBytecode"])
    main_code, main_meta = split_metadata(main["deployedBytecode"])
    assert brownie_code == main_code
    assert main_meta.hex().startswith("a164736f6c6343")  # {"solc": version} only: bytecodeHash none
    assert brownie_meta.hex().startswith("a2646970667358")  # {"ipfs": …, "solc": …}


def test_constructors_are_equal_but_for_the_runtime_length(artifacts):
    """The creation code copies the runtime code out: only the lengths (metadata included) may differ."""
    brownie, main = artifacts
    b_runtime = bytes.fromhex(brownie["deployedBytecode"].removeprefix("0x"))
    m_runtime = bytes.fromhex(main["deployedBytecode"].removeprefix("0x"))
    b_full = bytes.fromhex(brownie["bytecode"].removeprefix("0x"))
    m_full = bytes.fromhex(main["bytecode"].removeprefix("0x"))
    b_init, m_init = b_full[: -len(b_runtime)], m_full[: -len(m_runtime)]
    for b_len, m_len in ((len(b_runtime), len(m_runtime)), (len(b_full), len(m_full))):
        b_init = b_init.replace(b_len.to_bytes(2, "big"), m_len.to_bytes(2, "big"))
    assert b_init == m_init


def test_same_compiler_and_settings(artifacts):
    brownie, main = artifacts
    assert brownie["compiler"]["version"] == main["compiler"]["version"]
    assert brownie["compiler"]["evm_version"] == main["compiler"]["settings"]["evmVersion"]
    assert brownie["compiler"]["optimizer"] == main["compiler"]["settings"]["optimizer"]
