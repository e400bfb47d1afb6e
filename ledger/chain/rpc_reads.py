"""The JSON-RPC adapter's reads: the ledger contract's views and its events (the ChainReader role).

Nothing here signs; a key-less :class:`ledger.chain.rpc.RpcChain` (an audit, a verifier) has all of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_utils import to_canonical_address

from ledger.chain.port import AGENCY_STATUSES, AgencyRecord, CheckpointEvent, ContractReverted, RegistryEvent
from ledger.chain.rpc_node import NodeError, RpcNode, hexbytes, hexint
from ledger.errors import RetryLater


class RpcReads(RpcNode):
    """Reads of the ledger contract over JSON-RPC: calls, checkpoints, the registry, logs."""

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
        return self.abi.decode_output(function, hexbytes(result))

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
        out.sort(key=lambda entry: (hexint(entry["blockNumber"]), hexint(entry["logIndex"])))
        return out

    def _decoded(self, entry: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
        return self.abi.decode_log([hexbytes(t) for t in entry["topics"]], hexbytes(entry["data"]))

    def registry_events(self, from_block: int, to_block: int) -> list[RegistryEvent]:
        names = {"AgencyRegistered": "registered", "AgencySignerRotated": "rotated", "AgencyRevoked": "revoked"}
        topics = [["0x" + self.abi.event_topic(name).hex() for name in names]]
        events: list[RegistryEvent] = []
        for entry in self._logs(topics, from_block, to_block):
            decoded = self._decoded(entry)
            if decoded is None:
                continue
            name, args = decoded
            number = hexint(entry["blockNumber"])
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
                    tx_hash=hexbytes(entry["transactionHash"]),
                    log_index=hexint(entry["logIndex"]),
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
                    block_number=hexint(entry["blockNumber"]),
                    tx_hash=hexbytes(entry["transactionHash"]),
                    log_index=hexint(entry["logIndex"]),
                )
            )
        return out

    def find_anchor(self, tree_size: int, from_block: int | None = None) -> CheckpointEvent | None:
        start = self.settings.start_block if from_block is None else from_block
        found = self.checkpoint_events(start, self.block_number(), tree_size)
        return found[-1] if found else None
