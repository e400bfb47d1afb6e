"""The embedded chain: a one-node EVM (py-evm) in process, kept in the data directory.

The node answers the JSON-RPC methods Saksi uses, as a web3.py provider, so the very same
:class:`~ledger.chain.rpc.RpcChain` code drives it and anvil, ganache or any network. What it lacks it says
in :data:`EMBEDDED_CAPABILITIES`: no mempool (a transaction is mined or refused on the spot, so there is
nothing to replace), no reorgs (a mined block is final), no dev controls except ``evm_mine``.

The node is :mod:`ledger.chain.embedded_node` (its RPC methods :mod:`ledger.chain.embedded_rpc`); this module
is the web3 provider over it and the chain port, and names the node's public parts for its callers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import to_canonical_address
from web3.providers.base import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from ledger.chain.embedded_node import (  # noqa: F401 - the node's public parts, for the chain's callers
    DEFAULT_CHAIN_ID,
    ChainDataError,
    ChainDataLocked,
    EmbeddedNode,
    EmbeddedSettings,
    ReadOnlyEmbeddedNode,
    open_embedded_node,
)
from ledger.chain.embedded_rpc import RpcError  # noqa: F401
from ledger.chain.port import Capabilities
from ledger.chain.rpc import RpcChain, RpcSettings

EMBEDDED_CAPABILITIES = Capabilities(reorgs=False, mempool=False, instant_finality=True, dev_controls=False)


class EmbeddedProvider(BaseProvider):
    """A web3.py provider answering from an :class:`EmbeddedNode` in this process."""

    def __init__(self, node: EmbeddedNode) -> None:
        super().__init__()
        self.node = node
        self._ids = iter(range(1, 1 << 62))

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        request_id = next(self._ids)
        try:
            result = self.node.request(method, params)
        except RpcError as error:
            body: dict[str, Any] = {"code": error.code, "message": error.message}
            if error.data is not None:
                body["data"] = error.data
            return {"jsonrpc": "2.0", "id": request_id, "error": body}  # type: ignore[typeddict-item]
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def is_connected(self, show_traceback: bool = False) -> bool:
        return True


class EmbeddedChain(RpcChain):
    """The chain port over an :class:`EmbeddedNode` in this process; the operator is funded at genesis."""

    capabilities = EMBEDDED_CAPABILITIES
    node: EmbeddedNode

    @classmethod
    def open(
        cls,
        data_dir: str | os.PathLike[str],
        operator_key: bytes,
        chain_id: int = DEFAULT_CHAIN_ID,
        contract: bytes | None = None,
        settings: RpcSettings | None = None,
        funded: Sequence[bytes] = (),
        separate_process: bool = False,
    ) -> EmbeddedChain:
        """`separate_process`: run the node in a child process (see ledger.chain.embedded_process),
        for servers, so that executing and mining blocks does not hold this process's GIL."""
        operator = Account.from_key(operator_key).address
        accounts = (to_canonical_address(operator), *(bytes(a) for a in funded))
        node: Any
        if separate_process:
            from ledger.chain.embedded_process import NodeProcess

            node = NodeProcess(Path(data_dir), chain_id, accounts)
        else:
            node = open_embedded_node(data_dir, chain_id, accounts)
        try:
            chain = cls(
                EmbeddedProvider(node),
                chain_id,
                operator_key,
                contract,
                settings or RpcSettings(poll_interval_s=0.0),
                description=f"embedded chain in {data_dir}",
            )
            chain.node = node
            chain.check()
        except BaseException:
            node.close()
            raise
        return chain

    def close(self) -> None:
        self.node.close()
