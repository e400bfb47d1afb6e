"""The key-less adapters of :class:`~ledger.chain.port.ChainReader`: any JSON-RPC endpoint, or the embedded
chain's store opened read-only.

A reader holds no key at all (not a throwaway one): it cannot sign, so an audit, ``saksi verify`` or the
witness monitor cannot be made to send a transaction, and its type offers nothing but reads. Both adapters
are :class:`ChainReaderAdapter` over a key-less :class:`~ledger.chain.rpc.RpcChain`, so they decode the
contract's logs and errors exactly as the operator's server does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ledger.chain.port import AgencyRecord, Capabilities, CheckpointEvent, RegistryEvent, TxStatus
from ledger.chain.rpc import RpcChain, RpcSettings


class ChainReaderAdapter:
    """A :class:`~ledger.chain.port.ChainReader` over a key-less :class:`RpcChain`; ``close`` releases
    what the opener holds (the embedded chain's store), at most once."""

    def __init__(self, chain: RpcChain, on_close: Callable[[], None] | None = None) -> None:
        self._chain = chain
        self._on_close = on_close
        self.capabilities: Capabilities = chain.capabilities
        self.description: str = chain.description

    # --- construction ---

    @classmethod
    def connect(
        cls, url: str, chain_id: int, contract: bytes, settings: RpcSettings | None = None
    ) -> ChainReaderAdapter:
        """A reader of ``contract`` on the node at ``url``; refuses another chain id or a missing contract."""
        return cls(RpcChain.connect(url, chain_id, None, contract, settings))

    @classmethod
    def open_embedded(cls, data_dir: Path, chain_id: int, contract: bytes, start_block: int = 0) -> ChainReaderAdapter:
        """The embedded chain in ``data_dir`` read from its store, without its lock: works while
        ``saksi serve`` runs the node (see :class:`~ledger.chain.embedded.ReadOnlyEmbeddedNode`)."""
        from ledger.chain.embedded import EMBEDDED_CAPABILITIES, EmbeddedProvider
        from ledger.chain.embedded_node import EmbeddedSettings, ReadOnlyEmbeddedNode

        node = ReadOnlyEmbeddedNode(EmbeddedSettings(data_dir, chain_id))
        try:
            chain = RpcChain(
                EmbeddedProvider(node),
                chain_id,
                None,
                contract,
                RpcSettings(poll_interval_s=0.0, start_block=start_block),
                EMBEDDED_CAPABILITIES,
                description=f"embedded chain in {data_dir} (read-only)",
            )
            chain.check()
        except BaseException:
            node.close()
            raise
        return cls(chain, node.close)

    def close(self) -> None:
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    # --- the reads ---

    @property
    def chain_id(self) -> int:
        return self._chain.chain_id

    @property
    def contract_address(self) -> bytes:
        return self._chain.contract_address

    def block_number(self) -> int:
        return self._chain.block_number()

    def block_timestamp_ms(self, block_number: int) -> int:
        return self._chain.block_timestamp_ms(block_number)

    def latest_checkpoint(self) -> tuple[int, bytes]:
        return self._chain.latest_checkpoint()

    def root_at(self, tree_size: int) -> bytes | None:
        return self._chain.root_at(tree_size)

    def agency(self, code: str) -> AgencyRecord:
        return self._chain.agency(code)

    def transaction_status(self, tx_hash: bytes) -> TxStatus:
        return self._chain.transaction_status(tx_hash)

    def find_anchor(self, tree_size: int, from_block: int | None = None) -> CheckpointEvent | None:
        return self._chain.find_anchor(tree_size, from_block)

    def registry_events(self, from_block: int, to_block: int) -> list[RegistryEvent]:
        return self._chain.registry_events(from_block, to_block)

    def checkpoint_events(self, from_block: int, to_block: int) -> list[CheckpointEvent]:
        return self._chain.checkpoint_events(from_block, to_block)

    def client_version(self) -> str:
        """The node's ``web3_clientVersion`` ("" when it does not say): a Saksi server's window names itself."""
        from ledger.errors import SaksiError

        try:
            version = self._chain.request("web3_clientVersion")
        except SaksiError:
            return ""
        return version if isinstance(version, str) else ""
