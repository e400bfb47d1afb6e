"""The audit's trust inputs, the chain's side: anchored checkpoints (their logs), anchored roots and the
registry's history, and :class:`ChainEvidence`, how the checks hold them.

An auditor needs no key: only reads. :class:`ChainReader` is what the audit reads, so any adapter that can
answer it will do (the JSON-RPC adapter built without a key, the embedded chain's store opened read-only, or
a server's read-only window onto its chain).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from ledger.audit.report import SignerWindow
from ledger.chain.port import CheckpointEvent, RegistryEvent

#: How far registry times (block timestamps) and receivedAt (the ledger's clock) may disagree; the
#: service also learns of a registry change only when its mirror syncs. The audit allows as much.
REGISTRY_TOLERANCE_MS = 300_000


def signer_windows(events: Iterable[RegistryEvent]) -> list[SignerWindow]:
    """Who signed for each agency from when until when, from the registry's events in chain order."""
    windows: list[SignerWindow] = []
    open_window: dict[str, SignerWindow] = {}
    for event in events:
        current = open_window.pop(event.code, None)
        if current is not None:
            windows.append(SignerWindow(current.agency, current.signer, current.valid_from, event.timestamp_ms))
        if event.kind in ("registered", "rotated"):
            open_window[event.code] = SignerWindow(event.code, event.signer, event.timestamp_ms, None)
    return windows + list(open_window.values())


def signer_authorised(
    windows: Iterable[SignerWindow], tolerance_ms: int = REGISTRY_TOLERANCE_MS
) -> Callable[[str, bytes, int], bool]:
    """`signer_authorised(agency, signer, receivedAt)` for :func:`ledger.core.verify.verify_bundle` (step 8)."""
    by_agency: dict[str, list[SignerWindow]] = {}
    for window in windows:
        by_agency.setdefault(window.agency, []).append(window)

    def authorised(agency: str, signer: bytes, received_at: int) -> bool:
        return any(w.signer == signer and w.covers(received_at, tolerance_ms) for w in by_agency.get(agency, ()))

    return authorised


class ChainReader(Protocol):
    """The reads an audit makes of the chain; nothing here signs."""

    @property
    def chain_id(self) -> int: ...

    @property
    def contract_address(self) -> bytes: ...

    def block_number(self) -> int: ...

    def root_at(self, tree_size: int) -> bytes | None: ...

    def checkpoint_events(self, from_block: int, to_block: int) -> list[CheckpointEvent]: ...

    def registry_events(self, from_block: int, to_block: int) -> list[RegistryEvent]: ...


def chain_trust_inputs(chain: ChainReader, from_block: int = 0) -> dict[str, Any]:
    """The trust inputs for :class:`Auditor`, read from the contract's events up to the current head:
    its CheckpointAnchored logs, rootAt, the registry's signer windows, and which chain and contract."""
    head = chain.block_number()
    anchors = chain.checkpoint_events(from_block, head)
    windows = signer_windows(chain.registry_events(from_block, head))
    return {
        "root_at": chain.root_at,
        "chain_anchors": anchors,
        "chain_registry": windows,
        "chain_id": chain.chain_id,
        "contract": chain.contract_address,
        "chain_head": head,
    }


@dataclass(frozen=True)
class ChainAnchor:
    """What the chain itself says about one anchored size: its ``CheckpointAnchored`` log (where known)."""

    tree_size: int
    root_hash: bytes
    tx_hash: bytes | None = None  # None: the caller gave roots only (no log), so tx and block are not compared
    block_number: int | None = None


@dataclass(frozen=True)
class ChainEvidence:
    """The chain's side of an audit, read without any key."""

    anchors: Mapping[int, ChainAnchor]
    root_at: Callable[[int], bytes | None] | None = None
    chain_id: int | None = None
    contract: bytes | None = None
    head_block: int | None = None

    @classmethod
    def of(
        cls,
        anchors: Iterable[Any] | Mapping[int, bytes] | None,
        root_at: Callable[[int], bytes | None] | None,
        chain_id: int | None = None,
        contract: bytes | None = None,
        head_block: int | None = None,
    ) -> ChainEvidence | None:
        """From CheckpointEvent-like logs (tree_size, root_hash, tx_hash, block_number) or a size -> root map."""
        if anchors is None and root_at is None:
            return None
        found: dict[int, ChainAnchor] = {}
        if isinstance(anchors, Mapping):
            found = {int(s): ChainAnchor(int(s), bytes(r)) for s, r in anchors.items()}
        elif anchors is not None:
            for e in cast(
                Iterable[Any], anchors
            ):  # oldest first: a later log of the same size (the contract refuses one) wins
                found[e.tree_size] = ChainAnchor(e.tree_size, bytes(e.root_hash), bytes(e.tx_hash), e.block_number)
        return cls(found, root_at, chain_id, contract, head_block)
