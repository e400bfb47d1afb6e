"""The golden vectors of tests/vectors/, replayed on chain: on-chain and off-chain verification agree.

Each vector says whether RFC 9162 accepts it (``valid``). The contract must agree wherever the
vector can be expressed on chain; the few that cannot are skipped, each with its reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from contract_helpers import revert_of, transact
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from ledger.chain.solc import REPO_ROOT
from ledger.core.merkle import EMPTY_ROOT

pytestmark = [pytest.mark.anvil, pytest.mark.chain]

VECTORS_DIR = Path(REPO_ROOT) / "tests" / "vectors"
UINT64_LIMIT = 1 << 64
ZERO_HASH = b"\x00" * 32
_HASH_HEX = re.compile(r"0x[0-9a-fA-F]{64}")


class NotReplayable(Exception):
    """The vector cannot be expressed as a contract call; the message says why."""


def vector_params(file_name: str) -> list[Any]:
    path = VECTORS_DIR / file_name
    if not path.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{path.relative_to(REPO_ROOT)} not generated yet"))]
    vectors = json.loads(path.read_text())["vectors"]
    return [
        pytest.param(vector, id=f"{i}-{re.sub(r'[^a-z0-9]+', '-', vector['description'].lower()).strip('-')[:60]}")
        for i, vector in enumerate(vectors)
    ]


def size(vector: dict[str, Any], key: str) -> int:
    value = vector[key]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < UINT64_LIMIT:
        raise NotReplayable(f"{key}={value!r} is not a uint64")
    return value


def hash32(value: Any, key: str) -> bytes:
    if not isinstance(value, str) or not _HASH_HEX.fullmatch(value):
        raise NotReplayable(f"{key}={value!r} is not a bytes32")
    return bytes.fromhex(value[2:])


def proof_of(vector: dict[str, Any]) -> list[bytes]:
    if not isinstance(vector["proof"], list):
        raise NotReplayable("proof is not a list")
    return [hash32(h, f"proof[{i}]") for i, h in enumerate(vector["proof"])]


def replay_or_skip(function, *args):
    try:
        return function(*args)
    except NotReplayable as reason:
        pytest.skip(f"not replayable on chain: {reason}")


def consistency_case(vector: dict[str, Any]) -> tuple[int, int, bytes, bytes, list[bytes]]:
    old_size, new_size = size(vector, "oldSize"), size(vector, "newSize")
    old_root, new_root = hash32(vector["oldRoot"], "oldRoot"), hash32(vector["newRoot"], "newRoot")
    proof = proof_of(vector)
    if old_size == new_size:
        raise NotReplayable("equal sizes: RFC 9162 accepts an empty proof, the contract never re-anchors a size")
    if old_size == 0 and old_root != EMPTY_ROOT:
        raise NotReplayable("oldSize 0 with a root other than the empty tree's: the contract has no root for size 0")
    if old_size > 0 and old_root == ZERO_HASH:
        raise NotReplayable("a zero oldRoot cannot be anchored")
    return old_size, new_size, old_root, new_root, proof


@pytest.mark.parametrize("vector", vector_params("consistency.json"))
def test_consistency_vector(anvil_w3: Web3, ledger: Contract, roles, vector: dict[str, Any]) -> None:
    old_size, new_size, old_root, new_root, proof = replay_or_skip(consistency_case, vector)
    if old_size > 0:  # the contract starts at size 0, from which any first checkpoint needs an empty proof
        transact(anvil_w3, ledger.functions.anchor(old_size, old_root, []), roles["anchorer"])

    call = ledger.functions.anchor(new_size, new_root, proof)
    if vector["valid"]:
        transact(anvil_w3, call, roles["anchorer"])
        assert ledger.functions.latestCheckpoint().call() == [new_size, new_root]
        return
    name, args = revert_of(ledger, call, roles["anchorer"])
    assert (name, args) in {
        ("SaksiLedgerInvalidConsistencyProof", (old_size, new_size)),
        ("SaksiLedgerTreeNotGrowing", (old_size, new_size)),
        ("SaksiLedgerZeroRoot", ()),
    }, f"vector error {vector.get('error')!r}, contract reverted with {name}{args}"


def inclusion_case(vector: dict[str, Any]) -> tuple[int, bytes, int, bytes, list[bytes]]:
    leaf_index, tree_size = size(vector, "leafIndex"), size(vector, "treeSize")
    leaf_hash, root_hash = hash32(vector["leafHash"], "leafHash"), hash32(vector["rootHash"], "rootHash")
    proof = proof_of(vector)
    if tree_size == 0:
        raise NotReplayable("the empty tree cannot be anchored, so there is no root to verify against")
    if root_hash == ZERO_HASH:
        raise NotReplayable("a zero rootHash cannot be anchored")
    return leaf_index, leaf_hash, tree_size, root_hash, proof


@pytest.mark.parametrize("vector", vector_params("inclusion.json"))
def test_inclusion_vector(anvil_w3: Web3, ledger: Contract, roles, vector: dict[str, Any]) -> None:
    leaf_index, leaf_hash, tree_size, root_hash, proof = replay_or_skip(inclusion_case, vector)
    transact(anvil_w3, ledger.functions.anchor(tree_size, root_hash, []), roles["anchorer"])
    try:
        verified = ledger.functions.verifyInclusion(leaf_index, leaf_hash, tree_size, proof).call()
    except ContractLogicError as error:  # only an unknown tree size may revert, and this one is anchored
        pytest.fail(f"verifyInclusion reverted: {error}")
    assert verified is vector["valid"], f"vector error {vector.get('error')!r}"
