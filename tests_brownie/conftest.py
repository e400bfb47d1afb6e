"""brownie test --network ganache-cli: the ledger contract, with RFC 9162 proofs from the project's pure core."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the pure core needs only hashlib

from ledger.core.merkle import MemoryTree, leaf_hash  # noqa: E402


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass


@pytest.fixture
def operator(accounts):
    return accounts[0]


@pytest.fixture
def saksi(SaksiLedger, operator):
    return SaksiLedger.deploy(operator, operator, operator, {"from": operator})


def tree(size):
    return MemoryTree(leaf_hash(i.to_bytes(8, "big")) for i in range(size))


def b32(value):
    return "0x" + value.hex()
