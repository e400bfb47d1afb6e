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
    SERVERS_POLICY,
    TlogProofReport,
    chain_source,
    chain_trust,
    is_tlog_proof,
    load_policy,
    server_trust,
    verify_tlog_proof_file,
    witness_json,
    witness_line,
)
from ledger.cli.app import JsonFlag, app, console, err_console
from ledger.core.bundle import ProofBundle
from ledger.core.encoding import hex0x
from ledger.core.verify import verify_bundle
from ledger.errors import InvalidInput, NotFound, VerificationFailed


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise NotFound(f"cannot read {path}: {exc.strerror}") from None


def load_bundle(path: Path, raw: bytes | None = None) -> ProofBundle:
    raw = read_file(path) if raw is None else raw
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}") from None
    return ProofBundle.from_json(data)


@app.command()
def verify(
    bundle_path: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="A saksi.proof-bundle/v1 JSON file, or a c2sp.org/tlog-proof@v1 file."),
    ],
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
    """Verify a proof bundle (steps 1-6 offline, 2 with a witness policy, 7-8 with the chain) or a tlog-proof."""
    raw = read_file(bundle_path)
    policy = None if policy_path is None else load_policy(policy_path)
    log_vkey = None
    if api:
        published = server_trust(api)
        log_vkey = published.log_vkey
        if policy is None and published.policy is not None:
            policy = published.policy
            err_console.print(f"[yellow]note:[/yellow] {SERVERS_POLICY}", highlight=False, soft_wrap=True)
    if is_tlog_proof(raw):
        if rpc or data_dir:
            err_console.print(
                "[yellow]note:[/yellow] a tlog-proof is checked against the witness policy; --rpc and --data-dir "
                "apply to proof bundles",
                highlight=False,
                soft_wrap=True,
            )
        _tlog_proof(verify_tlog_proof_file(raw, policy=policy, log_vkey=log_vkey), allow_partial, json_out)
        return
    bundle = load_bundle(bundle_path, raw)
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


def _tlog_proof(report: TlogProofReport, allow_partial: bool, json_out: bool) -> None:
    if json_out:
        console.print_json(data=report.to_json())
    else:
        label = "[yellow]PARTIAL[/yellow]" if report.partial else "[green]OK[/green]"
        where = escape(f"leaf {report.leaf_index} in tree of size {report.tree_size} ({report.origin})")
        console.print(f"{label} {where}", highlight=False, soft_wrap=True)
        console.print("  [green]✓[/green] the inclusion proof leads to the checkpoint's root")
        console.print(f"  [green]✓[/green] the leaf's signature recovers to {hex0x(report.signer)}")
        w = report.witnesses
        mark = "[green]✓[/green]" if w.status == "pass" else "[yellow]![/yellow]"
        console.print(f"{mark} {escape(witness_line(w))}", highlight=False, soft_wrap=True)
    if report.partial:
        message = (
            "nothing authenticates this proof's checkpoint: without a witness policy (--policy FILE) or the "
            "log's key (--api URL) its signatures were not checked"
        )
        if not allow_partial:
            raise VerificationFailed(message + "; or --allow-partial to accept that")
        err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False, soft_wrap=True)
