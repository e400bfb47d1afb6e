"""The chain port: what the services need from an EVM chain running the SaksiLedger contract, by role.

:class:`ChainReader` reads and needs no key (audit, verify, monitor, the services' reads);
:class:`Anchorer` and :class:`Registrar` hold a key and sign; :class:`ChainPort` is all three, as the
operator's server holds them.

Two adapters implement it: :class:`ledger.chain.rpc.RpcChain` (any JSON-RPC endpoint: anvil, ganache, a
consortium network, an L2) and :class:`ledger.chain.embedded.EmbeddedChain` (py-evm in process, kept in the
data directory). Both sign locally with the operator key, so the node never holds it. What an adapter cannot
do it says in :class:`Capabilities` rather than failing halfway.

Errors follow :mod:`ledger.errors`: a node that does not answer is :class:`~ledger.errors.ChainUnavailable`
(retry later); a call the contract refuses is :class:`ContractReverted`, carrying the custom error's name
and arguments (a conflict with the chain's state); a transaction the node refuses is
:class:`TransactionRejected`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from ledger.errors import Conflict, InvalidInput

# --- values -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a chain adapter can and cannot do; services branch on these, never on the adapter's type."""

    #: Blocks can leave the canonical chain after they were mined (any real network; anvil's
    #: ``evm_revert``). False: a mined block is final.
    reorgs: bool
    #: Transactions can wait in a pool before they are mined, and be replaced or dropped there.
    #: False: a transaction is mined (or refused) before ``send_raw`` returns.
    mempool: bool
    #: A mined transaction is final at once, so confirmation depth is meaningless.
    instant_finality: bool
    #: Dev-chain controls (``evm_mine``, ``evm_snapshot``/``evm_revert``, unlocked accounts).
    dev_controls: bool


@dataclass(frozen=True, slots=True)
class Fees:
    """Fee parameters of one transaction: EIP-1559 (``max_fee_per_gas`` + priority) or legacy ``gas_price``."""

    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_price: int | None = None

    def __post_init__(self) -> None:
        dynamic = self.max_fee_per_gas is not None and self.max_priority_fee_per_gas is not None
        if dynamic == (self.gas_price is not None):
            raise ValueError("fees are either max_fee_per_gas + max_priority_fee_per_gas, or gas_price")

    @property
    def is_dynamic(self) -> bool:
        return self.gas_price is None

    def bumped(self, percent: int) -> Fees:
        """These fees raised by ``percent`` (at least 1 wei each), as a replacement transaction needs."""

        def up(value: int) -> int:
            return max(value + 1, value * (100 + percent) // 100 + (1 if value * percent % 100 else 0))

        if self.is_dynamic:
            return Fees(up(self.max_fee_per_gas or 0), up(self.max_priority_fee_per_gas or 0))
        return Fees(gas_price=up(self.gas_price or 0))

    def at_least(self, other: Fees) -> Fees:
        """The larger of two fee settings of the same kind, field by field."""
        if self.is_dynamic and other.is_dynamic:
            return Fees(
                max(self.max_fee_per_gas or 0, other.max_fee_per_gas or 0),
                max(self.max_priority_fee_per_gas or 0, other.max_priority_fee_per_gas or 0),
            )
        if not self.is_dynamic and not other.is_dynamic:
            return Fees(gas_price=max(self.gas_price or 0, other.gas_price or 0))
        return self

    def to_json(self) -> dict[str, int]:
        if self.is_dynamic:
            return {
                "maxFeePerGas": self.max_fee_per_gas or 0,
                "maxPriorityFeePerGas": self.max_priority_fee_per_gas or 0,
            }
        return {"gasPrice": self.gas_price or 0}


@dataclass(frozen=True, slots=True)
class SignedTx:
    """A transaction signed by the operator but not sent yet: record ``tx_hash`` first, then ``send_raw(raw)``."""

    tx_hash: bytes
    raw: bytes
    nonce: int
    fees: Fees
    gas: int


@dataclass(frozen=True, slots=True)
class TxStatus:
    """Where a transaction stands on the node asked.

    ``unknown``: the node has never seen it, or forgot it (dropped from the pool, or its block left the chain).
    """

    state: Literal["pending", "mined", "unknown"]
    block_number: int | None = None
    block_hash: bytes | None = None
    succeeded: bool | None = None
    gas_used: int | None = None
    #: Blocks from the transaction's block to the head, both included (1 = just mined); 0 unless mined.
    confirmations: int = 0
    #: For a pending transaction: the fees it offers (to price a replacement).
    fees: Fees | None = None


@dataclass(frozen=True, slots=True)
class TxOutcome:
    """A transaction mined successfully."""

    tx_hash: bytes
    block_number: int
    gas_used: int


AgencyStatus = Literal["unknown", "active", "revoked"]
AGENCY_STATUSES: tuple[AgencyStatus, ...] = ("unknown", "active", "revoked")


@dataclass(frozen=True, slots=True)
class AgencyRecord:
    """``agency(code)`` on chain. ``signer`` stays readable after revocation."""

    code: str
    signer: bytes
    status: AgencyStatus
    updated_at_block: int


@dataclass(frozen=True, slots=True)
class RegistryEvent:
    """One ``AgencyRegistered`` / ``AgencySignerRotated`` / ``AgencyRevoked`` log, in chain order."""

    kind: Literal["registered", "rotated", "revoked"]
    code: str
    #: The signer from this event on (registered, rotated) or the signer revoked.
    signer: bytes
    previous_signer: bytes | None
    block_number: int
    #: The block's timestamp, unix milliseconds.
    timestamp_ms: int
    tx_hash: bytes
    log_index: int


@dataclass(frozen=True, slots=True)
class CheckpointEvent:
    """One ``CheckpointAnchored`` log."""

    tree_size: int
    root_hash: bytes
    previous_size: int
    block_number: int
    tx_hash: bytes
    log_index: int


# --- errors -------------------------------------------------------------------------------------------


class ChainIdMismatch(InvalidInput):
    """The node serves another chain than the one configured: refuse to sign anything for it."""

    kind = "chain-id-mismatch"

    def __init__(self, expected: int, actual: int, url: str = "") -> None:
        where = f"node {url}" if url else "the node"
        super().__init__(f"{where} serves chain id {actual}, configured {expected}", expected=expected, actual=actual)
        self.expected = expected
        self.actual = actual


class ContractMissing(InvalidInput):
    """No contract code at the configured address (wrong address, or a chain that was reset)."""

    kind = "contract-missing"


class ContractReverted(Conflict):
    """The contract refused the call: its custom error by name, with the arguments it carried.

    ``error_name`` is e.g. ``SaksiLedgerTreeNotGrowing``; ``error_args`` its arguments in ABI order
    (addresses as 0x-checksummed strings, bytes32 as bytes).
    """

    kind = "contract-reverted"

    def __init__(self, error_name: str, error_args: Sequence[Any] = (), data: bytes = b"", function: str = "") -> None:
        shown = ", ".join("0x" + a.hex() if isinstance(a, (bytes, bytearray)) else repr(a) for a in error_args)
        where = f"{function}: " if function else ""
        super().__init__(f"{where}reverted with {error_name}({shown})", error=error_name, data=bytes(data))
        self.error_name = error_name
        self.error_args = tuple(error_args)
        self.data = bytes(data)
        self.function = function


class TransactionRejected(Conflict):
    """The node refused a transaction before mining it (nonce, fee, funds...); ``reason`` says which."""

    kind = "transaction-rejected"

    def __init__(self, message: str, reason: str = "other", **evidence: Any) -> None:
        super().__init__(message, reason=reason, **evidence)
        self.reason = reason


class NonceTooLow(TransactionRejected):
    """The nonce is already used by a mined transaction of the sender."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="nonce-too-low")


class ReplacementUnderpriced(TransactionRejected):
    """A transaction with this nonce waits in the pool and offers at least as much."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="replacement-underpriced")


# --- the port, by role ---------------------------------------------------------------------------------


@runtime_checkable
class ChainReader(Protocol):
    """What anyone may read of the chain with no key: the contract's roots, checkpoint and registry events,
    block times. The audit, ``saksi verify``, the witness monitor and the services' own reads use this role;
    :mod:`ledger.chain.reader` has the adapters (JSON-RPC, the embedded chain's store read-only)."""

    capabilities: Capabilities

    @property
    def chain_id(self) -> int: ...

    @property
    def contract_address(self) -> bytes: ...

    def block_number(self) -> int: ...

    def block_timestamp_ms(self, block_number: int) -> int: ...

    # reads of the ledger contract (at the head unless ``block`` is given)

    def latest_checkpoint(self) -> tuple[int, bytes]:
        """(tree size, root) of the latest anchored checkpoint; (0, 32 zero bytes) before the first."""
        ...

    def root_at(self, tree_size: int) -> bytes | None:
        """The root anchored for ``tree_size``, or None if that size was never anchored."""
        ...

    def agency(self, code: str) -> AgencyRecord: ...

    def transaction_status(self, tx_hash: bytes) -> TxStatus: ...

    def find_anchor(self, tree_size: int, from_block: int | None = None) -> CheckpointEvent | None:
        """The ``CheckpointAnchored`` event of ``tree_size`` on the canonical chain, if any."""
        ...

    # events, oldest first, both bounds included

    def registry_events(self, from_block: int, to_block: int) -> list[RegistryEvent]: ...

    def checkpoint_events(self, from_block: int, to_block: int) -> list[CheckpointEvent]: ...

    def close(self) -> None:
        """Release the connection (an embedded node's store); reads after it are undefined."""
        ...


@runtime_checkable
class Anchorer(ChainReader, Protocol):
    """The anchoring worker's role: it holds the operator key and signs ``anchor`` transactions."""

    @property
    def operator(self) -> bytes:
        """Address of the operator key that signs every transaction."""
        ...

    # anchoring: build and record first, send second

    def next_nonce(self) -> int:
        """The operator's next nonce counting transactions waiting in the pool."""
        ...

    def mined_nonce(self) -> int:
        """The operator's next nonce counting mined transactions only (> n means nonce n is consumed)."""
        ...

    def suggest_fees(self) -> Fees: ...

    def build_anchor_tx(
        self, tree_size: int, root_hash: bytes, proof: Sequence[bytes], nonce: int, fees: Fees
    ) -> SignedTx:
        """Simulate and sign ``anchor(treeSize, rootHash, proof)``; a revert raises :class:`ContractReverted`."""
        ...

    def send_raw(self, raw: bytes) -> bytes:
        """Broadcast a signed transaction; returns its hash (also when the node already knew it)."""
        ...


@runtime_checkable
class Registrar(ChainReader, Protocol):
    """The agency registry's writer: it holds the registrar key; each call returns once mined."""

    @property
    def operator(self) -> bytes:
        """Address of the key that signs the registry's transactions."""
        ...

    def register_agency(self, code: str, signer: bytes) -> TxOutcome: ...

    def rotate_agency_signer(self, code: str, new_signer: bytes) -> TxOutcome: ...

    def revoke_agency(self, code: str) -> TxOutcome: ...


@runtime_checkable
class ChainPort(Anchorer, Registrar, Protocol):
    """All three roles in one adapter, as the operator's server holds them (one key: see DESIGN)."""
