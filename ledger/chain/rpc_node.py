"""One JSON-RPC endpoint as the chain adapter sees it: its settings, its transport, and how a node's
error is classified (once, for every role of :class:`ledger.chain.rpc.RpcChain`).

:class:`RpcNode` holds what every role shares: the provider, the chain id, the operator key (or none,
for a reader), the contract, block timestamps; :mod:`ledger.chain.rpc_reads` and
:mod:`ledger.chain.rpc_transactions` add the reads and the signed transactions on top of it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import requests
from eth_account import Account
from eth_utils import to_canonical_address, to_checksum_address
from web3 import Web3
from web3.exceptions import Web3Exception
from web3.providers.base import BaseProvider
from web3.types import RPCEndpoint

from ledger.chain.abi import ContractAbi, ledger_abi
from ledger.chain.port import Capabilities, ContractMissing, ContractReverted
from ledger.errors import ChainUnavailable, RetryLater

log = logging.getLogger("ledger.chain.rpc")

#: What a generic endpoint may do. Dev nodes started by :mod:`ledger.devchain.nodes` add ``dev_controls``.
RPC_CAPABILITIES = Capabilities(reorgs=True, mempool=True, instant_finality=False, dev_controls=False)

GWEI = 10**9


@dataclass(frozen=True)
class RpcSettings:
    """Tuning of the adapter; the endpoint, chain id and contract are passed to :meth:`RpcChain.connect`."""

    request_timeout_s: float = 10.0
    #: How long :meth:`RpcChain.wait_mined` (and so register/rotate/revoke and deploy) waits for a receipt.
    receipt_timeout_s: float = 60.0
    poll_interval_s: float = 0.05
    #: Blocks, the transaction's own included, that register/rotate/revoke wait for before returning.
    confirmations: int = 1
    #: Added to the node's gas estimate: the state can move between estimate and inclusion.
    gas_margin_percent: int = 20
    fee_mode: Literal["auto", "eip1559", "legacy"] = "auto"
    #: Never offer more than this per gas (wei); None for no cap.
    max_fee_per_gas: int | None = None
    #: Priority fee when the node cannot suggest one (``eth_maxPriorityFeePerGas`` is not standard).
    default_priority_fee: int = 1 * GWEI
    #: Widest block range of one ``eth_getLogs`` (providers limit it).
    log_range: int = 5_000
    #: First block worth scanning for the contract's events (its deployment block).
    start_block: int = 0


class NodeError(RetryLater):
    """A JSON-RPC error the adapter could not classify further (a node failing in its own way)."""

    kind = "chain-node-error"

    def __init__(self, method: str, code: int | None, message: str, data: Any) -> None:
        super().__init__(f"{method}: {message} (code {code})", method=method, code=code)
        self.method = method
        self.code = code
        self.message = message
        self.data = data


def hexint(value: Any) -> int:
    """A JSON-RPC quantity (``"0x1a"``) as an int; an int as it is."""
    return value if isinstance(value, int) else int(value, 16)


def hexbytes(value: Any) -> bytes:
    """JSON-RPC data (``"0x…"``) as bytes; bytes as they are."""
    return bytes(value) if isinstance(value, (bytes, bytearray)) else bytes.fromhex(value.removeprefix("0x"))


def _revert_data(data: Any) -> bytes | None:
    """The ABI-encoded revert payload wherever the node put it.

    anvil, geth and the embedded chain give ``data: "0x…"``; so does ganache 7 for ``eth_call``, but for
    ``eth_estimateGas`` it nests it (``data: {result: "0x…", programCounter, …}``); older ganache keyed it by
    transaction hash (``data: {"0x<tx hash>": {return: "0x…"}}``).
    """
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    if isinstance(data, Mapping):
        for key in ("data", "result", "return"):
            found = _revert_data(data.get(key))
            if found is not None:
                return found
        for value in data.values():
            if isinstance(value, Mapping):
                found = _revert_data(value)
                if found is not None:
                    return found
    return None


class RpcNode:
    """The transport and identity every role of the JSON-RPC adapter shares."""

    capabilities: Capabilities = RPC_CAPABILITIES

    def __init__(
        self,
        provider: BaseProvider,
        chain_id: int,
        operator_key: bytes | None,
        contract: bytes | None = None,
        settings: RpcSettings | None = None,
        capabilities: Capabilities | None = None,
        description: str = "",
        abi: ContractAbi | None = None,
    ) -> None:
        self.provider = provider
        # For callers that want web3's own API (tests use it for evm_* calls); the adapter does not.
        self.w3 = Web3(provider, middleware=[])
        self.settings = settings or RpcSettings()
        self._chain_id = chain_id
        # None: a reader (an audit) that holds no key; it can read and call, and refuses to sign
        self._account = Account.from_key(operator_key) if operator_key is not None else None
        self._operator = to_canonical_address(self._account.address) if self._account is not None else bytes(20)
        self._contract = bytes(contract) if contract is not None else None
        self.abi = abi or ledger_abi()
        if capabilities is not None:
            self.capabilities = capabilities
        self.description = description or type(provider).__name__
        self._timestamps: OrderedDict[int, int] = OrderedDict()
        # Transactions this object sends are serialised, so two of its own never take the same nonce.
        self._send_lock = threading.RLock()

    # --- identity ---

    @property
    def chain_id(self) -> int:
        return self._chain_id

    @property
    def contract_address(self) -> bytes:
        if self._contract is None:
            raise ContractMissing("no ledger contract configured for this chain adapter")
        return self._contract

    @property
    def operator(self) -> bytes:
        return self._operator

    @staticmethod
    def _checksum(address: bytes) -> str:
        return to_checksum_address(address)

    # --- transport ---

    def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One JSON-RPC call. Raises ChainUnavailable when the node does not answer, NodeError on an error."""
        try:
            response = self.provider.make_request(RPCEndpoint(method), list(params))
        except (requests.RequestException, OSError, json.JSONDecodeError, Web3Exception) as error:
            raise ChainUnavailable(f"chain node {self.description} did not answer {method}: {error}") from error
        if not isinstance(response, Mapping):
            raise ChainUnavailable(f"chain node {self.description} answered {method} with {response!r}")
        error = response.get("error")
        if error is not None:
            if isinstance(error, Mapping):
                raise NodeError(method, error.get("code"), str(error.get("message", "")), error.get("data"))
            raise NodeError(method, None, str(error), None)
        return response.get("result")

    def _revert(self, error: NodeError, function: str) -> Exception:
        """Classify an error from eth_call / eth_estimateGas: a decoded revert, or the raw node error."""
        data = _revert_data(error.data)
        if data is None and "revert" in error.message.lower():
            # Some nodes put the payload only in the message ("execution reverted: 0x…").
            tail = error.message.rsplit(" ", 1)[-1]
            data = _revert_data(tail) if tail.startswith("0x") else None
        if data is not None:
            decoded = self.abi.decode_error(data)
            if decoded is not None:
                return ContractReverted(decoded[0], decoded[1], data, function)
            return ContractReverted("unknown", (), data, function)
        if "revert" in error.message.lower():
            return ContractReverted("unknown", (error.message,), b"", function)
        return error

    # --- blocks ---

    def block_number(self) -> int:
        return hexint(self.request("eth_blockNumber"))

    def block(self, number: int | str = "latest") -> dict[str, Any]:
        tag = hex(number) if isinstance(number, int) else number
        block = self.request("eth_getBlockByNumber", [tag, False])
        if block is None:
            raise RetryLater(f"block {number} is not available on {self.description}")
        return block

    def block_timestamp_ms(self, block_number: int) -> int:
        cached = self._timestamps.get(block_number)
        if cached is None:
            cached = hexint(self.block(block_number)["timestamp"]) * 1000
            self._timestamps[block_number] = cached
            if len(self._timestamps) > 1024:
                self._timestamps.popitem(last=False)
        return cached
