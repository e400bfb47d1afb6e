"""A witness in a temporary data directory (demo KDF), served by uvicorn on a free loopback port, and
TEST log keys. TEST KEYS AND PASSWORDS ONLY."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from ledger.witness.admin import UVICORN_OPTIONS, add_witnessed_log, init_witness, open_witness
from ledger.witness.app import create_app
from ledger.witness.witness import Witness
from tests.live import free_port
from tests.witness.spec_client import Log, LogKey

PASSWORD = "TEST-witness-password"
WITNESS_NAME = "test.example/witness"
LOG_NAME = "test.example/log"
CLOCK = 1_800_000_000  # a fixed TEST time, so cosignatures are reproducible


def leaves(n: int, tag: bytes = b"leaf") -> list[bytes]:
    return [tag + b" %d" % i for i in range(n)]


@dataclass
class Served:
    witness: Witness
    url: str
    data_dir: Path
    log: Log
    client: httpx.Client

    def post(self, body: bytes, **kwargs) -> httpx.Response:
        return self.client.post(self.url + "/add-checkpoint", content=body, **kwargs)

    def files(self) -> dict[str, bytes]:
        """Every file under state/ and evidence/ with its bytes (lock files included)."""
        out = {}
        for sub in ("state", "evidence"):
            for path in sorted((self.data_dir / sub).rglob("*")):
                if path.is_file():
                    out[str(path.relative_to(self.data_dir))] = path.read_bytes()
        return out


@pytest.fixture
def log_key() -> LogKey:
    return LogKey(LOG_NAME, bytes(range(32)))  # TEST seed


@pytest.fixture
def witness_dir(tmp_path, log_key) -> Path:
    data_dir = tmp_path / "witness"
    init_witness(data_dir, WITNESS_NAME, PASSWORD, demo=True)
    add_witnessed_log(data_dir, log_key.vkey)
    return data_dir


@pytest.fixture
def served(witness_dir, log_key) -> Iterator[Served]:
    witness = open_witness(witness_dir, PASSWORD)
    witness._clock = lambda: CLOCK
    with serve_app(create_app(witness)) as url, httpx.Client(timeout=30) as client:
        yield Served(witness, url, witness_dir, Log(log_key, leaves(40)), client)


class serve_app:
    """uvicorn as `saksi witness serve` runs it (default protocol), in a thread."""

    def __init__(self, app) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, **UVICORN_OPTIONS)
        self.server = uvicorn.Server(config)

    def __enter__(self) -> str:
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
