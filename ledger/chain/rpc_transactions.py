"""The JSON-RPC adapter's transactions: nonces, fees, signing, sending and waiting (the Anchorer and
Registrar roles), and the deployment of the ledger contract.

Every transaction is signed locally with the operator key (the node never holds one); the adapter's
send lock keeps two of its own from taking the same nonce.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eth_utils import keccak, to_canonical_address

from ledger.chain.port import (
    ContractReverted,
    Fees,
    NonceTooLow,
    ReplacementUnderpriced,
    SignedTx,
    TransactionRejected,
    TxOutcome,
    TxStatus,
)
from ledger.chain.rpc_node import NodeError, RpcNode, hexbytes, hexint, log
from ledger.errors import InvalidInput, RetryLater


class RpcTransactions(RpcNode):
    """Signed transactions over JSON-RPC: anchors (built here, sent by the anchoring worker), the
    registry's register/rotate/revoke, and deployment."""

    # --- nonces and fees ---

    def next_nonce(self) -> int:
        return hexint(self.request("eth_getTransactionCount", [self._checksum(self._operator), "pending"]))

    def mined_nonce(self) -> int:
        return hexint(self.request("eth_getTransactionCount", [self._checksum(self._operator), "latest"]))

    def balance(self, address: bytes | None = None) -> int:
        return hexint(self.request("eth_getBalance", [self._checksum(address or self._operator), "latest"]))

    def suggest_fees(self) -> Fees:
        """EIP-1559 fees (2 × base fee + tip) when the latest block has a base fee, else the legacy gas price."""
        if self.settings.fee_mode != "legacy":
            base = self.block("latest").get("baseFeePerGas")
            if base is not None:
                try:
                    tip = hexint(self.request("eth_maxPriorityFeePerGas"))
                except NodeError:
                    tip = self.settings.default_priority_fee
                fees = Fees(2 * hexint(base) + tip, tip)
                return self._capped(fees)
            if self.settings.fee_mode == "eip1559":
                raise TransactionRejected(f"{self.description} has no base fee: it does not support EIP-1559")
        return self._capped(Fees(gas_price=hexint(self.request("eth_gasPrice"))))

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
            estimate = hexint(self.request("eth_estimateGas", [call, "latest"]))
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
        if returned is not None and hexbytes(returned) != tx_hash:
            log.warning("node returned hash %s for transaction %s", returned, "0x" + tx_hash.hex())
        return tx_hash

    def transaction_status(self, tx_hash: bytes) -> TxStatus:
        tx_hex = "0x" + bytes(tx_hash).hex()
        receipt = self.request("eth_getTransactionReceipt", [tx_hex])
        if receipt is not None and receipt.get("blockNumber") is not None:
            number = hexint(receipt["blockNumber"])
            head = self.block_number()
            return TxStatus(
                "mined",
                block_number=number,
                block_hash=hexbytes(receipt["blockHash"]),
                succeeded=hexint(receipt.get("status", "0x1")) == 1,
                gas_used=hexint(receipt["gasUsed"]),
                confirmations=max(0, head - number + 1),
            )
        tx = self.request("eth_getTransactionByHash", [tx_hex])
        if tx is None:
            return TxStatus("unknown")
        if tx.get("maxFeePerGas") is not None:
            fees = Fees(hexint(tx["maxFeePerGas"]), hexint(tx["maxPriorityFeePerGas"]))
        else:
            fees = Fees(gas_price=hexint(tx["gasPrice"]))
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
