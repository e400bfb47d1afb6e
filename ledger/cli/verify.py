"""`saksi verify BUNDLE [--rpc URL]`: check a proof bundle without the Saksi server.

Steps 6 and 7 (FORMATS 10.3) need the chain: the root the contract anchored, and the agency
registry, which is the contract's registered/rotated/revoked events placed in time by their blocks.
Without a chain the bundle is checked for internal consistency only, and the command says so and
fails unless `--allow-partial` accepts that.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import orjson
import typer

from ledger.cli.app import JsonFlag, app, console, err_console
from ledger.core.bundle import ProofBundle
from ledger.core.encoding import hex0x
from ledger.core.verify import STEPS, verify_bundle
from ledger.errors import ChainUnavailable, InvalidInput, NotFound, SaksiError, VerificationFailed

#: The prefix of `web3_clientVersion` on a Saksi server's POST /chain-rpc (api.routers.chain).
SERVER_WINDOW = "saksi-chain-rpc/"
NOT_INDEPENDENT = (
    "the chain was read through the Saksi server's own window on its embedded chain (POST /chain-rpc): "
    "the on-chain checks are only as independent as that server; a deployment anchors on a chain you can ask directly"
)


def load_bundle(path: Path) -> ProofBundle:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NotFound(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}") from None
    return ProofBundle.from_json(data)


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


def connect_reader(url: str, chain_id: int, contract: bytes):
    """A read-only adapter on ``url`` bound to ``contract``, and whether it is a Saksi server's own window."""
    from ledger.chain.port import ChainIdMismatch, ContractMissing
    from ledger.chain.rpc import NodeError, RpcChain, RpcSettings

    try:
        # reads only: a throwaway key, never funded, never used to sign
        chain = RpcChain.connect(url, chain_id, os.urandom(32), contract, RpcSettings(request_timeout_s=15.0))
    except ChainIdMismatch as exc:
        raise VerificationFailed(
            f"the RPC serves chain {exc.actual}, the bundle was anchored on chain {chain_id}"
        ) from None
    except ContractMissing:
        raise VerificationFailed(f"there is no contract at {hex0x(contract)} on the chain {url} serves") from None
    except NodeError as exc:
        raise ChainUnavailable(f"{url} refused {exc.method}: {exc.message}") from None
    try:
        client = chain.request("web3_clientVersion")
    except SaksiError:
        client = ""
    return chain, isinstance(client, str) and client.startswith(SERVER_WINDOW)


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


@app.command()
def verify(
    bundle_path: Annotated[Path, typer.Argument(metavar="BUNDLE", help="A saksi.proof-bundle/v1 JSON file.")],
    rpc: Annotated[
        str | None,
        typer.Option("--rpc", help="EVM JSON-RPC URL of the bundle's chain: checks the anchored root and the signers."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Without --rpc: read the chain named in this data directory's config."),
    ] = None,
    from_block: Annotated[
        int | None, typer.Option(help="First block of the registry's history (default 0, or the config's).")
    ] = None,
    registry_tolerance: Annotated[
        float, typer.Option(help="Seconds block times and receivedAt may disagree (as the audit allows).")
    ] = 300.0,
    allow_partial: Annotated[
        bool,
        typer.Option("--allow-partial", help="Without a chain, exit 0 after checking internal consistency only."),
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Verify a proof bundle: offline steps 1-5, then with the chain its anchored root (6) and signers (7)."""
    bundle = load_bundle(bundle_path)
    source = chain_source(rpc, data_dir, from_block)
    root_at = authorised = None
    server_window = False
    if source is not None:
        root_at, authorised, server_window = chain_trust(bundle, source, int(registry_tolerance * 1000))
    report = verify_bundle(bundle, root_at=root_at, signer_authorised=authorised)
    partial = source is None
    if json_out:
        console.print_json(
            data={
                "ok": not partial,
                "partial": partial,
                "treeSize": report.tree_size,
                "events": report.events,
                "checked": report.checked,
                "skipped": report.skipped,
                "chain": None if source is None else {"rpc": source.url, "independent": not server_window},
            }
        )
    else:
        label = "[yellow]PARTIAL[/yellow]" if partial else "[green]OK[/green]"
        console.print(f"{label} {report.events} event(s) in tree of size {report.tree_size}")
        for step in report.checked:
            console.print(f"  [green]✓[/green] {step}")
        for step in report.skipped:
            console.print(f"  [yellow]–[/yellow] {step}")
        if server_window:
            err_console.print(f"[yellow]note:[/yellow] {NOT_INDEPENDENT}", highlight=False, soft_wrap=True)
    if partial:
        message = (
            "checked for internal consistency only: without the chain neither the anchored root (step 6) "
            "nor the agency registry (step 7, the most important trust input) was checked; pass --rpc URL"
        )
        if not allow_partial:
            raise VerificationFailed(message + ", or --allow-partial to accept that")
        err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False, soft_wrap=True)
