"""The embedded node in a child process of its own, for long-running servers.

py-evm is pure Python: executing, mining and persisting one anchoring transaction costs CPU, all of
it holding the interpreter lock. Inside ``saksi serve`` that time is taken from the requests (in
process, every anchor showed in the single-event POST p99). In a child process the
EVM runs beside the API, on the other core, and the server's anchoring thread only waits on a pipe;
the `latency` and `load` figures of benchmarks/results.json are measured that way.

The protocol is JSON-RPC's own shape, one JSON document per line on the child's stdin/stdout:
``{"method", "params"}`` in, ``{"result"}`` or ``{"error": {"code", "message", "data"}}`` out.
The child exits when its stdin closes, which is also what happens when the server is killed
(``kill -9`` included), so an orphan never keeps the chain's lock for longer than the block it is
writing; a new child waits a few seconds for that lock before giving up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from ledger.chain.embedded_node import ChainDataError, ChainDataLocked, EmbeddedNode, EmbeddedSettings
from ledger.chain.embedded_rpc import RpcError
from ledger.errors import ChainUnavailable

#: How long a new child waits for the chain's lock (an orphan of a killed server may hold it briefly).
LOCK_WAIT_S = 10.0
_READY = b'{"ready":true}\n'


class NodeProcess:
    """Drop-in for :class:`~ledger.chain.embedded.EmbeddedNode` (``request`` and ``close``), served
    by ``python -m ledger.chain.embedded_process`` over a pipe. Thread-safe: one request at a time."""

    def __init__(
        self, data_dir: Path, chain_id: int, funded: tuple[bytes, ...], lock_wait_s: float = LOCK_WAIT_S
    ) -> None:
        self._args = [str(data_dir), str(chain_id), ",".join(a.hex() for a in funded), str(lock_wait_s)]
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._start()

    def _start(self) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger.chain.embedded_process", *self._args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # the child's errors land in the server's log
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert process.stdout is not None
        first = process.stdout.readline()
        if first == _READY:
            self._process = process
            return
        process.kill()
        process.wait()
        try:
            error = orjson.loads(first)["error"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise ChainUnavailable(f"the embedded chain process did not start (exit {process.returncode})") from None
        kinds = {"chain-data-locked": ChainDataLocked, "chain-data": ChainDataError}
        raise kinds.get(error.get("kind"), ChainUnavailable)(error.get("message", "embedded chain failed to open"))

    def request(self, method: str, params: Any = None) -> Any:
        line = orjson.dumps({"method": method, "params": list(params or ())}) + b"\n"
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()  # it died (out of memory, killed): a new one reopens the chain from disk
            process = self._process
            assert process is not None and process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write(line)
                process.stdin.flush()
                answer = process.stdout.readline()
            except (BrokenPipeError, OSError):
                answer = b""
            if not answer:
                self._process = None
                raise ChainUnavailable(f"the embedded chain process exited during {method}")
        reply = orjson.loads(answer)
        if "error" in reply:
            error = reply["error"]
            raise RpcError(error["code"], error["message"], error.get("data"))
        return reply["result"]

    def close(self) -> None:
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        try:
            process.stdin.close()  # the child closes the node and exits
            process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            if process.stdout is not None:
                process.stdout.close()

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return None if self._process is None else self._process.pid


def _open_node(data_dir: Path, chain_id: int, funded: tuple[bytes, ...], lock_wait_s: float):
    deadline = time.monotonic() + lock_wait_s
    while True:
        try:
            return EmbeddedNode(EmbeddedSettings(data_dir, chain_id, funded))
        except ChainDataLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main(argv: list[str]) -> int:
    from ledger.errors import SaksiError

    data_dir, chain_id, funded, lock_wait_s = argv
    # The protocol owns the real stdout; anything else printed (a stray warning) goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        accounts = tuple(bytes.fromhex(a) for a in funded.split(",") if a)
        node = _open_node(Path(data_dir), int(chain_id), accounts, float(lock_wait_s))
    except SaksiError as error:
        out.write(orjson.dumps({"error": {"kind": error.kind, "message": error.message}}) + b"\n")
        out.flush()
        return 1
    try:
        out.write(_READY)
        out.flush()
        for line in sys.stdin.buffer:
            request = orjson.loads(line)
            try:
                reply: dict[str, Any] = {"result": node.request(request["method"], request["params"])}
            except RpcError as error:
                reply = {"error": {"code": error.code, "message": error.message, "data": error.data}}
            out.write(orjson.dumps(reply) + b"\n")
            out.flush()
    except BrokenPipeError:
        pass  # the server went away
    finally:
        node.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
