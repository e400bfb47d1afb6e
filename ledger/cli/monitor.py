"""`saksi monitor --api URL --rpc URL`: an independent witness of the checkpoints the chain accepted."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from ledger.cli.app import JsonFlag, app, console
from ledger.core.encoding import parse_address
from ledger.services.monitor import Monitor


@app.command()
def monitor(
    api: Annotated[str, typer.Option(help="The Saksi API to hold to the chain.")],
    rpc: Annotated[str, typer.Option(help="An EVM JSON-RPC endpoint you trust.")],
    contract: Annotated[
        str | None, typer.Option(help="Ledger contract (default: as the API says in /v1/info).")
    ] = None,
    state: Annotated[Path, typer.Option(help="Where the witness keeps its state (resumes from it).")] = Path(
        "saksi-witness.json"
    ),
    once: Annotated[bool, typer.Option("--once", help="Check once; exit 1 on any alert.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between checks.")] = 15.0,
    from_block: Annotated[int, typer.Option(help="First block to follow (the contract's deployment block).")] = 0,
    json_out: JsonFlag = False,
) -> None:
    """Follow the contract's checkpoints; alert when the API serves another root or cannot prove consistency."""
    from ledger.chain.nodes import rpc as rpc_call
    from ledger.chain.rpc import RpcChain

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    client = httpx.Client(base_url=api.rstrip("/"), timeout=15)
    info = client.get("/v1/info").json()
    address = parse_address("contract", contract or info["contract"])
    chain_id = int(rpc_call(rpc, "eth_chainId"), 16)
    # reads only: a throwaway key, never funded, never used to sign
    chain = RpcChain.connect(rpc, chain_id, os.urandom(32), address)
    witness = Monitor(
        client,
        lambda a, b: [(e.block_number, e.tree_size, e.root_hash) for e in chain.checkpoint_events(a, b)],
        chain.block_number,
        state,
        start_block=from_block,
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
