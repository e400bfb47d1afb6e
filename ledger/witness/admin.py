"""What the `saksi witness` commands do: create a witness, add a log, list the logs, serve."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.core.note import Cosigner, Vkey, public_key_of
from ledger.errors import Conflict, InvalidInput
from ledger.witness.config import Layout, WitnessConfig, add_log, origin_hash, parse_log_vkey, read_logs
from ledger.witness.files import FileLocks, create_exclusive, make_private_dir
from ledger.witness.keystore import read_key, write_key
from ledger.witness.state import StateStore
from ledger.witness.witness import Witness


def init_witness(data_dir: Path, name: str, password: str, *, demo: bool = False) -> Vkey:
    """A new witness in `data_dir` (mode 0700): its key, encrypted, and witness.json; returns its vkey."""
    layout = Layout(data_dir)
    if layout.config.exists() or layout.key.exists():
        raise Conflict(f"{data_dir} already holds a witness; refusing to overwrite it")
    if data_dir.exists() and any(data_dir.iterdir()):
        raise Conflict(f"{data_dir} is not empty; give a new directory for the witness")
    seed = os.urandom(32)
    try:
        vkey = Vkey.cosigner(name, public_key_of(seed))
    except InvalidInput as exc:
        raise InvalidInput(f"--name: {exc.message}") from None
    make_private_dir(data_dir)
    os.chmod(data_dir, 0o700)
    write_key(layout.key, seed, password, str(vkey), demo=demo)
    create_exclusive(layout.config, WitnessConfig(name, vkey, demo).to_json())
    return vkey


def add_witnessed_log(data_dir: Path, vkey_text: str, origin: str | None = None) -> tuple[str, Vkey]:
    entry = add_log(Layout(data_dir), FileLocks(), parse_log_vkey(vkey_text), origin)
    return entry.origin, entry.vkey


@dataclass(frozen=True)
class LogRow:
    origin: str
    origin_hash: str
    vkey: str
    cosigned_size: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "origin": self.origin,
            "originHash": self.origin_hash,
            "vkey": self.vkey,
            "cosignedSize": self.cosigned_size,
        }


def list_logs(data_dir: Path) -> tuple[WitnessConfig, list[LogRow]]:
    layout = Layout(data_dir)
    config = WitnessConfig.load(layout)
    store = StateStore(layout)
    rows = []
    for entry in read_logs(layout):
        latest = store.latest(entry.origin)
        size = None if latest is None else latest.checkpoint.tree_size
        rows.append(LogRow(entry.origin, origin_hash(entry.origin), str(entry.vkey), size))
    return config, rows


def open_witness(data_dir: Path, password: str) -> Witness:
    layout = Layout(data_dir)
    config = WitnessConfig.load(layout)
    seed, vkey = read_key(layout.key, password)
    if vkey != str(config.vkey):
        raise InvalidInput(f"{layout.key} is not the key of the witness in {layout.config}")
    return Witness(layout, Cosigner(config.name, seed))


def configure_logging() -> None:
    """The witness's lines (already JSON) on stderr, one a line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("saksi.witness")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


#: h11, not httptools: h11 holds at most 16 KiB of an unfinished request line and header block, where
#: httptools takes a header block of any size. A witness answers few requests; bounded memory matters more.
UVICORN_OPTIONS: dict[str, Any] = {"http": "h11", "log_config": None, "access_log": False, "lifespan": "off"}


def check_port_free(host: str, port: int) -> None:
    """A port another server listens on is refused with one line, before anything is served."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise Conflict(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve(witness: Witness, host: str, port: int) -> None:
    import uvicorn

    from ledger.witness.app import create_app
    from ledger.witness.witness import log_event

    check_port_free(host, port)
    configure_logging()
    # uvicorn stops gracefully on SIGTERM, then raises it again at the handler it found: the default
    # would end the process with 143. With a handler of ours found instead, a stop exits 0.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: None)
    log_event(
        logging.INFO,
        "serving",
        witness=str(witness.config.vkey),
        demo=witness.config.demo,
        logs=list(witness.logs.origins()),
        url=f"http://{host}:{port}",
    )
    uvicorn.run(create_app(witness), host=host, port=port, **UVICORN_OPTIONS)
    log_event(logging.INFO, "stopped")
