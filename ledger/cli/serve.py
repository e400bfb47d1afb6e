"""`saksi serve` and `saksi anchor`: the API with its background workers, and one anchoring pass."""

from __future__ import annotations

import errno
import gc
import logging
import signal
import socket
import sys
import threading
from typing import Annotated

import typer

from ledger.cli.app import DEFAULT_DATA_DIR, DEFAULT_RECURSION_LIMIT, DataDir, JsonFlag, app, console, password
from ledger.config import Settings
from ledger.core.encoding import hex0x
from ledger.errors import Conflict
from ledger.runtime import Runtime, anchor_everything, build_runtime, run_background


def settle_heap() -> None:
    """Keep garbage collection out of request latency.

    Everything alive once the app is built (FastAPI, SQLAlchemy, web3, py-evm) lives as long as
    the process. Left in the collector's oldest generation, each full collection walks all of it:
    pauses during which no request moves, long enough to show in the p99 and max of the `latency`
    and `load` benchmarks (benchmarks/results.json). Frozen, the collector only walks what was
    allocated since.
    """
    gc.collect()
    gc.freeze()


def share_the_interpreter() -> None:
    """Hand the interpreter lock round every 1 ms instead of 5: the event loop, the writer and the
    readers take turns, and a request waiting for its turn behind CPU-bound threads waits less."""
    sys.setswitchinterval(0.001)


def ensure_port_free(host: str, port: int) -> None:
    """Refuse a port another server listens on, before anything is prepared or printed for it.

    SO_REUSEADDR as uvicorn binds: a port that only has connections closing (TIME_WAIT) is free."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Conflict(
                    f"port {port} on {host} is already in use: pass another with --port (make demo PORT=8090)"
                ) from None
            raise Conflict(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM is how service managers stop a server: uvicorn shuts down gracefully on it, then
    raises it again at the handler it found, which by default ends the process with 143. A handler
    of ours is found instead, so the workers stop, the chain and store close, and the exit is 0."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: None)


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
    from api.state import app_state

    app = create_app(
        runtime.settings,
        ledger=runtime.ledger,
        chain_probe=runtime.chain.block_number,
        anchor_status=runtime.worker.status if workers else None,
        witness_status=runtime.witnesses.status if workers and runtime.witnesses is not None else None,
        # on the embedded chain the citizen page, verify and monitor read it through this server
        chain_request=runtime.chain.request if runtime.settings.chain == "embedded" else None,
    )

    def count_gas(result) -> None:
        for gas in result.gas_used.values():
            app_state(app).metrics.anchor_gas.inc(gas)

    settle_heap()
    share_the_interpreter()
    keep_default_recursion_limit()
    stop = threading.Event()
    background = threading.Thread(
        target=run_background, args=(runtime, stop), kwargs={"on_tick": count_gas}, name="saksi-workers", daemon=True
    )
    # witnesses answer at their own pace: their own thread, so a slow one never holds up anchoring
    witnessing = None
    if workers and runtime.witnesses is not None:
        witnessing = threading.Thread(target=runtime.witnesses.run, args=(stop,), name="saksi-witnessing", daemon=True)
    if workers:
        background.start()
        if witnessing is not None:
            witnessing.start()
    exit_cleanly_on_sigterm()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, **uvicorn_options())
    finally:
        stop.set()
        if workers:
            background.join(timeout=10)
            if witnessing is not None:
                witnessing.join(timeout=10)
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
    settings = Settings.load(data_dir)
    ensure_port_free(host, port)
    runtime = build_runtime(settings, password(), serving=True)
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
        runtime.mirror.sync()
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
