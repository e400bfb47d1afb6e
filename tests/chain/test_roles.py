"""The chain port by role: a reader that holds no key and offers only reads; the anchorer and registrar that sign.

The audit, ``saksi verify`` and the witness monitor read through :class:`ChainReaderAdapter`; the operator's
server holds :class:`ChainPort` (all three roles, one key). A reader is not an anchorer or a registrar by
type, and has no way to sign at all: not a throwaway key, no key.
"""

from __future__ import annotations

import typing

import pytest

from ledger.audit.inputs import ChainReader as AuditChainReader
from ledger.audit.inputs import chain_trust_inputs
from ledger.chain.port import Anchorer, ChainPort, ChainReader, Registrar
from ledger.chain.reader import ChainReaderAdapter
from ledger.config import Settings
from ledger.runtime import EMBEDDED_DIR, open_chain_reader
from tests.chain.support import EMBEDDED_CHAIN_ID, deployed, embedded_chain
from tests.chain.test_embedded_persistence import SIGNER_A, anchor_all, leaves

pytestmark = pytest.mark.chain

SIGNING = ("operator", "next_nonce", "mined_nonce", "suggest_fees", "build_anchor_tx", "send_raw", "sign")
REGISTRY_WRITES = ("register_agency", "rotate_agency_signer", "revoke_agency")


def members(protocol: type) -> set[str]:
    return {name for name in vars(protocol) if not name.startswith("_")} | set(typing.get_type_hints(protocol))


def test_the_roles_divide_the_port():
    reads = members(ChainReader)
    assert not reads & set(SIGNING + REGISTRY_WRITES)
    assert {"close", "root_at", "checkpoint_events", "registry_events", "block_timestamp_ms"} <= reads
    assert {"build_anchor_tx", "send_raw", "operator"} <= members(Anchorer)
    assert set(REGISTRY_WRITES) <= members(Registrar)
    assert not members(Registrar) & {"build_anchor_tx", "send_raw", "next_nonce"}
    assert {Anchorer, Registrar} <= set(ChainPort.__mro__)
    # every read the audit's own Protocol asks for is in the one port's reader (see the lead's note)
    assert members(AuditChainReader) <= reads


def test_the_embedded_reader_beside_the_running_node_holds_no_key(tmp_path):
    t = leaves(6)
    operator = deployed(embedded_chain(tmp_path, separate_process=True))  # the node holds the lock
    try:
        assert isinstance(operator, ChainPort) and isinstance(operator, ChainReader)
        anchor_all(operator, t, (2, 6))
        operator.register_agency("dukcapil.jaksel", SIGNER_A)
        reader = ChainReaderAdapter.open_embedded(tmp_path, EMBEDDED_CHAIN_ID, operator.contract_address)
        try:
            assert isinstance(reader, ChainReader)
            assert not isinstance(reader, Anchorer) and not isinstance(reader, Registrar)
            assert not any(hasattr(reader, name) for name in SIGNING + REGISTRY_WRITES + ("request", "w3"))
            inputs = chain_trust_inputs(reader)
            assert [(e.tree_size, e.root_hash) for e in inputs["chain_anchors"]] == [(2, t.root(2)), (6, t.root(6))]
            assert [w.agency for w in inputs["chain_registry"]] == ["dukcapil.jaksel"]
            assert reader.latest_checkpoint() == (6, t.root(6))
            assert reader.agency("dukcapil.jaksel").status == "active"
            event = reader.find_anchor(6)
            assert event is not None and reader.transaction_status(event.tx_hash).state == "mined"
            assert reader.block_timestamp_ms(event.block_number) > 0
            assert reader.client_version().startswith("saksi-embedded")  # not a server's /chain-rpc window
        finally:
            reader.close()
            reader.close()  # closing twice is harmless
    finally:
        operator.close()


def test_the_runtime_opens_a_reader_not_a_signer(tmp_path):
    operator = deployed(embedded_chain(tmp_path / EMBEDDED_DIR))
    contract, block = operator.contract_address, operator.block_number()
    operator.close()
    settings = Settings(data_dir=tmp_path, chain="embedded").with_(
        chain_id=EMBEDDED_CHAIN_ID, contract="0x" + contract.hex(), deploy_block=block
    )
    reader = open_chain_reader(settings)
    try:
        assert isinstance(reader, ChainReaderAdapter) and not isinstance(reader, Anchorer)
        assert reader.contract_address == contract and reader.latest_checkpoint()[0] == 0
    finally:
        reader.close()
