"""Local development nodes (anvil, ganache from ``node_modules``) and deploying the ledger.

A node is started on a free loopback port, its output goes to a log file (a pipe nobody reads could fill
up and stall it), and :func:`start_anvil` / :func:`start_ganache` return once it answers JSON-RPC, with
its URL and its first unlocked, funded account. No private key is involved: dev nodes sign for their
own unlocked accounts, which is how :func:`fund_from_dev_account` pays the operator.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eth_utils import to_canonical_address, to_checksum_address

from ledger.chain import solc
from ledger.chain.port import Capabilities
from ledger.chain.rpc import RpcChain, RpcSettings
from ledger.errors import ChainUnavailable

NodeKind = Literal["anvil", "ganache"]

BIN_DIR = solc.REPO_ROOT / "node_modules" / ".bin"
STARTUP_TIMEOUT_S = 20.0
ETHER = 10**18

#: anvil and ganache: reorgs only on demand (evm_snapshot / evm_revert), a pool, and dev controls.
DEV_NODE_CAPABILITIES = Capabilities(reorgs=True, mempool=True, instant_finality=False, dev_controls=True)


def binary(kind: NodeKind, bin_dir: Path = BIN_DIR) -> Path | None:
    """The node's executable in ``node_modules/.bin``, or None when it is not installed."""
    path = Path(bin_dir) / kind
    return path if path.exists() else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rpc(url: str, method: str, params: Sequence[Any] = (), timeout: float = 10.0) -> Any:
    """One JSON-RPC call with the standard library (used before any adapter exists)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback dev node
            answer = json.loads(response.read())
    except (OSError, urllib.error.URLError) as error:
        raise ChainUnavailable(f"{url} did not answer {method}: {error}") from error
    if "error" in answer:
        raise ChainUnavailable(f"{url}: {method} failed: {answer['error']}")
    return answer["result"]


@dataclass
class DevNode:
    """A running anvil or ganache process."""

    kind: NodeKind
    url: str
    port: int
    chain_id: int
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    dev_account: bytes = b""
    state_file: Path | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> DevNode:
        """Start (or restart, same port and arguments) and wait until it answers."""
        if self.running:
            return self
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        try:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
            )
        finally:
            log.close()
        self._wait_until_answering()
        self.dev_account = to_canonical_address(rpc(self.url, "eth_accounts")[0])
        return self

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ChainUnavailable(f"{self.kind} exited with {self.process.returncode}: {self.log_tail()}")
            try:
                rpc(self.url, "web3_clientVersion", timeout=1.0)
                return
            except ChainUnavailable:
                time.sleep(0.05)
        self.kill()
        raise ChainUnavailable(f"{self.kind} did not answer within {STARTUP_TIMEOUT_S} s: {self.log_tail()}")

    def log_tail(self, size: int = 2000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM and wait: anvil writes its ``--state`` file on the way out."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the node loses whatever it had not written (anvil: everything since the last dump)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process = None

    def fund(self, to: bytes, amount_wei: int = 100 * ETHER) -> bytes:
        return fund_from_dev_account(self.url, to, amount_wei, self.dev_account)

    def chain(
        self, operator_key: bytes, contract: bytes | None = None, settings: RpcSettings | None = None
    ) -> RpcChain:
        """An adapter for this node, with its dev controls declared."""
        return RpcChain.connect(self.url, self.chain_id, operator_key, contract, settings, DEV_NODE_CAPABILITIES)


def start_anvil(
    work_dir: Path,
    *,
    port: int | None = None,
    chain_id: int = 31337,
    state_file: Path | None = None,
    state_interval_s: int | None = None,
    block_time_s: float | None = None,
    hardfork: str | None = None,
    extra_args: Sequence[str] = (),
    bin_dir: Path = BIN_DIR,
) -> DevNode:
    """Start anvil; with ``state_file`` it loads that state if present and dumps it on SIGTERM."""
    executable = binary("anvil", bin_dir)
    if executable is None:
        raise FileNotFoundError(f"anvil is not installed in {bin_dir} (npm ci)")
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = [str(executable), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id), "--quiet"]
    if state_file is not None:
        command += ["--state", str(state_file)]
        if state_interval_s:
            command += ["--state-interval", str(state_interval_s)]
    if block_time_s:
        command += ["--block-time", str(block_time_s)]
    if hardfork:
        command += ["--hardfork", hardfork]
    command += list(extra_args)
    node = DevNode(
        "anvil",
        f"http://127.0.0.1:{port}",
        port,
        chain_id,
        command,
        dict(os.environ),
        work_dir / f"anvil-{port}.log",
        state_file=state_file,
    )
    return node.start()


def start_ganache(
    work_dir: Path,
    *,
    port: int | None = None,
    chain_id: int = 1337,
    extra_args: Sequence[str] = (),
    bin_dir: Path = BIN_DIR,
) -> DevNode:
    """Start ganache (shanghai, the newest EVM it runs); its temporary files go under ``work_dir``.

    ganache leaves temporary folders behind when killed hard, so ``TMPDIR`` points into ``work_dir``,
    which the caller removes.
    """
    executable = binary("ganache", bin_dir)
    if executable is None:
        raise FileNotFoundError(f"ganache is not installed in {bin_dir} (npm ci)")
    work_dir = Path(work_dir)
    tmp = work_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = [
        str(executable),
        "--server.host", "127.0.0.1",
        "--server.port", str(port),
        "--chain.chainId", str(chain_id),
        "--chain.hardfork", "shanghai",
        "--wallet.deterministic",
        "--wallet.totalAccounts", "2",
        "--logging.quiet",
        *extra_args,
    ]  # fmt: skip
    env = {**os.environ, "TMPDIR": str(tmp), "TMP": str(tmp), "TEMP": str(tmp)}
    node = DevNode(
        "ganache", f"http://127.0.0.1:{port}", port, chain_id, command, env, work_dir / f"ganache-{port}.log"
    )
    return node.start()


def fund_from_dev_account(
    url: str, to: bytes, amount_wei: int = 100 * ETHER, dev_account: bytes | None = None, timeout_s: float = 30.0
) -> bytes:
    """Pay ``amount_wei`` to ``to`` from the node's unlocked account; returns the transaction hash once mined."""
    sender = dev_account or to_canonical_address(rpc(url, "eth_accounts")[0])
    tx_hash = rpc(
        url,
        "eth_sendTransaction",
        [{"from": to_checksum_address(sender), "to": to_checksum_address(to), "value": hex(amount_wei)}],
    )
    deadline = time.monotonic() + timeout_s
    while rpc(url, "eth_getTransactionReceipt", [tx_hash]) is None:
        if time.monotonic() > deadline:
            raise ChainUnavailable(f"funding transaction {tx_hash} not mined within {timeout_s} s")
        time.sleep(0.02)
    return bytes.fromhex(tx_hash[2:])


def deploy_ledger(
    w3_or_adapter: Any,
    operator_key: bytes,
    admin: bytes | None = None,
    anchorer: bytes | None = None,
    registrar: bytes | None = None,
) -> bytes:
    """Deploy SaksiLedger signed by ``operator_key``; every role defaults to the operator. Returns the address.

    ``w3_or_adapter`` is an :class:`RpcChain` (its key must be ``operator_key``) or a ``web3.Web3``.
    """
    if isinstance(w3_or_adapter, RpcChain):
        chain = w3_or_adapter
        if chain.operator != _address_of(operator_key):
            chain = RpcChain(chain.provider, chain.chain_id, operator_key, None, chain.settings, chain.capabilities)
    else:
        provider = w3_or_adapter.provider
        chain_id = int(provider.make_request("eth_chainId", [])["result"], 16)
        chain = RpcChain(provider, chain_id, operator_key)
    operator = chain.operator
    address, _ = chain.deploy(admin or operator, anchorer or operator, registrar or operator)
    return address


def _address_of(key: bytes) -> bytes:
    from eth_account import Account

    return to_canonical_address(Account.from_key(key).address)
