"""`saksi verify BUNDLE [--policy FILE] [--api URL] [--rpc URL]`: check a proof bundle without the Saksi server.

Step 2 (FORMATS 10.3) checks the checkpoint's signed note: the log's signature and the witnesses'
cosignatures against a C2SP tlog-policy (`--policy`, the verifier's own file; or, with `--api`, the policy
and log key the server publishes). It never fails for want of witnesses, it says so: who witnessed, or
that no independent witness has yet. Steps 7 and 8 need the chain: the root the contract anchored, and
the agency registry, which is the contract's registered/rotated/revoked events placed in time by their
blocks. Without a chain the bundle is checked for internal consistency only, and the command says so and
fails unless `--allow-partial` accepts that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.markup import escape

from ledger.checker.verify import (
    NOT_INDEPENDENT,
    chain_source,
    chain_trust,
    load_policy,
    server_trust,
    witness_json,
    witness_line,
)
from ledger.cli.app import JsonFlag, app, console, err_console
from ledger.core.bundle import ProofBundle
from ledger.core.verify import verify_bundle
from ledger.errors import InvalidInput, NotFound, VerificationFailed


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


@app.command()
def verify(
    bundle_path: Annotated[Path, typer.Argument(metavar="BUNDLE", help="A saksi.proof-bundle/v1 JSON file.")],
    rpc: Annotated[
        str | None,
        typer.Option("--rpc", help="EVM JSON-RPC URL of the bundle's chain: checks the anchored root and the signers."),
    ] = None,
    policy_path: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            metavar="FILE",
            help="A C2SP tlog-policy (your own copy): the log key and the witnesses whose quorum must cosign.",
        ),
    ] = None,
    api: Annotated[
        str | None,
        typer.Option(
            "--api",
            envvar="SAKSI_API",
            help="The Saksi server: its /v1/info logVkey (and witnessPolicy, without --policy), only as trustworthy as it.",
        ),
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
    policy = None if policy_path is None else load_policy(policy_path)
    log_vkey = None
    if api:
        published = server_trust(api)
        log_vkey = published.log_vkey
        policy = policy or published.policy
    source = chain_source(rpc, data_dir, from_block)
    root_at = authorised = None
    server_window = False
    if source is not None:
        root_at, authorised, server_window = chain_trust(bundle, source, int(registry_tolerance * 1000))
    report = verify_bundle(bundle, root_at=root_at, signer_authorised=authorised, policy=policy, log_vkey=log_vkey)
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
                "witnesses": witness_json(report.witnesses),
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
        if report.witnesses is not None:
            mark = "[green]✓[/green]" if report.witnesses.status == "pass" else "[yellow]![/yellow]"
            console.print(f"{mark} {escape(witness_line(report.witnesses))}", highlight=False, soft_wrap=True)
        if server_window:
            err_console.print(f"[yellow]note:[/yellow] {NOT_INDEPENDENT}", highlight=False, soft_wrap=True)
    if partial:
        message = (
            "checked for internal consistency only: without the chain neither the anchored root (step 7) "
            "nor the agency registry (step 8, the most important trust input) was checked; pass --rpc URL"
        )
        if not allow_partial:
            raise VerificationFailed(message + ", or --allow-partial to accept that")
        err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False, soft_wrap=True)
