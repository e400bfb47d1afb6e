"""The chain's side of an audit: anchored roots, anchored checkpoints and the registry's history."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ledger.chain.port import ChainPort, RegistryEvent
from ledger.services.auditor import SignerWindow

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
    """`signer_authorised(agency, signer, receivedAt)` for :func:`ledger.core.verify.verify_bundle` (step 7)."""
    by_agency: dict[str, list[SignerWindow]] = {}
    for window in windows:
        by_agency.setdefault(window.agency, []).append(window)

    def authorised(agency: str, signer: bytes, received_at: int) -> bool:
        return any(w.signer == signer and w.covers(received_at, tolerance_ms) for w in by_agency.get(agency, ()))

    return authorised


def chain_trust_inputs(chain: ChainPort, from_block: int = 0) -> dict:
    """root_at, chain_checkpoints and chain_registry for :class:`Auditor`, read from the contract's events."""
    head = chain.block_number()
    checkpoints = {e.tree_size: e.root_hash for e in chain.checkpoint_events(from_block, head)}
    windows = signer_windows(chain.registry_events(from_block, head))
    return {"root_at": chain.root_at, "chain_checkpoints": checkpoints, "chain_registry": windows}
