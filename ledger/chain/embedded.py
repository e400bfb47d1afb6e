"""The embedded chain: a one-node EVM (py-evm) in process, kept in the data directory.

Why a database and not a journal of transactions: py-evm stores everything (headers, blocks, receipts,
the state trie) in one key-value store, so backing that store with SQLite makes the chain itself durable.
Every accepted transaction is mined at once into its own block, and the block's writes are committed in
one SQLite transaction (WAL, ``synchronous=FULL``) before ``eth_sendRawTransaction`` answers. A reply
therefore means the block is on disk: ``kill -9`` right after it loses nothing, and a kill before it loses
the whole block, never part of one. Opening reads the canonical head and nothing else, so the restart time
does not grow with the chain (about 5 ms after 1,000 anchors here); replaying a journal of transactions
would take as long as mining them again (about 20 s per 1,000 anchors) and would have to reproduce every
block timestamp exactly.

The node answers the JSON-RPC methods Saksi uses, as a web3.py provider, so the very same
:class:`~ledger.chain.rpc.RpcChain` code drives it and anvil, ganache or any network. What it lacks it says
in :data:`EMBEDDED_CAPABILITIES`: no mempool (a transaction is mined or refused on the spot, so there is
nothing to replace), no reorgs (a mined block is final), no dev controls except ``evm_mine``.

One process at a time: the data directory is locked while a node has it open.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.exceptions import HeaderNotFound, TransactionNotFound, VMError
from eth.vm.forks import CancunVM
from eth.vm.spoof import SpoofTransaction
from eth_account import Account
from eth_bloom import BloomFilter
from eth_utils import to_canonical_address
from web3.providers.base import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from ledger.chain.kvstore import SqliteKV
from ledger.chain.port import Capabilities
from ledger.chain.rpc import RpcChain, RpcSettings
from ledger.errors import Conflict, InvalidInput

EMBEDDED_CAPABILITIES = Capabilities(reorgs=False, mempool=False, instant_finality=True, dev_controls=False)

DEFAULT_CHAIN_ID = 1337
GAS_LIMIT = 30_000_000
GENESIS_BASE_FEE = 1_000_000_000
#: What ``eth_maxPriorityFeePerGas`` suggests: there is no competition for block space here.
PRIORITY_FEE = 1_000_000_000
DEV_BALANCE = 10**24  # 1,000,000 ether, for each account funded at genesis
_SCHEMA_VERSION = "1"


class ChainDataError(InvalidInput):
    """The data directory holds another chain than the one asked for, or is not a chain at all."""

    kind = "chain-data"


class ChainDataLocked(Conflict):
    """Another process has this embedded chain open."""

    kind = "chain-data-locked"


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


# --- the node -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmbeddedSettings:
    """Where the chain lives and what it is; only read at creation, checked on every later open."""

    data_dir: Path
    chain_id: int = DEFAULT_CHAIN_ID
    #: Accounts given :data:`DEV_BALANCE` in the genesis block (the operator, typically).
    funded: tuple[bytes, ...] = ()


def _chain_class(chain_id: int, clock_s: Callable[[], float]) -> type[MiningChain]:
    class SaksiEmbeddedChain(MiningChain):
        vm_configuration = ((0, CancunVM),)

        def create_header_from_parent(self, parent_header: BlockHeaderAPI, **header_params: Any) -> BlockHeaderAPI:
            # A constant gas limit, as a dev chain has (eth-tester does the same), and block times from the
            # node's clock, strictly increasing.
            header_params.setdefault("timestamp", max(int(clock_s()), parent_header.timestamp + 1))
            return super().create_header_from_parent(
                parent_header, **{**header_params, "gas_limit": parent_header.gas_limit}
            )

    SaksiEmbeddedChain.chain_id = chain_id
    return SaksiEmbeddedChain


class EmbeddedNode:
    """A single-node chain answering JSON-RPC requests from Python; thread-safe, one process per directory."""

    FILE_NAME = "chain.sqlite"

    def __init__(self, settings: EmbeddedSettings, clock_s: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock_s = clock_s
        self._lock = threading.RLock()
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(data_dir / "chain.lock", "a+")  # noqa: SIM115 - held for the node's life
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise ChainDataLocked(f"the embedded chain in {data_dir} is open in another process") from None
        try:
            self._kv = SqliteKV(data_dir / self.FILE_NAME)
        except BaseException:
            self._lock_file.close()
            raise
        try:
            self._chain_cls = _chain_class(settings.chain_id, clock_s)
            self._open_or_create()
        except BaseException:
            self._kv.close()
            self._lock_file.close()
            raise

    # --- lifecycle ---

    def _open_or_create(self) -> None:
        meta = self._kv.get_meta()
        if not meta:
            self._create_genesis()
            return
        if meta.get("schema") != _SCHEMA_VERSION:
            raise ChainDataError(f"unknown embedded chain format {meta.get('schema')!r}")
        if int(meta["chain_id"]) != self.settings.chain_id:
            raise ChainDataError(
                f"the embedded chain in {self.settings.data_dir} has chain id {meta['chain_id']}, "
                f"not {self.settings.chain_id}",
                expected=self.settings.chain_id,
                actual=int(meta["chain_id"]),
            )
        self.chain = self._chain_cls(AtomicDB(self._kv))

    def _create_genesis(self) -> None:
        genesis_params = {
            "coinbase": b"\x00" * 20,
            "difficulty": 0,
            "extra_data": b"saksi",
            "gas_limit": GAS_LIMIT,
            "mix_hash": b"\x00" * 32,
            "nonce": b"\x00" * 8,
            "timestamp": int(self._clock_s()),
            "base_fee_per_gas": GENESIS_BASE_FEE,
        }
        state = {
            bytes(address): {"balance": DEV_BALANCE, "nonce": 0, "code": b"", "storage": {}}
            for address in self.settings.funded
        }
        try:
            self.chain = self._chain_cls.from_genesis(AtomicDB(self._kv), genesis_params, state)
            self._kv.set_meta({"schema": _SCHEMA_VERSION, "chain_id": str(self.settings.chain_id)})
            self._kv.commit()
        except BaseException:
            self._kv.rollback()
            raise

    def _reload(self) -> None:
        """Drop whatever a failed operation left in memory: the chain object is rebuilt from what is on disk."""
        self._kv.rollback()
        self.chain = self._chain_cls(AtomicDB(self._kv))

    def close(self) -> None:
        with self._lock:
            self._kv.close()
            self._lock_file.close()

    # --- dispatch ---

    def request(self, method: str, params: Sequence[Any] | None = None) -> Any:
        handler = getattr(self, "rpc_" + method, None)
        if handler is None:
            raise RpcError(-32601, f"the embedded chain does not support {method}")
        with self._lock:
            try:
                return handler(*(params or ()))
            except RpcError:
                raise
            except HeaderNotFound as error:
                raise RpcError(-32000, f"header not found: {error}") from None
            except Exception as error:  # noqa: BLE001 - a node answers with an error object, it does not crash
                raise RpcError(-32603, f"internal error in {method}: {type(error).__name__}: {error}") from None

    # --- helpers ---

    @property
    def head(self) -> BlockHeaderAPI:
        return self.chain.get_canonical_head()

    def _header(self, tag: Any) -> BlockHeaderAPI:
        if tag is None or tag in ("latest", "pending", "safe", "finalized"):
            return self.head
        if tag == "earliest":
            return self.chain.get_canonical_block_header_by_number(0)
        if isinstance(tag, dict):
            if "blockHash" in tag:
                return self.chain.get_block_header_by_hash(_bytes(tag["blockHash"]))
            tag = tag.get("blockNumber")
        number = _int(tag)
        if number > self.head.block_number:
            raise RpcError(-32000, f"block {number} not found (head is {self.head.block_number})")
        return self.chain.get_canonical_block_header_by_number(number)

    def _state(self, tag: Any) -> Any:
        return self.chain.get_vm(at_header=self._header(tag)).state

    def _call_transaction(self, call: Mapping[str, Any], header: BlockHeaderAPI) -> SignedTransactionAPI:
        sender = to_canonical_address(call["from"]) if call.get("from") else b"\x00" * 20
        vm = self.chain.get_vm(at_header=header)
        unsigned = vm.create_unsigned_transaction(
            nonce=vm.state.get_nonce(sender),
            gas_price=0,
            gas=_int(call.get("gas"), header.gas_limit),
            to=to_canonical_address(call["to"]) if call.get("to") else b"",
            value=_int(call.get("value")),
            data=_bytes(call.get("data", call.get("input"))),
        )
        return SpoofTransaction(unsigned, from_=sender)

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


def open_embedded_node(
    data_dir: str | os.PathLike[str], chain_id: int = DEFAULT_CHAIN_ID, funded: Sequence[bytes] = ()
) -> EmbeddedNode:
    return EmbeddedNode(EmbeddedSettings(Path(data_dir), chain_id, tuple(bytes(a) for a in funded)))


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


class ReadOnlyEmbeddedNode(EmbeddedNode):
    """The embedded chain read by another process than its node (an audit beside ``saksi serve``).

    It takes neither the directory's lock nor a write lock on the store (SQLite ``mode=ro``), never creates
    a chain and never mines: writes are refused by the store itself. Reads answer from the blocks committed
    when each key was first read (see :class:`~ledger.chain.kvstore.SqliteKV`)."""

    def __init__(self, settings: EmbeddedSettings, clock_s: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock_s = clock_s
        self._lock = threading.RLock()
        path = Path(settings.data_dir) / self.FILE_NAME
        try:
            self._kv = SqliteKV(path, read_only=True)
        except (FileNotFoundError, OSError) as error:
            raise ChainDataError(f"no embedded chain in {settings.data_dir}: {error}") from None
        self._lock_file = None
        try:
            meta = self._kv.get_meta()
            if not meta:
                raise ChainDataError(f"the embedded chain in {settings.data_dir} has no genesis yet")
            self._chain_cls = _chain_class(settings.chain_id, clock_s)
            self._open_or_create()
        except BaseException:
            self._kv.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._kv.close()

    def rpc_eth_sendRawTransaction(self, raw_hex: str) -> str:
        raise RpcError(-32000, "this embedded chain is open read-only (an audit): it accepts no transactions")

    def rpc_evm_mine(self, *_: Any) -> str:
        raise RpcError(-32000, "this embedded chain is open read-only (an audit): it mines no blocks")
