"""Contract tests run against a real node: anvil from node_modules, one per test session.

Each test gets a freshly deployed ledger for free: the contract is deployed once, and every test
runs between an ``evm_snapshot`` and an ``evm_revert``.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from web3 import Web3
from web3.contract import Contract

from ledger.chain import solc

ANVIL = Path(solc.REPO_ROOT) / "node_modules" / ".bin" / "anvil"
STARTUP_TIMEOUT_S = 15.0


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_answering(w3: Web3, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"anvil exited with {process.returncode}: {log.read().decode(errors='replace')}")
        if w3.is_connected():
            return
        time.sleep(0.05)
    raise RuntimeError(f"anvil did not answer within {STARTUP_TIMEOUT_S} s")


@pytest.fixture(scope="session")
def anvil_w3() -> Iterator[Web3]:
    """A web3 connected to a private anvil on a free loopback port, killed at the end of the session."""
    if not ANVIL.exists():
        pytest.skip(f"anvil not installed at {ANVIL} (npm install)")
    port = _free_loopback_port()
    # A file rather than a pipe for its messages: a pipe nobody reads could fill up and stall the node.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--quiet"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 30}))
            _wait_until_answering(w3, process, log)
            yield w3
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def roles(anvil_w3: Web3) -> dict[str, str]:
    """Anvil's unlocked dev accounts, one per part (no private keys needed)."""
    accounts = anvil_w3.eth.accounts
    return {"admin": accounts[0], "anchorer": accounts[1], "registrar": accounts[2], "stranger": accounts[3]}


@pytest.fixture(scope="session")
def artifact() -> dict:
    return solc.load_artifact("SaksiLedger")


@pytest.fixture(scope="session")
def deployed_ledger(anvil_w3: Web3, roles: dict[str, str], artifact: dict) -> Contract:
    factory = anvil_w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx = factory.constructor(roles["admin"], roles["anchorer"], roles["registrar"]).transact({"from": roles["admin"]})
    receipt = anvil_w3.eth.wait_for_transaction_receipt(tx, timeout=30, poll_latency=0.01)
    assert receipt["status"] == 1
    return anvil_w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


@pytest.fixture
def ledger(anvil_w3: Web3, deployed_ledger: Contract) -> Iterator[Contract]:
    """The ledger as just deployed: whatever a test does is reverted afterwards."""
    snapshot = anvil_w3.provider.make_request("evm_snapshot", [])["result"]
    yield deployed_ledger
    assert anvil_w3.provider.make_request("evm_revert", [snapshot])["result"] is True
