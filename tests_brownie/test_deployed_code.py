"""The code brownie deploys on ganache-cli is the committed build's (contracts/build/), metadata aside.

brownie 1.22.2 cannot compile with `metadata.bytecodeHash: none`: its code ends with a CBOR block that
also carries an IPFS hash of the metadata. Everything before that block is identical.
"""

import json
from pathlib import Path

from brownie import web3

COMMITTED = Path(__file__).resolve().parents[1] / "contracts" / "build" / "SaksiLedger.json"


def without_metadata(code: bytes) -> bytes:
    """The code before its CBOR metadata block (whose length is in the last two bytes)."""
    return code[: -(int.from_bytes(code[-2:], "big") + 2)]


def test_deployed_code_is_the_committed_build(saksi, SaksiLedger):
    on_chain = bytes(web3.eth.get_code(saksi.address))
    assert on_chain == bytes.fromhex(SaksiLedger._build["deployedBytecode"].removeprefix("0x"))
    committed = bytes.fromhex(json.loads(COMMITTED.read_text())["deployedBytecode"].removeprefix("0x"))
    assert without_metadata(on_chain) == without_metadata(committed)
