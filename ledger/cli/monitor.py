"""`saksi monitor --api URL [--rpc URL] [--policy FILE | --log-key VKEY]`: an independent monitor.

With a chain (--rpc, or --data-dir's config) it holds the API to the checkpoints the contract accepted;
independent as long as the RPC is: on the embedded chain the only RPC is the server's own window
(POST /chain-rpc), and the monitor says so. With a witness policy or the log's key it checks the log's
signed checkpoint, its cosignatures and quorum, its growth, and what each policy witness with a URL
cosigned, and keeps the evidence of a split view (FORMATS 11.8)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from ledger.checker.log_watch import LogWatch
from ledger.checker.monitor import Monitor
from ledger.checker.verify import NOT_INDEPENDENT, chain_source, connect_reader, load_policy
from ledger.cli.app import JsonFlag, app, console, err_console
from ledger.core.encoding import parse_address
from ledger.core.note import Vkey
from ledger.core.policy import Policy
from ledger.errors import ChainUnavailable, InvalidInput

SERVERS_WORD = (
    "the log key and witness policy were read from the server (GET /v1/info): pass --policy FILE (or --log-key) "
    "with a copy you trust"
)


@app.command()
def monitor(
    api: Annotated[str, typer.Option(help="The Saksi API to hold to the chain.")],
    rpc: Annotated[
        str | None, typer.Option(help="An EVM JSON-RPC endpoint you trust (default: the --data-dir config's chain).")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Without --rpc: follow the chain named in this data directory's config."),
    ] = None,
    contract: Annotated[
        str | None, typer.Option(help="Ledger contract (default: as the API says in /v1/info).")
    ] = None,
    policy_path: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="A C2SP tlog-policy (your own copy): the log key, the witnesses whose quorum must cosign, "
            "and the witness URLs whose checkpoints are compared with the log's.",
        ),
    ] = None,
    log_key: Annotated[
        str | None,
        typer.Option("--log-key", help="The log's C2SP vkey, to check its signed checkpoint without a policy."),
    ] = None,
    state: Annotated[Path, typer.Option(help="Where the monitor keeps its state (resumes from it).")] = Path(
        "saksi-witness.json"
    ),
    evidence_dir: Annotated[
        Path | None,
        typer.Option("--evidence-dir", help="Where evidence of misbehaviour is kept (default: beside --state)."),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Check once; exit 1 on any alert.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between checks.")] = 15.0,
    from_block: Annotated[
        int | None,
        typer.Option(help="First block to follow (the contract's deployment block; default 0, or the config's)."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Hold the API to the chain's checkpoints and to its signed, witnessed log; alert on any discrepancy."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request drowns the alerts
    source = chain_source(rpc, data_dir, from_block)
    policy = None if policy_path is None else load_policy(policy_path)
    vkey = None if log_key is None else Vkey.parse(log_key)
    client = httpx.Client(base_url=api.rstrip("/"), timeout=15)
    try:
        info = client.get("/v1/info").raise_for_status().json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ChainUnavailable(f"cannot read {api}/v1/info: {exc}") from None
    if policy is None and vkey is None and isinstance(info.get("logVkey"), str):
        vkey = Vkey.parse(info["logVkey"])
        published = info.get("witnessPolicy")
        policy = Policy.parse(published) if isinstance(published, str) else None
        err_console.print(f"[yellow]note:[/yellow] {SERVERS_WORD}", highlight=False, soft_wrap=True)
    if source is None and policy is None and vkey is None:
        raise InvalidInput(
            "nothing to hold the API to: give a chain (--rpc URL, or --data-dir with the chain in its config) "
            "and/or the log's trust (--policy FILE or --log-key VKEY)"
        )
    chain_checkpoints = chain_head = None
    start_block = 0
    if source is not None:
        address = parse_address("contract", contract or info["contract"])
        # the chain the API says it anchors on: a node serving another one is refused
        chain, server_window = connect_reader(source.url, int(info["chainId"]), address)
        if server_window:
            err_console.print(f"[yellow]note:[/yellow] {NOT_INDEPENDENT}", highlight=False, soft_wrap=True)

        def chain_checkpoints(a: int, b: int) -> list[tuple[int, int, bytes]]:
            return [(e.block_number, e.tree_size, e.root_hash) for e in chain.checkpoint_events(a, b)]

        chain_head, start_block = chain.block_number, source.from_block
    watch = None
    if policy is not None or vkey is not None:
        evidence = evidence_dir or state.with_name(state.stem + "-evidence")
        watch = LogWatch(client, log_vkey=vkey, policy=policy, evidence_dir=evidence)
    monitor_ = Monitor(client, chain_checkpoints, chain_head, state, start_block=start_block, log_watch=watch)
    while True:
        alerts = monitor_.check_once()
        log_view = monitor_.state.log.checkpoint()
        if json_out:
            console.print_json(
                data={
                    "treeSize": monitor_.state.tree_size,
                    "signedTreeSize": None if log_view is None else log_view.tree_size,
                    "witnesses": monitor_.state.log.witnesses,
                    "alerts": [a.to_json() for a in alerts],
                }
            )
        elif not alerts:  # alerts are logged as they are found (ledger.monitor, ERROR)
            console.print(_all_clear(monitor_, source is not None, log_view), highlight=False, soft_wrap=True)
        if once:
            raise typer.Exit(1 if alerts else 0)
        time.sleep(interval)


def _all_clear(monitor_: Monitor, chain: bool, log_view) -> str:
    parts = []
    if chain:
        parts.append(f"witnessed up to tree size {monitor_.state.tree_size}: consistent with the chain")
    if log_view is not None:
        seen = monitor_.state.log.witnesses
        witnesses = f"; consistent with {len(seen)} witness(es)' checkpoints" if seen else ""
        parts.append(f"signed checkpoint of size {log_view.tree_size} verified{witnesses}")
    return "; ".join(parts) or "nothing to check yet"
