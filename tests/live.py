"""Serve an app with uvicorn in a background thread on a free loopback port, or `saksi serve` as a
process of its own (tests only)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from api.request_limits import uvicorn_options


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    """Poll `predicate` until it returns something truthy (returned), or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app, port: int | None = None) -> Iterator[str]:
    """`app` on http://127.0.0.1:PORT (a free port unless given: a restart serves on the same one)."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", **uvicorn_options())
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class SaksiProcess:
    """`saksi serve` as a process of its own: what a crash (a segfault) would end, what `kill -9` stops,
    and what a restart brings back on the same port and data directory.

    `with SaksiProcess(...) as server:` or `server = SaksiProcess(...).start()`; `stop()` is SIGTERM (then
    SIGKILL after 20 s), `kill9()` is SIGKILL, and `start()` again restarts it. By default it serves the
    API alone (`--no-workers`: no anchoring, no registry mirror); `workers=True` runs the whole server.
    stderr of every run is appended to `log_path`.
    """

    def __init__(self, data_dir, password: str, log_path, *, workers: bool = False, port: int | None = None) -> None:
        self.data_dir, self.password, self.log_path, self.workers = data_dir, password, Path(log_path), workers
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 60.0) -> SaksiProcess:
        env = {**os.environ, "SAKSI_PASSWORD": self.password}
        command = [sys.executable, "-m", "ledger.cli", "serve", *([] if self.workers else ["--no-workers"])]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*command, "--data-dir", str(self.data_dir), "--port", str(self.port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + timeout_s
        while not self.answers():
            if time.monotonic() > deadline or not self.alive:
                raise RuntimeError(f"saksi serve did not start: {self.log_tail()}")
            time.sleep(0.05)
        return self

    def __enter__(self) -> SaksiProcess:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM, as an operator stops it; SIGKILL if it has not exited after 20 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill9(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed that was not already."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def answers(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def get(self, path: str, status: int = 200) -> dict | None:
        """The JSON body of GET `path` when it answers `status`, else None (also when it does not answer)."""
        try:
            response = httpx.get(self.url + path, timeout=5)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == status else None

    def rss_bytes(self) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def log_tail(self, size: int = 4000) -> str:
        return self.log_path.read_bytes()[-size:].decode(errors="replace")
