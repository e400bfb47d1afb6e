"""`saksi verify BUNDLE [--rpc URL]`: check a proof bundle without the Saksi server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from ledger.cli.app import JsonFlag, app, console
from ledger.core.bundle import ProofBundle
from ledger.core.verify import verify_bundle
from ledger.errors import ChainUnavailable, InvalidInput, NotFound, VerificationFailed


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


def chain_root_reader(rpc_url: str, bundle: ProofBundle):
    """rootAt(treeSize) on the bundle's contract, through any EVM JSON-RPC endpoint."""
    from web3 import Web3
    from web3.exceptions import ContractLogicError

    from ledger.chain.solc import load_artifact

    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 15}))
    try:
        chain_id = w3.eth.chain_id
    except Exception as exc:  # noqa: BLE001 - any transport failure
        raise ChainUnavailable(f"cannot reach {rpc_url}: {exc}") from None
    if chain_id != bundle.domain.chain_id:
        raise VerificationFailed(
            f"the RPC serves chain {chain_id}, the bundle was anchored on chain {bundle.domain.chain_id}"
        )
    contract = w3.eth.contract(
        address=Web3.to_checksum_address(bundle.domain.verifying_contract), abi=load_artifact()["abi"]
    )

    def root_at(tree_size: int) -> bytes:
        try:
            return bytes(contract.functions.rootAt(tree_size).call())
        except ContractLogicError:
            raise VerificationFailed(f"the contract has no anchored root for tree size {tree_size}") from None
        except Exception as exc:  # noqa: BLE001
            raise ChainUnavailable(f"rootAt({tree_size}) failed: {exc}") from None

    return root_at


@app.command()
def verify(
    bundle_path: Annotated[Path, typer.Argument(metavar="BUNDLE", help="A saksi.proof-bundle/v1 JSON file.")],
    rpc: Annotated[str | None, typer.Option("--rpc", help="EVM JSON-RPC URL: also check the root on chain.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Verify a proof bundle offline; with --rpc also against the anchored root on chain."""
    bundle = load_bundle(bundle_path)
    root_at = chain_root_reader(rpc, bundle) if rpc else None
    report = verify_bundle(bundle, root_at=root_at)
    if json_out:
        console.print_json(
            data={
                "ok": True,
                "treeSize": report.tree_size,
                "events": report.events,
                "checked": report.checked,
                "skipped": report.skipped,
            }
        )
        return
    console.print(f"[green]OK[/green] {report.events} event(s) in tree of size {report.tree_size}")
    for step in report.checked:
        console.print(f"  [green]✓[/green] {step}")
    for step in report.skipped:
        console.print(f"  [yellow]–[/yellow] {step}")
