"""The read-only JSON-RPC window on the embedded chain (POST /chain-rpc, api.routers.chain): what it serves.

In a real deployment verifiers read the chain through an endpoint of their own (`public_rpc_url`,
`--rpc`), not through Saksi. The embedded chain lives inside `saksi serve`, so there they can only ask
the server: `POST /chain-rpc` answers the smallest set of reads those verifiers need, about the ledger
contract only, and forwards them to the embedded node:

- `web3_clientVersion` (answered here: it names this window, so a verifier can say it is not independent),
  `eth_chainId`, `eth_blockNumber`;
- `eth_getCode` of the ledger contract; `eth_call` of the contract's view functions (`rootAt`,
  `latestCheckpoint`, `agency`, `eip712Domain`, ...), with nothing but `to` and `data`;
- `eth_getLogs` of the contract's address over at most `MAX_LOG_BLOCKS` blocks (no `blockHash`);
- `eth_getBlockByNumber` without full transactions (block headers and transaction hashes);
- `eth_getTransactionReceipt` of transactions to (or deploying) the ledger contract.

Nothing changes state and nothing is said about other accounts. That check is only as independent as
the server is, and every verifier using it says so; it lets a demo run every check it would run against
a public chain.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from ledger.chain.abi import ledger_abi
from ledger.core.encoding import hex0x
from ledger.services.ledger import VERSION

#: What `web3_clientVersion` answers: verifiers look for this prefix to say the chain is the server's own.
CLIENT_VERSION = f"saksi-chain-rpc/{VERSION} (read-only window on this Saksi server's own embedded chain)"
#: Widest block range of one eth_getLogs (the adapter's default `log_range`, so `RpcChain` fits in it).
MAX_LOG_BLOCKS = 5_000
#: Most logs one eth_getLogs returns; a wider answer is refused (-32005), as public providers do.
MAX_LOGS = 10_000
_QUANTITY = re.compile(r"0x(0|[1-9a-f][0-9a-f]{0,15})")
_DATA = re.compile(r"0x([0-9a-f]{2})*")
_TOPIC = re.compile(r"0x[0-9a-f]{64}")

ChainRequest = Callable[[str, list[Any]], Any]
#: Every method the window answers (each has a `ChainWindow._<method>`); anything else is -32601.
SERVED = frozenset(
    {
        "web3_clientVersion",
        "eth_chainId",
        "eth_blockNumber",
        "eth_getCode",
        "eth_call",
        "eth_getLogs",
        "eth_getBlockByNumber",
        "eth_getTransactionReceipt",
    }
)


class WindowRefused(Exception):
    """A request this window does not serve: its JSON-RPC error code and why."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _params(params: Any, least: int, most: int) -> list[Any]:
    if params is None:
        params = []
    if not isinstance(params, list) or not least <= len(params) <= most:
        raise WindowRefused(-32602, f"params must be a list of {least} to {most} values")
    return params


def _is_contract(value: Any, contract: bytes) -> bool:
    return isinstance(value, str) and value.lower() == hex0x(contract).lower()


def _block_tag(value: Any, head: Callable[[], int]) -> int:
    """A block number from a tag: "latest", "earliest" or a hex quantity (no later than the head)."""
    if value in (None, "latest", "safe", "finalized"):
        return head()
    if value == "earliest":
        return 0
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value.lower()):
        raise WindowRefused(-32602, "a block is a hex quantity, 'latest' or 'earliest'")
    return int(value, 16)


def _topics(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 4:
        raise WindowRefused(-32602, "topics are a list of at most 4 entries")
    out: list[Any] = []
    for entry in value:
        alternatives = entry if isinstance(entry, list) else [entry]
        if entry is not None and (
            len(alternatives) > 8 or not all(isinstance(t, str) and _TOPIC.fullmatch(t.lower()) for t in alternatives)
        ):
            raise WindowRefused(-32602, "a topic is null, a 32-byte hex value or a list of at most 8 of them")
        out.append(entry)
    return out


class ChainWindow:
    """Checks one request against what the window serves and forwards it to the embedded node."""

    def __init__(self, chain_request: ChainRequest, chain_id: int, contract: bytes) -> None:
        self.forward = chain_request
        self.chain_id = chain_id
        self.contract = contract
        self.views = ledger_abi().view_selectors()

    def head(self) -> int:
        return int(self.forward("eth_blockNumber", []), 16)

    def answer(self, method: str, params: Any) -> Any:
        """The result of one request, or WindowRefused / NodeError (the node's own error)."""
        handler = getattr(self, "_" + method) if method in SERVED else None
        if handler is None:
            raise WindowRefused(
                -32601,
                f"{method} is not served here: only reads of the ledger contract (see GET /docs, POST /chain-rpc)",
            )
        return handler(params)

    def _web3_clientVersion(self, params: Any) -> str:  # noqa: N802 - JSON-RPC's name
        _params(params, 0, 0)
        return CLIENT_VERSION

    def _eth_chainId(self, params: Any) -> str:  # noqa: N802
        _params(params, 0, 0)
        return hex(self.chain_id)

    def _eth_blockNumber(self, params: Any) -> str:  # noqa: N802
        _params(params, 0, 0)
        return hex(self.head())

    def _eth_getCode(self, params: Any) -> str:  # noqa: N802
        address, *tag = _params(params, 1, 2)
        if not _is_contract(address, self.contract):
            raise WindowRefused(-32602, "only the ledger contract's code is served here")
        return self.forward("eth_getCode", [hex0x(self.contract), hex(_block_tag(tag[0] if tag else None, self.head))])

    def _eth_call(self, params: Any) -> str:  # noqa: N802
        call, *tag = _params(params, 1, 2)
        if not isinstance(call, dict) or not _is_contract(call.get("to"), self.contract):
            raise WindowRefused(-32602, "only the ledger contract can be called here")
        data = call.get("data", call.get("input"))
        if not isinstance(data, str) or not _DATA.fullmatch(data.lower()) or len(data) < 10:
            raise WindowRefused(-32602, "data is the call's ABI encoding in hex")
        if bytes.fromhex(data[2:10]) not in self.views:
            raise WindowRefused(-32602, "only the ledger contract's view functions can be called here")
        block = hex(_block_tag(tag[0] if tag else None, self.head))
        return self.forward("eth_call", [{"to": hex0x(self.contract), "data": data.lower()}, block])

    def _eth_getLogs(self, params: Any) -> list[Any]:  # noqa: N802
        (query,) = _params(params, 1, 1)
        if not isinstance(query, dict) or "blockHash" in query:
            raise WindowRefused(-32602, "eth_getLogs takes [{address, fromBlock, toBlock, topics}] (no blockHash)")
        address = query.get("address")
        if isinstance(address, list) and len(address) == 1:
            address = address[0]
        if not _is_contract(address, self.contract):
            raise WindowRefused(-32602, "only the ledger contract's logs are served here")
        head = functools.cache(self.head)  # asked of the node at most once, whichever tags say "latest"
        start, end = _block_tag(query.get("fromBlock"), head), _block_tag(query.get("toBlock"), head)
        if end - start + 1 > MAX_LOG_BLOCKS:
            raise WindowRefused(-32602, f"at most {MAX_LOG_BLOCKS} blocks per eth_getLogs")
        if end < start:
            return []
        logs = self.forward(
            "eth_getLogs",
            [
                {
                    "address": hex0x(self.contract),
                    "fromBlock": hex(start),
                    "toBlock": hex(end),
                    "topics": _topics(query.get("topics")),
                }
            ],
        )
        if len(logs) > MAX_LOGS:
            raise WindowRefused(-32005, f"query returns more than {MAX_LOGS} results: ask for fewer blocks")
        return logs

    def _eth_getBlockByNumber(self, params: Any) -> Any:  # noqa: N802
        tag, *full = _params(params, 1, 2)
        if full and full[0] is not False:
            raise WindowRefused(-32602, "only block headers are served here (full transactions: false)")
        return self.forward("eth_getBlockByNumber", [hex(_block_tag(tag, self.head)), False])

    def _eth_getTransactionReceipt(self, params: Any) -> Any:  # noqa: N802
        (tx_hash,) = _params(params, 1, 1)
        if not isinstance(tx_hash, str) or not _TOPIC.fullmatch(tx_hash.lower()):
            raise WindowRefused(-32602, "a transaction hash is 32 bytes of hex")
        receipt = self.forward("eth_getTransactionReceipt", [tx_hash.lower()])
        if receipt is None or not (
            _is_contract(receipt.get("to"), self.contract)
            or _is_contract(receipt.get("contractAddress"), self.contract)
        ):
            return None  # about another account: as if unknown
        return receipt
