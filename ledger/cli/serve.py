"""`saksi serve` and `saksi anchor`: the API with its background workers, and one anchoring pass."""

from __future__ import annotations

import gc
import logging
import sys
import threading
from typing import Annotated

import typer

from ledger.cli.app import DEFAULT_DATA_DIR, DEFAULT_RECURSION_LIMIT, DataDir, JsonFlag, app, console, password
from ledger.config import Settings
from ledger.core.encoding import hex0x
from ledger.errors import SaksiError
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


def keep_default_recursion_limit() -> None:
    """Serve with the interpreter's default recursion limit.

    py_ecc (through web3 and eth-account) and py-evm raise it for the whole process when imported
    (to 100,000 and 12,288), for their own deep recursion; the EVM runs in a child process here. With
    the limit raised, any recursive C code (the standard library's JSON parser, for one) runs past
    the thread's C stack before Python stops it: a request body nested 100,000 deep was a segfault.
    At the default, such code raises RecursionError instead. Both are imported first, so that no later
    import raises the limit again.
    """
    import eth  # noqa: F401 - imported for its side effect, which is then undone
    import py_ecc  # noqa: F401

    sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)


def serve_runtime(runtime: Runtime, host: str, port: int, workers: bool = True) -> None:
    import uvicorn

    from api.app import create_app
    from api.request_limits import uvicorn_options

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
    keep_default_recursion_limit()
    stop = threading.Event()
    background = threading.Thread(
        target=run_background, args=(runtime, stop), kwargs={"on_tick": count_gas}, name="saksi-workers", daemon=True
    )
    if workers:
        background.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, **uvicorn_options())
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
    json_out: JsonFlag = False,
) -> None:
    """Anchor the current tree now (whatever the thresholds) and wait until it is mined."""
    runtime = build_runtime(Settings.load(data_dir), password())
    try:
        runtime.workers[0].sync()
        result, status = anchor_everything(runtime)
    finally:
        runtime.close()
    if status.lag_leaves:
        raise SaksiError(f"{status.lag_leaves} leaves are still not anchored: {status.last_error or 'try again'}")
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
