"""The chain's side of an audit: anchored roots, anchored checkpoints and the registry's history."""

from __future__ import annotations

from ledger.chain.port import ChainPort
from ledger.services.auditor import SignerWindow


def chain_trust_inputs(chain: ChainPort, from_block: int = 0) -> dict:
    """root_at, chain_checkpoints and chain_registry for :class:`Auditor`, read from the contract's events."""
    head = chain.block_number()
    checkpoints = {e.tree_size: e.root_hash for e in chain.checkpoint_events(from_block, head)}
    windows: list[SignerWindow] = []
    open_window: dict[str, SignerWindow] = {}
    for event in chain.registry_events(from_block, head):
        current = open_window.pop(event.code, None)
        if current is not None:
            windows.append(SignerWindow(current.agency, current.signer, current.valid_from, event.timestamp_ms))
        if event.kind in ("registered", "rotated"):
            open_window[event.code] = SignerWindow(event.code, event.signer, event.timestamp_ms, None)
    windows += open_window.values()
    return {"root_at": chain.root_at, "chain_checkpoints": checkpoints, "chain_registry": windows}
