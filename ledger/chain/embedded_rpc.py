"""The embedded chain's JSON-RPC method table: the ``eth_*``, ``net_*``, ``web3_*`` and ``evm_mine`` methods
Saksi uses, answered from py-evm the way geth and anvil answer them (hex quantities, revert data with code 3).

:class:`EmbeddedRpcMethods` is mixed into :class:`~ledger.chain.embedded_node.EmbeddedNode`, which holds the
chain, its store and the lock its ``request`` takes around each method; kept apart so that the node's life
cycle (lock, genesis, durability) and the wire format are each read on their own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.exceptions import HeaderNotFound, TransactionNotFound, VMError
from eth_bloom import BloomFilter
from eth_utils import to_canonical_address

from ledger.chain.kvstore import SqliteKV

GAS_LIMIT = 30_000_000
GENESIS_BASE_FEE = 1_000_000_000
#: What ``eth_maxPriorityFeePerGas`` suggests: there is no competition for block space here.
PRIORITY_FEE = 1_000_000_000


# --- JSON-RPC encoding helpers ------------------------------------------------------------------------


def _hex(value: int) -> str:
    return hex(value)


def _data(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return bytes.fromhex(str(value).removeprefix("0x"))


def _int(value: Any, default: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, int):
        return value
    return int(str(value), 16)


class RpcError(Exception):
    """A JSON-RPC error object: ``code``, ``message`` and optional ``data`` (hex revert data)."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def _revert_error(error: Exception) -> RpcError:
    """py-evm's Revert carries the return data; report it the way geth and anvil do (code 3)."""
    payload = error.args[0] if error.args and isinstance(error.args[0], (bytes, bytearray)) else b""
    return RpcError(3, "execution reverted", _data(payload))


class EmbeddedRpcMethods:
    """The RPC methods, ``rpc_<name>``; the node supplies ``chain``, ``settings``, ``_kv`` and the helpers."""

    chain: MiningChain
    settings: Any  # the node's EmbeddedSettings; only its chain_id is read here (no import back to the node)
    _kv: SqliteKV

    if TYPE_CHECKING:

        @property
        def head(self) -> BlockHeaderAPI: ...

        def _header(self, tag: Any) -> BlockHeaderAPI: ...

        def _state(self, tag: Any) -> Any: ...

        def _call_transaction(self, call: Mapping[str, Any], header: BlockHeaderAPI) -> SignedTransactionAPI: ...

        def _reload(self) -> None: ...

    # --- chain data ---

    def rpc_web3_clientVersion(self) -> str:
        return "saksi-embedded/py-evm"

    def rpc_eth_chainId(self) -> str:
        return _hex(self.settings.chain_id)

    def rpc_net_version(self) -> str:
        return str(self.settings.chain_id)

    def rpc_eth_blockNumber(self) -> str:
        return _hex(self.head.block_number)

    def rpc_eth_getBlockByNumber(self, tag: Any, full: bool = False) -> dict[str, Any] | None:
        try:
            header = self._header(tag)
        except RpcError:
            return None
        return self._block_json(header, full)

    def rpc_eth_getBlockByHash(self, block_hash: str, full: bool = False) -> dict[str, Any] | None:
        try:
            header = self.chain.get_block_header_by_hash(_bytes(block_hash))
        except HeaderNotFound:
            return None
        return self._block_json(header, full)

    def _block_json(self, header: BlockHeaderAPI, full: bool) -> dict[str, Any]:
        block = self.chain.get_block_by_header(header)
        txs = [self._tx_json(tx, header, i) if full else _data(tx.hash) for i, tx in enumerate(block.transactions)]
        return {
            "number": _hex(header.block_number),
            "hash": _data(header.hash),
            "parentHash": _data(header.parent_hash),
            "timestamp": _hex(header.timestamp),
            "gasLimit": _hex(header.gas_limit),
            "gasUsed": _hex(header.gas_used),
            "baseFeePerGas": _hex(header.base_fee_per_gas),
            "miner": _data(header.coinbase),
            "stateRoot": _data(header.state_root),
            "transactionsRoot": _data(header.transaction_root),
            "receiptsRoot": _data(header.receipt_root),
            "logsBloom": _data(header.bloom.to_bytes(256, "big")),
            "difficulty": "0x0",
            "extraData": _data(header.extra_data),
            "mixHash": _data(header.mix_hash),
            "nonce": _data(header.nonce),
            "sha3Uncles": _data(header.uncles_hash),
            "uncles": [],
            "size": "0x0",
            "transactions": txs,
        }

    def rpc_eth_getBalance(self, address: str, tag: Any = "latest") -> str:
        return _hex(self._state(tag).get_balance(to_canonical_address(address)))

    def rpc_eth_getTransactionCount(self, address: str, tag: Any = "latest") -> str:
        # No pool: the pending count is the mined count.
        return _hex(self._state(tag).get_nonce(to_canonical_address(address)))

    def rpc_eth_getCode(self, address: str, tag: Any = "latest") -> str:
        return _data(self._state(tag).get_code(to_canonical_address(address)))

    def rpc_eth_gasPrice(self) -> str:
        return _hex(self._next_base_fee() + PRIORITY_FEE)

    def rpc_eth_maxPriorityFeePerGas(self) -> str:
        return _hex(PRIORITY_FEE)

    def _next_base_fee(self) -> int:
        return self.chain.create_header_from_parent(self.head).base_fee_per_gas

    # --- execution ---

    def rpc_eth_call(self, call: Mapping[str, Any], tag: Any = "latest") -> str:
        header = self._header(tag)
        try:
            return _data(self.chain.get_transaction_result(self._call_transaction(call, header), header))
        except VMError as error:
            raise _call_error(error) from None

    def rpc_eth_estimateGas(self, call: Mapping[str, Any], tag: Any = "latest") -> str:
        header = self._header(tag)
        transaction = self._call_transaction({**call, "gas": None}, header)
        # One run at the block gas limit gives the gas the transaction needs (gas remaining is read before
        # refunds); py-evm's own estimator bisects over ~20 runs. The margin covers the 63/64 rule of calls.
        with self.chain.get_vm(at_header=header).in_costless_state() as state:
            computation = state.apply_transaction(transaction)
            if computation.is_error:
                raise _call_error(computation.error)
            used = transaction.gas - computation.get_gas_remaining()
        estimate = min(header.gas_limit, used + used // 10 + 2_300)
        return _hex(estimate)

    def rpc_eth_sendRawTransaction(self, raw_hex: str) -> str:
        raw = _bytes(raw_hex)
        try:
            transaction = self.chain.get_vm().get_transaction_builder().decode(raw)
        except Exception as error:  # noqa: BLE001 - any decoding failure is the caller's bad input
            raise RpcError(-32602, f"invalid transaction: {error}") from None
        self._check_admissible(transaction)
        try:
            self.chain.mine_all([transaction], parent_header=self.head)
            self._kv.commit()
        except BaseException as error:
            self._reload()
            if isinstance(error, Exception):
                raise RpcError(-32000, f"transaction refused: {error}") from None
            raise
        return _data(transaction.hash)

    def _check_admissible(self, tx: SignedTransactionAPI) -> None:
        """Refuse what a node's pool would refuse, with the messages geth uses."""
        chain_id = getattr(tx, "chain_id", None)
        if chain_id is not None and chain_id != self.settings.chain_id:
            raise RpcError(-32000, f"invalid chain id {chain_id}: this chain is {self.settings.chain_id}")
        try:
            self.chain.chaindb.get_transaction_index(tx.hash)
        except TransactionNotFound:
            pass
        else:
            raise RpcError(-32000, "already known")
        try:
            sender = tx.sender
        except Exception as error:  # noqa: BLE001
            raise RpcError(-32000, f"invalid sender: {error}") from None
        state = self._state("latest")
        expected = state.get_nonce(sender)
        if tx.nonce < expected:
            raise RpcError(-32000, f"nonce too low: next nonce {expected}, tx nonce {tx.nonce}")
        if tx.nonce > expected:
            # No pool to wait in: a gap can never be filled later.
            raise RpcError(-32000, f"nonce too high: next nonce {expected}, tx nonce {tx.nonce}")
        if tx.max_fee_per_gas < self._next_base_fee():
            raise RpcError(-32000, "max fee per gas less than block base fee")
        if tx.gas > self.head.gas_limit:
            raise RpcError(-32000, "exceeds block gas limit")
        if tx.gas < tx.intrinsic_gas:
            raise RpcError(-32000, "intrinsic gas too low")
        if state.get_balance(sender) < tx.gas * tx.max_fee_per_gas + tx.value:
            raise RpcError(-32000, "insufficient funds for gas * price + value")

    def rpc_evm_mine(self, *_: Any) -> str:
        """Mine an empty block (confirmation depth means nothing here, but tests may want blocks)."""
        try:
            self.chain.mine_all([], parent_header=self.head)
            self._kv.commit()
        except BaseException:
            self._reload()
            raise
        return "0x0"

    # --- transactions and receipts ---

    def _locate(self, tx_hash: Any) -> tuple[BlockHeaderAPI, int, SignedTransactionAPI] | None:
        try:
            number, index = self.chain.chaindb.get_transaction_index(_bytes(tx_hash))
            header = self.chain.get_canonical_block_header_by_number(number)
            tx = self.chain.get_canonical_transaction_by_index(number, index)
        except (TransactionNotFound, HeaderNotFound, KeyError):
            return None
        return (header, index, tx) if tx.hash == _bytes(tx_hash) else None

    def _tx_json(self, tx: SignedTransactionAPI, header: BlockHeaderAPI, index: int) -> dict[str, Any]:
        out = {
            "hash": _data(tx.hash),
            "nonce": _hex(tx.nonce),
            "blockHash": _data(header.hash),
            "blockNumber": _hex(header.block_number),
            "transactionIndex": _hex(index),
            "from": _data(tx.sender),
            "to": _data(tx.to) if tx.to else None,
            "value": _hex(tx.value),
            "gas": _hex(tx.gas),
            "input": _data(tx.data),
            "type": _hex(tx.type_id or 0),
            "chainId": _hex(self.settings.chain_id),
            "v": _hex(tx.y_parity if tx.type_id else tx.v),
            "r": _hex(tx.r),
            "s": _hex(tx.s),
        }
        if tx.type_id:
            out["maxFeePerGas"] = _hex(tx.max_fee_per_gas)
            out["maxPriorityFeePerGas"] = _hex(tx.max_priority_fee_per_gas)
            out["accessList"] = []
            out["yParity"] = _hex(tx.y_parity)
        out["gasPrice"] = _hex(min(tx.max_fee_per_gas, tx.max_priority_fee_per_gas + header.base_fee_per_gas))
        return out

    def rpc_eth_getTransactionByHash(self, tx_hash: str) -> dict[str, Any] | None:
        found = self._locate(tx_hash)
        return None if found is None else self._tx_json(found[2], found[0], found[1])

    def rpc_eth_getTransactionReceipt(self, tx_hash: str) -> dict[str, Any] | None:
        found = self._locate(tx_hash)
        if found is None:
            return None
        header, index, tx = found
        receipts = self.chain.get_block_by_header(header).get_receipts(self.chain.chaindb)
        receipt = receipts[index]
        previous = receipts[index - 1].gas_used if index else 0
        first_log = sum(len(r.logs) for r in receipts[:index])
        contract = None
        if not tx.to:
            from eth._utils.address import generate_contract_address

            contract = _data(generate_contract_address(tx.sender, tx.nonce))
        return {
            "transactionHash": _data(tx.hash),
            "transactionIndex": _hex(index),
            "blockHash": _data(header.hash),
            "blockNumber": _hex(header.block_number),
            "from": _data(tx.sender),
            "to": _data(tx.to) if tx.to else None,
            "cumulativeGasUsed": _hex(receipt.gas_used),
            "gasUsed": _hex(receipt.gas_used - previous),
            "effectiveGasPrice": _hex(min(tx.max_fee_per_gas, tx.max_priority_fee_per_gas + header.base_fee_per_gas)),
            "contractAddress": contract,
            "logs": [self._log_json(log, header, tx.hash, index, first_log + i) for i, log in enumerate(receipt.logs)],
            "logsBloom": _data(receipt.bloom.to_bytes(256, "big")),
            "status": "0x1" if receipt.state_root == b"\x01" else "0x0",
            "type": _hex(tx.type_id or 0),
        }

    @staticmethod
    def _log_json(log: Any, header: BlockHeaderAPI, tx_hash: bytes, tx_index: int, log_index: int) -> dict[str, Any]:
        return {
            "address": _data(log.address),
            "topics": [_data(t.to_bytes(32, "big")) for t in log.topics],
            "data": _data(log.data),
            "blockNumber": _hex(header.block_number),
            "blockHash": _data(header.hash),
            "transactionHash": _data(tx_hash),
            "transactionIndex": _hex(tx_index),
            "logIndex": _hex(log_index),
            "removed": False,
        }

    def rpc_eth_getLogs(self, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        if query.get("blockHash"):
            headers: Iterator[BlockHeaderAPI] = iter([self.chain.get_block_header_by_hash(_bytes(query["blockHash"]))])
        else:
            start = self._header(query.get("fromBlock", "latest")).block_number
            end = self._header(query.get("toBlock", "latest")).block_number
            headers = (self.chain.get_canonical_block_header_by_number(n) for n in range(start, end + 1))
        addresses = query.get("address") or []
        addresses = {_bytes(a) for a in ([addresses] if isinstance(addresses, str) else addresses)}
        topic_sets: list[set[bytes] | None] = []
        for topic in query.get("topics") or []:
            if topic is None:
                topic_sets.append(None)
            else:
                topic_sets.append({_bytes(t) for t in ([topic] if isinstance(topic, str) else topic)})
        out: list[dict[str, Any]] = []
        for header in headers:
            bloom = BloomFilter(header.bloom)
            if addresses and not any(a in bloom for a in addresses):
                continue
            block = self.chain.get_block_by_header(header)
            log_index = 0
            for tx_index, (tx, receipt) in enumerate(
                zip(block.transactions, block.get_receipts(self.chain.chaindb), strict=True)
            ):
                for log in receipt.logs:
                    topics = [t.to_bytes(32, "big") for t in log.topics]
                    if (not addresses or log.address in addresses) and _topics_match(topics, topic_sets):
                        out.append(self._log_json(log, header, tx.hash, tx_index, log_index))
                    log_index += 1
        return out


def _topics_match(topics: Sequence[bytes], wanted: Sequence[set[bytes] | None]) -> bool:
    if len(wanted) > len(topics):
        return False
    return all(options is None or topic in options for topic, options in zip(topics, wanted, strict=False))


def _call_error(error: Exception) -> RpcError:
    from eth.exceptions import Revert

    if isinstance(error, Revert):
        return _revert_error(error)
    return RpcError(-32000, f"execution failed: {type(error).__name__} {error}")
