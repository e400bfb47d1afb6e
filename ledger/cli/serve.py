"""`saksi serve` and `saksi anchor`: the API with its background workers, and one anchoring pass."""

from __future__ import annotations

import gc
import logging
import sys
import threading
from typing import Annotated

import typer

from ledger.cli.app import DEFAULT_DATA_DIR, DataDir, JsonFlag, app, console, password
from ledger.config import Settings
from ledger.core.encoding import hex0x
from ledger.runtime import Runtime, anchor_everything, build_runtime, run_background


def settle_heap() -> None:
    """Keep garbage collection out of request latency.

    Everything alive once the app is built (FastAPI, SQLAlchemy, web3, py-evm: about a million
    objects) lives as long as the process. Left in the collector's oldest generation, each full
    collection walks all of it: 60-100 ms pauses during which no request moves. Frozen, the
    collector only walks what was allocated since; a full collection then takes a few ms.
    """
    gc.collect()
    gc.freeze()


def share_the_interpreter() -> None:
    """Hand the interpreter lock round every 1 ms instead of 5: the event loop, the writer and the
    readers take turns, and a request waiting for its turn behind CPU-bound threads waits less."""
    sys.setswitchinterval(0.001)


def serve_runtime(runtime: Runtime, host: str, port: int, workers: bool = True) -> None:
    import uvicorn

    from api.app import create_app

    app = create_app(
        runtime.settings,
        ledger=runtime.ledger,
        chain_probe=runtime.chain.block_number,
        anchor_status=runtime.workers[1].status if workers else None,
        # on the embedded chain the citizen page reads anchored roots through this server
        chain_root_at=runtime.chain.root_at if runtime.settings.chain == "embedded" else None,
    )

    def count_gas(result) -> None:
        for gas in result.gas_used.values():
            app.state.metrics.anchor_gas.inc(gas)

    settle_heap()
    share_the_interpreter()
    stop = threading.Event()
    background = threading.Thread(
        target=run_background, args=(runtime, stop), kwargs={"on_tick": count_gas}, name="saksi-workers", daemon=True
    )
    if workers:
        background.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
    finally:
        stop.set()
        if workers:
            background.join(timeout=10)
        runtime.close()


@app.command()
def serve(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    no_workers: Annotated[
        bool, typer.Option("--no-workers", help="Serve only; no anchoring or registry sync.")
    ] = False,
) -> None:
    """Serve the API, the citizen page and the dashboard, with the anchoring worker and registry mirror."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime = build_runtime(Settings.load(data_dir), password(), serving=True)
    serve_runtime(runtime, host, port, workers=not no_workers)


@app.command()
def anchor(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for the anchor to be mined.")] = 120.0,
    json_out: JsonFlag = False,
) -> None:
    """Anchor the tree as it is now (whatever the thresholds) and wait until it is mined.

    Safe while `saksi serve` runs: an anchor its worker has in flight is waited for, not raced."""
    runtime = build_runtime(Settings.load(data_dir), password())
    try:
        runtime.workers[0].sync()
        result, status = anchor_everything(runtime, timeout_s=timeout)
    finally:
        runtime.close()
    data = {
        "treeSize": status.tree_size,
        "anchoredSize": status.anchored_size,
        "txHash": None if result.tx_hash is None else hex0x(result.tx_hash),
        "notes": list(result.notes),
    }
    if json_out:
        console.print_json(data=data)
    else:
        console.print(f"anchored tree size {status.anchored_size} (of {status.tree_size})")
