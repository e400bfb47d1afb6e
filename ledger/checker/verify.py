"""Steps 6 and 7 of verifying a proof bundle (FORMATS 10.3) read the chain: the root the contract anchored,
and the agency registry, which is the contract's registered/rotated/revoked events placed in time by their
blocks. Read through a key-less :class:`~ledger.chain.reader.ChainReaderAdapter`, never the server's code
(`saksi verify` and `saksi monitor` share it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.core.bundle import ProofBundle
from ledger.core.encoding import hex0x
from ledger.core.verify import STEPS
from ledger.errors import ChainUnavailable, InvalidInput, VerificationFailed

if TYPE_CHECKING:  # web3 loads on first use, not with every CLI command
    from ledger.chain.reader import ChainReaderAdapter

#: The prefix of `web3_clientVersion` on a Saksi server's POST /chain-rpc (api.chain_window).
SERVER_WINDOW = "saksi-chain-rpc/"
NOT_INDEPENDENT = (
    "the chain was read through the Saksi server's own window on its embedded chain (POST /chain-rpc): "
    "the on-chain checks are only as independent as that server; a deployment anchors on a chain you can ask directly"
)


@dataclass(frozen=True)
class ChainSource:
    """Where verify and monitor read the chain: an RPC URL and the first block worth scanning."""

    url: str
    from_block: int = 0


def chain_source(rpc: str | None, data_dir: Path | None, from_block: int | None) -> ChainSource | None:
    """--rpc, else the chain in --data-dir's config; None when neither is given.

    The embedded chain lives inside `saksi serve`: it is read through that server's POST /chain-rpc."""
    if rpc:
        return ChainSource(rpc, from_block or 0)
    if data_dir is None:
        return None
    from ledger.config import Settings

    settings = Settings.load(data_dir)
    if settings.chain == "embedded":
        raise InvalidInput(
            f"{data_dir} uses the embedded chain, which only its server can read: "
            "pass --rpc http://HOST:PORT/chain-rpc (the address `saksi serve` listens on)"
        )
    return ChainSource(settings.chain, settings.deploy_block if from_block is None else from_block)


def connect_reader(url: str, chain_id: int, contract: bytes) -> tuple[ChainReaderAdapter, bool]:
    """A read-only adapter on ``url`` bound to ``contract``, and whether it is a Saksi server's own window."""
    from ledger.chain.port import ChainIdMismatch, ContractMissing
    from ledger.chain.reader import ChainReaderAdapter
    from ledger.chain.rpc import NodeError, RpcSettings

    try:
        # reads only: a reader holds no key at all
        chain = ChainReaderAdapter.connect(url, chain_id, contract, RpcSettings(request_timeout_s=15.0))
    except ChainIdMismatch as exc:
        raise VerificationFailed(
            f"the RPC serves chain {exc.actual}, the bundle was anchored on chain {chain_id}"
        ) from None
    except ContractMissing:
        raise VerificationFailed(f"there is no contract at {hex0x(contract)} on the chain {url} serves") from None
    except NodeError as exc:
        raise ChainUnavailable(f"{url} refused {exc.method}: {exc.message}") from None
    return chain, chain.client_version().startswith(SERVER_WINDOW)


def chain_trust(bundle: ProofBundle, source: ChainSource, tolerance_ms: int):
    """root_at and signer_authorised for :func:`verify_bundle`, read from the bundle's contract."""
    from ledger.audit.inputs import signer_authorised, signer_windows

    chain, server_window = connect_reader(source.url, bundle.domain.chain_id, bundle.domain.verifying_contract)

    def root_at(tree_size: int) -> bytes:
        root = chain.root_at(tree_size)
        if root is None:
            raise VerificationFailed(f"{STEPS[5]}: the contract has no anchored root for tree size {tree_size}")
        return root

    head = chain.block_number()
    windows = signer_windows(chain.registry_events(source.from_block, head))
    return root_at, signer_authorised(windows, tolerance_ms), server_window
