"""kill -9 of `saksi witness serve` in a loop, while one client grows the log and another pushes a fork.

After every kill the persisted state must carry the witness's own valid cosignature and the log's
signature, must not be older than any cosignature the witness returned, and every checkpoint the witness
ever answered 200 for must be consistent with every other (one branch of the log, never both).
"""

from __future__ import annotations

import base64
import os
import random
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from ledger.witness.admin import add_witnessed_log, init_witness
from tests.live import free_port, wait_for
from tests.witness.conftest import PASSWORD, leaves
from tests.witness.spec_client import Log, LogKey, checkpoint_text, verify_cosignature_line

pytestmark = pytest.mark.slow

FORK_AT = 4
ROUNDS = 8


class Client(threading.Thread):
    """Submits `log`'s checkpoints, growing by 1-5 leaves, re-proving from the size a 409 names."""

    def __init__(self, url: str, log: Log, old: int, answers: list, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.log, self.old, self.answers, self.stop = url, log, old, answers, stop
        self.rng = random.Random(len(answers))

    def run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self.stop.is_set():
                size = min(self.old + self.rng.randint(0, 5), len(self.log.leaves))
                try:
                    response = client.post(self.url + "/add-checkpoint", content=self.log.request(self.old, size))
                except httpx.HTTPError:
                    return  # the server was killed
                if response.status_code == 200:
                    self.answers.append((size, self.log.root(size), response.text))
                    self.old = size
                elif response.status_code == 409:
                    self.old = int(response.text)
                elif response.status_code == 422:
                    time.sleep(0.01)  # the other branch holds the witness: keep trying, it must keep refusing
                else:
                    raise AssertionError(f"unexpected {response.status_code}: {response.text}")


def test_kill_9_in_a_loop_never_loses_or_forks_a_cosigned_checkpoint(tmp_path):
    key = LogKey("crash.test/log", bytes([11]) * 32)  # TEST seed
    main = Log(key, leaves(10_000))
    fork = Log(key, main.leaves[:FORK_AT] + leaves(10_000, b"fork")[FORK_AT:])
    data_dir = tmp_path / "witness"
    vkey = str(init_witness(data_dir, "crash.test/witness", PASSWORD, demo=True))
    add_witnessed_log(data_dir, key.vkey)
    persisted_points: list[tuple[int, bytes]] = []
    answers: list[tuple[int, bytes, str]] = []
    env = {**os.environ, "SAKSI_WITNESS_PASSWORD": PASSWORD}
    rng = random.Random(18)
    main_old = fork_old = 0
    for _round in range(ROUNDS):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "witness", "serve", "--data-dir", str(data_dir), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda url=url: _healthy(url), timeout=60, what="saksi witness serve")
            stop = threading.Event()
            clients = [Client(url, main, main_old, answers, stop), Client(url, fork, fork_old, answers, stop)]
            for client in clients:
                client.start()
            time.sleep(rng.uniform(0.3, 1.2))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        stop.set()
        for client in clients:
            client.join(timeout=10)
        main_old, fork_old = clients[0].old, clients[1].old

        state_file = next((data_dir / "state").iterdir()) / "checkpoint"
        persisted = state_file.read_text()
        text, _, signatures = persisted.partition("\n\n")
        text += "\n"
        origin, size_line, root_line = text.split("\n")[:3]
        assert origin == key.name
        log_line, cosignature = signatures.splitlines(keepends=True)
        assert log_line == key.signature_line(text)  # Ed25519 is deterministic: the log's own line
        assert verify_cosignature_line(cosignature, vkey, text) > 0
        size = int(size_line)
        # every 200 was persisted before it was sent, so none may be newer than what survived the kill
        assert size >= max((s for s, _, _ in answers), default=0), "a returned cosignature was rolled back"
        assert any(text == checkpoint_text(key.name, size, log.root(size)) for log in (main, fork))
        persisted_points.append((size, base64.b64decode(root_line)))

    assert len(answers) > ROUNDS, "too few cosignatures to mean anything"
    points = [(s, r) for s, r, _ in answers] + persisted_points
    assert all(r in (main.root(s), fork.root(s)) for s, r in points)
    on_main = [s for s, r in points if s > FORK_AT and r == main.root(s)]
    on_fork = [s for s, r in points if s > FORK_AT and r == fork.root(s)]
    assert not (on_main and on_fork), "the witness cosigned both branches of a fork"


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
