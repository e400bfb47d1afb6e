"""The JSON-RPC chain adapter: any EVM endpoint (anvil, ganache, Besu, Geth, an L2) through web3.py 8.

web3.py carries the requests (its HTTPProvider: sessions, timeouts); everything else is explicit here so
that it behaves the same on every node: the chain id is checked when connecting, transactions are signed
locally with the operator key (eth-account; the node never holds a key), EIP-1559 fees are used when the
latest block has a base fee and legacy gas prices otherwise, and a node's error is classified once: not
answering -> :class:`~ledger.errors.ChainUnavailable`, a revert -> :class:`ContractReverted` with the custom
error decoded from the ABI, a refused transaction -> :class:`TransactionRejected` and its subclasses.

The embedded chain is the same class over an in-process provider (see :mod:`ledger.chain.embedded`);
key-less readers wrap it (:mod:`ledger.chain.reader`). Over 400 lines because it is one adapter: every role
of the port shares its transport, error classification and nonce lock, which splitting would duplicate.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import requests
from eth_account import Account
from eth_utils import keccak, to_canonical_address, to_checksum_address
from web3 import Web3
from web3.exceptions import Web3Exception
from web3.providers.base import BaseProvider
from web3.providers.rpc import HTTPProvider
from web3.types import RPCEndpoint

from ledger.chain.abi import ContractAbi, ledger_abi
from ledger.chain.port import (
    AGENCY_STATUSES,
    AgencyRecord,
    Capabilities,
    ChainIdMismatch,
    CheckpointEvent,
    ContractMissing,
    ContractReverted,
    Fees,
    NonceTooLow,
    RegistryEvent,
    ReplacementUnderpriced,
    SignedTx,
    TransactionRejected,
    TxOutcome,
    TxStatus,
)
from ledger.errors import ChainUnavailable, InvalidInput, RetryLater

log = logging.getLogger(__name__)

#: What a generic endpoint may do. Dev nodes started by :mod:`ledger.devchain.nodes` add ``dev_controls``.
RPC_CAPABILITIES = Capabilities(reorgs=True, mempool=True, instant_finality=False, dev_controls=False)

ZERO_ROOT = b"\x00" * 32
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


def _hexint(value: Any) -> int:
    return value if isinstance(value, int) else int(value, 16)


def _hexbytes(value: Any) -> bytes:
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


class RpcChain:
    """The chain port over a JSON-RPC provider; one operator key signs every transaction."""

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
        actual = _hexint(self.request("eth_chainId"))
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
        return _hexint(self.request("eth_blockNumber"))

    def block(self, number: int | str = "latest") -> dict[str, Any]:
        tag = hex(number) if isinstance(number, int) else number
        block = self.request("eth_getBlockByNumber", [tag, False])
        if block is None:
            raise RetryLater(f"block {number} is not available on {self.description}")
        return block

    def block_timestamp_ms(self, block_number: int) -> int:
        cached = self._timestamps.get(block_number)
        if cached is None:
            cached = _hexint(self.block(block_number)["timestamp"]) * 1000
            self._timestamps[block_number] = cached
            if len(self._timestamps) > 1024:
                self._timestamps.popitem(last=False)
        return cached

    # --- contract reads ---

    def call(self, function: str, *args: Any, block: int | str = "latest", sender: bytes | None = None) -> tuple:
        data = self.abi.encode_call(function, *args)
        call: dict[str, Any] = {"to": self._checksum(self.contract_address), "data": "0x" + data.hex()}
        if sender is not None:
            call["from"] = self._checksum(sender)
        tag = hex(block) if isinstance(block, int) else block
        try:
            result = self.request("eth_call", [call, tag])
        except NodeError as error:
            raise self._revert(error, function) from None
        return self.abi.decode_output(function, _hexbytes(result))

    def latest_checkpoint(self) -> tuple[int, bytes]:
        size, root = self.call("latestCheckpoint")
        return size, bytes(root)

    def root_at(self, tree_size: int, block: int | str = "latest") -> bytes | None:
        try:
            (root,) = self.call("rootAt", tree_size, block=block)
        except ContractReverted as error:
            if error.error_name == "SaksiLedgerUnknownTreeSize":
                return None
            raise
        return bytes(root)

    def agency(self, code: str) -> AgencyRecord:
        signer, status, updated = self.call("agency", code)
        return AgencyRecord(code, to_canonical_address(signer), AGENCY_STATUSES[status], updated)

    def eip712_domain(self) -> dict[str, Any]:
        fields, name, version, chain_id, verifying, salt, extensions = self.call("eip712Domain")
        return {
            "fields": bytes(fields),
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": to_canonical_address(verifying),
            "salt": bytes(salt),
            "extensions": list(extensions),
        }

    def has_role(self, role: str, account: bytes) -> bool:
        (role_id,) = self.call(role)
        (granted,) = self.call("hasRole", role_id, self._checksum(account))
        return bool(granted)

    # --- nonces and fees ---

    def next_nonce(self) -> int:
        return _hexint(self.request("eth_getTransactionCount", [self._checksum(self._operator), "pending"]))

    def mined_nonce(self) -> int:
        return _hexint(self.request("eth_getTransactionCount", [self._checksum(self._operator), "latest"]))

    def balance(self, address: bytes | None = None) -> int:
        return _hexint(self.request("eth_getBalance", [self._checksum(address or self._operator), "latest"]))

    def suggest_fees(self) -> Fees:
        """EIP-1559 fees (2 × base fee + tip) when the latest block has a base fee, else the legacy gas price."""
        if self.settings.fee_mode != "legacy":
            base = self.block("latest").get("baseFeePerGas")
            if base is not None:
                try:
                    tip = _hexint(self.request("eth_maxPriorityFeePerGas"))
                except NodeError:
                    tip = self.settings.default_priority_fee
                fees = Fees(2 * _hexint(base) + tip, tip)
                return self._capped(fees)
            if self.settings.fee_mode == "eip1559":
                raise TransactionRejected(f"{self.description} has no base fee: it does not support EIP-1559")
        return self._capped(Fees(gas_price=_hexint(self.request("eth_gasPrice"))))

    def _capped(self, fees: Fees) -> Fees:
        cap = self.settings.max_fee_per_gas
        if cap is None:
            return fees
        if fees.is_dynamic:
            return Fees(min(fees.max_fee_per_gas or 0, cap), min(fees.max_priority_fee_per_gas or 0, cap))
        return Fees(gas_price=min(fees.gas_price or 0, cap))

    # --- building, signing and sending ---

    def estimate_gas(self, data: bytes, to: bytes | None, function: str) -> int:
        call: dict[str, Any] = {"from": self._checksum(self._operator), "data": "0x" + data.hex()}
        if to is not None:
            call["to"] = self._checksum(to)
        try:
            # At "latest": some nodes (anvil) default to the pending block, where the very transaction a
            # replacement is meant to replace already ran.
            estimate = _hexint(self.request("eth_estimateGas", [call, "latest"]))
        except NodeError as error:
            raise self._revert(error, function) from None
        return estimate + estimate * self.settings.gas_margin_percent // 100

    def sign(self, data: bytes, to: bytes | None, nonce: int, fees: Fees, gas: int) -> SignedTx:
        tx: dict[str, Any] = {"chainId": self._chain_id, "nonce": nonce, "gas": gas, "value": 0, "data": data}
        if to is not None:
            tx["to"] = self._checksum(to)
        if fees.is_dynamic:
            tx |= {
                "type": 2,
                "maxFeePerGas": fees.max_fee_per_gas,
                "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
            }
        else:
            tx["gasPrice"] = fees.gas_price
        if self._account is None:
            raise InvalidInput(f"{self.description}: this chain reader holds no key and cannot sign")
        signed = self._account.sign_transaction(tx)
        return SignedTx(bytes(signed.hash), bytes(signed.raw_transaction), nonce, fees, gas)

    def build_anchor_tx(
        self, tree_size: int, root_hash: bytes, proof: Sequence[bytes], nonce: int, fees: Fees
    ) -> SignedTx:
        data = self.abi.encode_call("anchor", tree_size, root_hash, [bytes(p) for p in proof])
        gas = self.estimate_gas(data, self.contract_address, "anchor")
        return self.sign(data, self.contract_address, nonce, fees, gas)

    def send_raw(self, raw: bytes) -> bytes:
        tx_hash = keccak(raw)
        try:
            returned = self.request("eth_sendRawTransaction", ["0x" + raw.hex()])
        except NodeError as error:
            message = error.message.lower()
            if "already known" in message or "known transaction" in message or "already imported" in message:
                return tx_hash
            if "nonce too low" in message or "correct nonce" in message or "nonce has already been used" in message:
                raise NonceTooLow(f"{self.description}: {error.message}") from None
            if "underpriced" in message or "higher gas price" in message or "already in the pool" in message:
                raise ReplacementUnderpriced(f"{self.description}: {error.message}") from None
            raise TransactionRejected(f"{self.description} refused the transaction: {error.message}") from None
        if returned is not None and _hexbytes(returned) != tx_hash:
            log.warning("node returned hash %s for transaction %s", returned, "0x" + tx_hash.hex())
        return tx_hash

    def transaction_status(self, tx_hash: bytes) -> TxStatus:
        tx_hex = "0x" + bytes(tx_hash).hex()
        receipt = self.request("eth_getTransactionReceipt", [tx_hex])
        if receipt is not None and receipt.get("blockNumber") is not None:
            number = _hexint(receipt["blockNumber"])
            head = self.block_number()
            return TxStatus(
                "mined",
                block_number=number,
                block_hash=_hexbytes(receipt["blockHash"]),
                succeeded=_hexint(receipt.get("status", "0x1")) == 1,
                gas_used=_hexint(receipt["gasUsed"]),
                confirmations=max(0, head - number + 1),
            )
        tx = self.request("eth_getTransactionByHash", [tx_hex])
        if tx is None:
            return TxStatus("unknown")
        if tx.get("maxFeePerGas") is not None:
            fees = Fees(_hexint(tx["maxFeePerGas"]), _hexint(tx["maxPriorityFeePerGas"]))
        else:
            fees = Fees(gas_price=_hexint(tx["gasPrice"]))
        return TxStatus("pending", fees=fees)

    def wait_mined(self, tx_hash: bytes, confirmations: int | None = None, function: str = "") -> TxStatus:
        """Poll until the transaction is mined (and ``confirmations`` deep); raises RetryLater on timeout."""
        wanted = self.settings.confirmations if confirmations is None else confirmations
        deadline = time.monotonic() + self.settings.receipt_timeout_s
        while True:
            status = self.transaction_status(tx_hash)
            if status.state == "mined" and status.confirmations >= wanted:
                return status
            if time.monotonic() > deadline:
                raise RetryLater(
                    f"{function or 'transaction'} 0x{tx_hash.hex()} not mined within {self.settings.receipt_timeout_s} s",
                    tx_hash=tx_hash,
                )
            time.sleep(self.settings.poll_interval_s)

    def transact(self, data: bytes, to: bytes | None, function: str) -> tuple[SignedTx, TxStatus]:
        """Simulate, sign, send and wait: the path of every transaction but anchors."""
        with self._send_lock:
            gas = self.estimate_gas(data, to, function)
            signed = self.sign(data, to, self.next_nonce(), self.suggest_fees(), gas)
            self.send_raw(signed.raw)
        status = self.wait_mined(signed.tx_hash, function=function)
        if not status.succeeded:
            raise self._replay_failure(data, to, status, function)
        return signed, status

    def _replay_failure(self, data: bytes, to: bytes | None, status: TxStatus, function: str) -> ContractReverted:
        """A mined transaction that reverted: replay it on the state before its block to learn why."""
        call: dict[str, Any] = {"from": self._checksum(self._operator), "data": "0x" + data.hex()}
        if to is not None:
            call["to"] = self._checksum(to)
        try:
            self.request("eth_call", [call, hex(max(0, (status.block_number or 1) - 1))])
        except NodeError as error:
            reverted = self._revert(error, function)
            if isinstance(reverted, ContractReverted):
                return reverted
        return ContractReverted("unknown", (), b"", function)

    def deploy(self, admin: bytes, anchorer: bytes, registrar: bytes) -> tuple[bytes, TxOutcome]:
        """Deploy SaksiLedger from the operator; returns its address and the deployment's outcome."""
        data = self.abi.encode_deploy(self._checksum(admin), self._checksum(anchorer), self._checksum(registrar))
        signed, status = self.transact(data, None, "constructor")
        receipt = self.request("eth_getTransactionReceipt", ["0x" + signed.tx_hash.hex()])
        address = to_canonical_address(receipt["contractAddress"])
        return address, TxOutcome(signed.tx_hash, status.block_number or 0, status.gas_used or 0)

    # --- the agency registry ---

    def _registry_tx(self, function: str, *args: Any) -> TxOutcome:
        signed, status = self.transact(self.abi.encode_call(function, *args), self.contract_address, function)
        return TxOutcome(signed.tx_hash, status.block_number or 0, status.gas_used or 0)

    def register_agency(self, code: str, signer: bytes) -> TxOutcome:
        return self._registry_tx("registerAgency", code, self._checksum(signer))

    def rotate_agency_signer(self, code: str, new_signer: bytes) -> TxOutcome:
        return self._registry_tx("rotateAgencySigner", code, self._checksum(new_signer))

    def revoke_agency(self, code: str) -> TxOutcome:
        return self._registry_tx("revokeAgency", code)

    # --- events ---

    def _logs(self, topics: list[Any], from_block: int, to_block: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        start = max(from_block, 0)
        while start <= to_block:
            end = min(to_block, start + self.settings.log_range - 1)
            query = {
                "address": self._checksum(self.contract_address),
                "fromBlock": hex(start),
                "toBlock": hex(end),
                "topics": topics,
            }
            try:
                out += self.request("eth_getLogs", [query]) or []
            except NodeError as error:
                raise RetryLater(f"{self.description}: eth_getLogs {start}-{end} failed: {error.message}") from None
            start = end + 1
        out = [entry for entry in out if not entry.get("removed")]
        out.sort(key=lambda entry: (_hexint(entry["blockNumber"]), _hexint(entry["logIndex"])))
        return out

    def _decoded(self, entry: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        return self.abi.decode_log([_hexbytes(t) for t in entry["topics"]], _hexbytes(entry["data"]))

    def registry_events(self, from_block: int, to_block: int) -> list[RegistryEvent]:
        names = {"AgencyRegistered": "registered", "AgencySignerRotated": "rotated", "AgencyRevoked": "revoked"}
        topics = [["0x" + self.abi.event_topic(name).hex() for name in names]]
        events: list[RegistryEvent] = []
        for entry in self._logs(topics, from_block, to_block):
            decoded = self._decoded(entry)
            if decoded is None:
                continue
            name, args = decoded
            number = _hexint(entry["blockNumber"])
            signer = args.get("newSigner", args.get("signer"))
            previous = args.get("previousSigner")
            events.append(
                RegistryEvent(
                    kind=names[name],  # type: ignore[arg-type]
                    code=args["code"],
                    signer=to_canonical_address(signer),
                    previous_signer=to_canonical_address(previous) if previous else None,
                    block_number=number,
                    timestamp_ms=self.block_timestamp_ms(number),
                    tx_hash=_hexbytes(entry["transactionHash"]),
                    log_index=_hexint(entry["logIndex"]),
                )
            )
        return events

    def checkpoint_events(self, from_block: int, to_block: int, tree_size: int | None = None) -> list[CheckpointEvent]:
        topics: list[Any] = ["0x" + self.abi.event_topic("CheckpointAnchored").hex()]
        if tree_size is not None:
            topics.append("0x" + tree_size.to_bytes(32, "big").hex())
        out = []
        for entry in self._logs(topics, from_block, to_block):
            decoded = self._decoded(entry)
            if decoded is None:
                continue
            _, args = decoded
            out.append(
                CheckpointEvent(
                    tree_size=args["treeSize"],
                    root_hash=bytes(args["rootHash"]),
                    previous_size=args["previousSize"],
                    block_number=_hexint(entry["blockNumber"]),
                    tx_hash=_hexbytes(entry["transactionHash"]),
                    log_index=_hexint(entry["logIndex"]),
                )
            )
        return out

    def find_anchor(self, tree_size: int, from_block: int | None = None) -> CheckpointEvent | None:
        start = self.settings.start_block if from_block is None else from_block
        found = self.checkpoint_events(start, self.block_number(), tree_size)
        return found[-1] if found else None

    # --- dev chains ---

    def dev(self, method: str, *params: Any) -> Any:
        """A dev-node call (``evm_mine``, ``evm_snapshot``…); only where ``capabilities.dev_controls``."""
        try:
            return self.request(method, params)
        except NodeError as error:
            raise TransactionRejected(f"{self.description}: {method} failed: {error.message}") from None
