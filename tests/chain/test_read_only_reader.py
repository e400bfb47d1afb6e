"""The audit's chain reader: the embedded chain's store read by another process than its node, with no key.

`saksi serve` runs the embedded node in a child process that holds the chain directory's lock and writes
its SQLite store. An auditor opens the same store read-only: no lock, no key, nothing written, and it sees
what the node committed (anchors, their logs, the registry), while the node goes on mining.
"""

from __future__ import annotations

import pytest

from ledger.audit.inputs import chain_trust_inputs
from ledger.chain.embedded import (
    EMBEDDED_CAPABILITIES,
    ChainDataError,
    EmbeddedProvider,
    EmbeddedSettings,
    ReadOnlyEmbeddedNode,
)
from ledger.chain.rpc import RpcChain, RpcSettings
from ledger.errors import InvalidInput
from tests.chain.support import EMBEDDED_CHAIN_ID, deployed, embedded_chain
from tests.chain.test_embedded_persistence import SIGNER_A, anchor_all, leaves

pytestmark = pytest.mark.chain


def reader(data_dir, contract) -> RpcChain:
    node = ReadOnlyEmbeddedNode(EmbeddedSettings(data_dir, EMBEDDED_CHAIN_ID))
    chain = RpcChain(
        EmbeddedProvider(node), EMBEDDED_CHAIN_ID, None, contract, RpcSettings(poll_interval_s=0.0),
        EMBEDDED_CAPABILITIES,
    )  # fmt: skip
    chain.check()
    chain.node = node  # type: ignore[attr-defined]
    return chain


def test_a_reader_beside_the_running_node_in_its_own_process(tmp_path):
    t = leaves(10)
    operator = deployed(embedded_chain(tmp_path, separate_process=True))  # the node holds the lock
    try:
        anchor_all(operator, t, (2, 5))
        operator.register_agency("dukcapil.jaksel", SIGNER_A)
        audit = reader(tmp_path, operator.contract_address)
        inputs = chain_trust_inputs(audit)
        assert [(e.tree_size, e.root_hash) for e in inputs["chain_anchors"]] == [(2, t.root(2)), (5, t.root(5))]
        assert all(e.tx_hash and e.block_number for e in inputs["chain_anchors"])
        assert [w.agency for w in inputs["chain_registry"]] == ["dukcapil.jaksel"]
        assert audit.root_at(5) == t.root(5) and inputs["chain_head"] == operator.block_number()
        # it holds no key and the store refuses to be written through it
        with pytest.raises(InvalidInput, match="holds no key"):
            audit.sign(b"", operator.contract_address, 0, audit.suggest_fees(), 21_000)
        with pytest.raises(Exception, match="read-only"):
            audit.request("evm_mine")
        # the node goes on mining beside it; a new reader sees the new block
        anchor_all(operator, t, (7,), previous=5)
        audit.node.close()
        assert reader(tmp_path, operator.contract_address).root_at(7) == t.root(7)
    finally:
        operator.close()


def test_no_chain_in_the_directory_is_said_plainly(tmp_path):
    with pytest.raises(ChainDataError, match="no embedded chain"):
        ReadOnlyEmbeddedNode(EmbeddedSettings(tmp_path / "nothing", EMBEDDED_CHAIN_ID))
