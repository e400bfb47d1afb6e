"""The JSON-RPC chain adapter: any EVM endpoint (anvil, ganache, Besu, Geth, an L2) through web3.py 8.

web3.py carries the requests (its HTTPProvider: sessions, timeouts); everything else is explicit here so
that it behaves the same on every node: the chain id is checked when connecting, transactions are signed
locally with the operator key (eth-account; the node never holds a key), EIP-1559 fees are used when the
latest block has a base fee and legacy gas prices otherwise, and a node's error is classified once: not
answering -> :class:`~ledger.errors.ChainUnavailable`, a revert -> :class:`ContractReverted` with the custom
error decoded from the ABI, a refused transaction -> :class:`TransactionRejected` and its subclasses.

The embedded chain is the same class over an in-process provider (see :mod:`ledger.chain.embedded`);
key-less readers wrap it (:mod:`ledger.chain.reader`). The adapter is one class by role, like the port:
the transport and error classification every role shares (:mod:`ledger.chain.rpc_node`), the reads
(:mod:`ledger.chain.rpc_reads`) and the signed transactions (:mod:`ledger.chain.rpc_transactions`);
here, how it is built and checked.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from web3.providers.rpc import HTTPProvider

from ledger.chain.port import Capabilities, ChainIdMismatch, ContractMissing, TransactionRejected
from ledger.chain.rpc_node import GWEI, RPC_CAPABILITIES, NodeError, RpcNode, RpcSettings, hexint
from ledger.chain.rpc_reads import RpcReads
from ledger.chain.rpc_transactions import RpcTransactions

__all__ = ["GWEI", "RPC_CAPABILITIES", "NodeError", "RpcChain", "RpcNode", "RpcSettings"]


class RpcChain(RpcReads, RpcTransactions):
    """The chain port over a JSON-RPC provider; one operator key signs every transaction."""

    # --- construction ---

    @classmethod
    def connect(
        cls,
        url: str,
        chain_id: int,
        operator_key: bytes | None,
        contract: bytes | None = None,
        settings: RpcSettings | None = None,
        capabilities: Capabilities | None = None,
    ) -> RpcChain:
        """Connect to ``url``; refuses a node of another chain id, or a contract address without code."""
        settings = settings or RpcSettings()
        # No automatic retries: a node that is down must show as ChainUnavailable now, and the caller
        # (the anchoring worker) owns the backoff.
        provider = HTTPProvider(
            url, request_kwargs={"timeout": settings.request_timeout_s}, exception_retry_configuration=None
        )
        chain = cls(provider, chain_id, operator_key, contract, settings, capabilities, description=url)
        chain.check()
        return chain

    def check(self) -> None:
        """The node's chain id is the configured one and the contract (if any) has code there."""
        actual = hexint(self.request("eth_chainId"))
        if actual != self._chain_id:
            raise ChainIdMismatch(self._chain_id, actual, self.description)
        if self._contract is not None and self.request("eth_getCode", [self._checksum(self._contract), "latest"]) in (
            "0x",
            "",
            None,
        ):
            raise ContractMissing(f"no contract at {self._checksum(self._contract)} on chain {self._chain_id}")

    def with_contract(self, contract: bytes) -> RpcChain:
        """The same connection and key, bound to the ledger at ``contract``."""
        other = type(self).__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._contract = bytes(contract)
        other._timestamps = OrderedDict()
        other._send_lock = threading.RLock()
        other.check()
        return other

    def close(self) -> None:
        """Nothing to release over HTTP (web3 keeps its sessions); the embedded chain closes its node."""

    # --- dev chains ---

    def dev(self, method: str, *params: Any) -> Any:
        """A dev-node call (``evm_mine``, ``evm_snapshot``…); only where ``capabilities.dev_controls``."""
        try:
            return self.request(method, params)
        except NodeError as error:
            raise TransactionRejected(f"{self.description}: {method} failed: {error.message}") from None
