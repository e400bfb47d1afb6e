"""`saksi monitor --api URL --rpc URL`: an independent witness of the checkpoints the chain accepted.

Independent as long as the RPC is: on the embedded chain the only RPC is the server's own window
(POST /chain-rpc), and the monitor says so."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from ledger.checker.monitor import Monitor
from ledger.checker.verify import NOT_INDEPENDENT, chain_source, connect_reader
from ledger.cli.app import JsonFlag, app, console, err_console
from ledger.core.encoding import parse_address
from ledger.errors import ChainUnavailable, InvalidInput


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
    state: Annotated[Path, typer.Option(help="Where the witness keeps its state (resumes from it).")] = Path(
        "saksi-witness.json"
    ),
    once: Annotated[bool, typer.Option("--once", help="Check once; exit 1 on any alert.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between checks.")] = 15.0,
    from_block: Annotated[
        int | None,
        typer.Option(help="First block to follow (the contract's deployment block; default 0, or the config's)."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Follow the contract's checkpoints; alert when the API serves another root or cannot prove consistency."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request drowns the alerts
    source = chain_source(rpc, data_dir, from_block)
    if source is None:
        raise InvalidInput("say which chain to hold the API to: --rpc URL (or --data-dir with the chain in its config)")
    client = httpx.Client(base_url=api.rstrip("/"), timeout=15)
    try:
        info = client.get("/v1/info").raise_for_status().json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ChainUnavailable(f"cannot read {api}/v1/info: {exc}") from None
    address = parse_address("contract", contract or info["contract"])
    # the chain the API says it anchors on: a node serving another one is refused
    chain, server_window = connect_reader(source.url, int(info["chainId"]), address)
    if server_window:
        err_console.print(f"[yellow]note:[/yellow] {NOT_INDEPENDENT}", highlight=False, soft_wrap=True)
    witness = Monitor(
        client,
        lambda a, b: [(e.block_number, e.tree_size, e.root_hash) for e in chain.checkpoint_events(a, b)],
        chain.block_number,
        state,
        start_block=source.from_block,
    )
    while True:
        alerts = witness.check_once()
        if json_out:
            console.print_json(data={"treeSize": witness.state.tree_size, "alerts": [a.to_json() for a in alerts]})
        elif not alerts:
            console.print(f"witnessed up to tree size {witness.state.tree_size}: consistent with the chain")
        if once:
            raise typer.Exit(1 if alerts else 0)
        time.sleep(interval)
