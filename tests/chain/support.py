"""Chain fixtures and helpers shared by tests/chain and tests/services.

Nodes come from node_modules, one per kind per test session. A missing binary skips its tests with the
reason, unless CI is set (then it fails: CI must run every test). Each test gets a freshly deployed
ledger, so tests never see each other's anchors. The operator key is a TEST KEY derived from a public
string and funded from the node's unlocked dev account; no dev node's private key is needed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.embedded import EmbeddedChain
from ledger.chain.rpc import RpcChain, RpcSettings
from ledger.core.signatures import address_of_key
from ledger.devchain import nodes
from ledger.devchain.nodes import DevNode
from tests.factories import test_key

OPERATOR_KEY = test_key("chain operator")  # TEST KEY
STRANGER_KEY = test_key("chain stranger")  # TEST KEY: holds no role
OPERATOR = address_of_key(OPERATOR_KEY)
STRANGER = address_of_key(STRANGER_KEY)
EMBEDDED_CHAIN_ID = 1337

FAST = RpcSettings(poll_interval_s=0.01, receipt_timeout_s=30.0, request_timeout_s=5.0)


def require_binary(kind: nodes.NodeKind) -> None:
    if nodes.binary(kind) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{kind} is not installed in {nodes.BIN_DIR} and CI is set")
        pytest.skip(f"{kind} is not installed in {nodes.BIN_DIR} (run npm ci)")


def _session_node(kind: nodes.NodeKind, work_dir: Path) -> Iterator[DevNode]:
    require_binary(kind)
    node = nodes.start_anvil(work_dir) if kind == "anvil" else nodes.start_ganache(work_dir)
    try:
        node.fund(OPERATOR)
        node.fund(STRANGER)
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def anvil_node(tmp_path_factory) -> Iterator[DevNode]:
    yield from _session_node("anvil", tmp_path_factory.mktemp("anvil"))


@pytest.fixture(scope="session")
def ganache_node(tmp_path_factory) -> Iterator[DevNode]:
    yield from _session_node("ganache", tmp_path_factory.mktemp("ganache"))


def deployed(chain: RpcChain) -> RpcChain:
    """``chain`` bound to a new ledger whose three roles are the operator."""
    address, _ = chain.deploy(OPERATOR, OPERATOR, OPERATOR)
    return chain.with_contract(address)


def node_chain(node: DevNode, settings: RpcSettings = FAST) -> RpcChain:
    """A new ledger on a running node, and the operator's adapter for it."""
    return deployed(node.chain(OPERATOR_KEY, settings=settings))


def embedded_chain(
    data_dir: Path, settings: RpcSettings | None = None, separate_process: bool = False
) -> EmbeddedChain:
    """The embedded chain in ``data_dir`` (created on first use, the operator and the stranger funded);
    `separate_process`: the node runs in a child process, as `saksi serve` runs it."""
    return EmbeddedChain.open(
        data_dir,
        OPERATOR_KEY,
        EMBEDDED_CHAIN_ID,
        settings=settings,
        funded=[STRANGER],
        separate_process=separate_process,
    )


def as_stranger(chain: RpcChain) -> RpcChain:
    """The same ledger and connection, signing with a key that holds no role."""
    return RpcChain(
        chain.provider, chain.chain_id, STRANGER_KEY, chain.contract_address, chain.settings, chain.capabilities
    )


def mine(chain: RpcChain, blocks: int = 1) -> None:
    for _ in range(blocks):
        chain.request("evm_mine", [])
