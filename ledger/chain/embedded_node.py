"""The embedded chain's node: a one-node EVM (py-evm) kept in the data directory, its lock and its durability.

Why a database and not a journal of transactions: py-evm stores everything (headers, blocks, receipts,
the state trie) in one key-value store, so backing that store with SQLite makes the chain itself durable.
Every accepted transaction is mined at once into its own block, and the block's writes are committed in
one SQLite transaction (WAL, ``synchronous=FULL``) before ``eth_sendRawTransaction`` answers. A reply
therefore means the block is on disk: ``kill -9`` right after it loses nothing, and a kill before it loses
the whole block, never part of one. Opening reads the canonical head and nothing else, so the restart time
does not grow with the chain; replaying a journal of transactions would take as long as mining them again
(py-evm mines in pure Python: see the anchoring figures of benchmarks/results.json, `load`, its chain
process's CPU) and would have to reproduce every block timestamp exactly.

One process at a time: the data directory is locked while a node has it open. The RPC methods it answers
are in :mod:`ledger.chain.embedded_rpc`; the web3 provider and the chain port over it in
:mod:`ledger.chain.embedded`.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.exceptions import HeaderNotFound
from eth.vm.forks import CancunVM
from eth.vm.spoof import SpoofTransaction
from eth_utils import to_canonical_address

from ledger.chain.embedded_rpc import (
    GAS_LIMIT,
    GENESIS_BASE_FEE,
    EmbeddedRpcMethods,
    RpcError,
    _bytes,
    _int,
)
from ledger.chain.kvstore import SqliteKV
from ledger.errors import Conflict, InvalidInput

DEFAULT_CHAIN_ID = 1337
DEV_BALANCE = 10**24  # 1,000,000 ether, for each account funded at genesis
_SCHEMA_VERSION = "1"


class ChainDataError(InvalidInput):
    """The data directory holds another chain than the one asked for, or is not a chain at all."""

    kind = "chain-data"


class ChainDataLocked(Conflict):
    """Another process has this embedded chain open."""

    kind = "chain-data-locked"


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


class EmbeddedNode(EmbeddedRpcMethods):
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


def open_embedded_node(
    data_dir: str | os.PathLike[str], chain_id: int = DEFAULT_CHAIN_ID, funded: Sequence[bytes] = ()
) -> EmbeddedNode:
    return EmbeddedNode(EmbeddedSettings(Path(data_dir), chain_id, tuple(bytes(a) for a in funded)))


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
