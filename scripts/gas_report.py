"""Gas used per service event: Saksi's checkpoint anchoring against two per-event designs.

Runs a fresh anvil from node_modules and measures, in the same run on the same node:

- ``SaksiLedger.anchor`` at tree sizes 10, 1,000 and 1,000,000, each extending a smaller anchored
  checkpoint with its real RFC 9162 consistency proof (5 -> 10, 500 -> 1,000, 999,000 -> 1,000,000);
- ``SaksiLedger.verifyInclusion`` of the middle leaf at those sizes (the gas of its code, traced);
- ``contracts/reference/OneSlotPerEvent.sol``: one storage slot per event, one transaction each;
- EAS ``attest()`` with a schema ``bytes32 eventDigest``, one attestation per event. EAS 1.9.0 pins
  ``pragma solidity 0.8.29``, which excludes our 0.8.28, and its OpenZeppelin ``EIP712`` import needs
  Cancun (``mcopy``). So it is measured twice: compiled here from its sources with the pragma relaxed to
  0.8.28 for Cancun (otherwise our settings), and from the bytecode the npm package ships (built by EAS
  with 0.8.29).

    python scripts/gas_report.py --out gas.json

Building the 1,000,000-leaf tree in Python takes a few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Runnable as a plain script from a checkout, without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web3 import Web3  # noqa: E402
from web3.contract import Contract  # noqa: E402

from ledger.chain import solc  # noqa: E402
from ledger.core.merkle import MemoryTree, leaf_hash  # noqa: E402

NODE_MODULES = solc.REPO_ROOT / "node_modules"
ANVIL = NODE_MODULES / ".bin" / "anvil"
EAS_PACKAGE = "@ethereum-attestation-service/eas-contracts"
EAS_SOURCES = f"{EAS_PACKAGE}/contracts"
EAS_ARTIFACTS = NODE_MODULES / EAS_PACKAGE / "artifacts" / "contracts"
EAS_PINNED_PRAGMA = "pragma solidity 0.8.29;"
ONE_SLOT_SOURCE = "contracts/reference/OneSlotPerEvent.sol"

# (checkpoint it extends, measured checkpoint)
ANCHOR_STEPS = ((5, 10), (500, 1_000), (999_000, 1_000_000))
LARGEST_TREE = ANCHOR_STEPS[-1][1]


@dataclass(frozen=True)
class Measurement:
    approach: str
    gas_per_tx: int
    events_per_tx: int
    note: str = ""

    @property
    def gas_per_event(self) -> float:
        return self.gas_per_tx / self.events_per_tx

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "gas_per_event": round(self.gas_per_event, 2)}


# --- the node ---------------------------------------------------------------------------------


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_anvil(timeout_s: float = 15.0) -> Iterator[Web3]:
    """A fresh anvil on a free loopback port, terminated on exit."""
    port = _free_loopback_port()
    process = subprocess.Popen(
        [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 60}))
        deadline = time.monotonic() + timeout_s
        while not w3.is_connected():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("anvil did not start")
            time.sleep(0.05)
        yield w3
    finally:
        process.terminate()
        process.wait(timeout=10)


def send(w3: Web3, call: Any, sender: str) -> dict[str, Any]:
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}), timeout=60, poll_latency=0.01)
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction reverted: {receipt['transactionHash'].hex()}")
    return receipt


def execution_gas(w3: Web3, receipt: dict[str, Any]) -> int:
    """Gas the contract's code used in a mined transaction, traced again with debug_traceCall: neither
    the base 21,000 and calldata costs nor the calldata floor of EIP-7623, which decides the gasUsed
    of a short call with a long proof."""
    sent = w3.eth.get_transaction(receipt["transactionHash"])
    call = {"from": sent["from"], "to": sent["to"], "data": sent["input"].to_0x_hex()}
    trace = w3.provider.make_request("debug_traceCall", [call, hex(receipt["blockNumber"]), {}])["result"]
    logs = trace["structLogs"]
    return logs[0]["gas"] - logs[-1]["gas"] + logs[-1]["gasCost"]


def deploy(w3: Web3, abi: list[dict[str, Any]], bytecode: str, sender: str, *args: Any) -> Contract:
    receipt = send(w3, w3.eth.contract(abi=abi, bytecode=bytecode).constructor(*args), sender)
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi)


# --- compiling the references in memory ---------------------------------------------------------

_IMPORT = re.compile(r"""import\s+(?:[^"';]*?\bfrom\s+)?["']([^"']+)["']""")


def eas_sources(entry_points: tuple[str, ...]) -> dict[str, str]:
    """EAS's own sources reachable from the entry points, pragma relaxed to 0.8.28.

    OpenZeppelin imports are left to the shim, which resolves them from node_modules.
    """
    sources: dict[str, str] = {}
    pending = list(entry_points)
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        text = (NODE_MODULES / unit).read_text()
        sources[unit] = text.replace(EAS_PINNED_PRAGMA, f"pragma solidity {solc.SOLC_VERSION};")
        for imported in _IMPORT.findall(text):
            if imported.startswith("."):
                pending.append(os.path.normpath(os.path.join(os.path.dirname(unit), imported)))
            elif imported.startswith(EAS_PACKAGE):
                pending.append(imported)
    return sources


def compiled(output: dict[str, Any], unit: str, name: str) -> tuple[list[dict[str, Any]], str]:
    contract = output["contracts"][unit][name]
    return contract["abi"], "0x" + contract["evm"]["bytecode"]["object"]


def published_eas(name: str) -> tuple[list[dict[str, Any]], str]:
    artifact = json.loads((EAS_ARTIFACTS / f"{name}.sol" / f"{name}.json").read_text())
    return artifact["abi"], artifact["bytecode"]


# --- measurements ---------------------------------------------------------------------------------


def build_tree() -> MemoryTree:
    return MemoryTree(leaf_hash(i.to_bytes(8, "big")) for i in range(LARGEST_TREE))


def measure_saksi(w3: Web3, tree: MemoryTree) -> list[Measurement]:
    admin, anchorer = w3.eth.accounts[0], w3.eth.accounts[1]
    artifact = solc.load_artifact("SaksiLedger")
    ledger = deploy(w3, artifact["abi"], artifact["bytecode"], admin, admin, anchorer, admin)
    measurements = []
    for old_size, new_size in ANCHOR_STEPS:
        # Bring the ledger to old_size first (from whatever it holds), then measure old_size -> new_size.
        latest = ledger.functions.latestCheckpoint().call()[0]
        send(
            w3,
            ledger.functions.anchor(old_size, tree.root(old_size), tree.consistency_proof(latest, old_size)),
            anchorer,
        )
        proof = tree.consistency_proof(old_size, new_size)
        receipt = send(w3, ledger.functions.anchor(new_size, tree.root(new_size), proof), anchorer)
        measurements.append(
            Measurement(
                f"SaksiLedger.anchor at tree size {new_size:,}",
                receipt["gasUsed"],
                new_size - old_size,
                f"from size {old_size:,}, consistency proof of {len(proof)} hashes",
            )
        )
    for _, size in ANCHOR_STEPS:
        # A view call, sent as a transaction so that its execution can be traced to the exact gas.
        index = size // 2
        proof = tree.inclusion_proof(index, size)
        call = ledger.functions.verifyInclusion(index, leaf_hash(index.to_bytes(8, "big")), size, proof)
        if not call.call():
            raise RuntimeError(f"verifyInclusion rejected leaf {index} of tree size {size}")
        measurements.append(
            Measurement(
                f"SaksiLedger.verifyInclusion at tree size {size:,}",
                execution_gas(w3, send(w3, call, admin)),
                1,
                f"leaf {index:,}, inclusion proof of {len(proof)} hashes (gas of the contract's code only)",
            )
        )
    return measurements


def measure_one_slot(w3: Web3) -> Measurement:
    sender = w3.eth.accounts[0]
    output = solc.compile_standard_json({ONE_SLOT_SOURCE: (solc.REPO_ROOT / ONE_SLOT_SOURCE).read_text()})
    reference = deploy(w3, *compiled(output, ONE_SLOT_SOURCE, "OneSlotPerEvent"), sender)
    receipt = send(w3, reference.functions.record(Web3.keccak(text="event-1")), sender)
    return Measurement("OneSlotPerEvent.record", receipt["gasUsed"], 1, "one new storage slot per event")


def measure_eas(w3: Web3, registry_code: tuple[list, str], eas_code: tuple[list, str], label: str) -> Measurement:
    sender = w3.eth.accounts[0]
    registry = deploy(w3, *registry_code, sender)
    eas = deploy(w3, *eas_code, sender, registry.address)
    register = registry.functions.register("bytes32 eventDigest", "0x" + "00" * 20, True)
    schema_uid = register.call({"from": sender})
    send(w3, register, sender)
    request = (
        schema_uid,
        (sender, 0, True, b"\x00" * 32, Web3.keccak(text="event-1"), 0),  # recipient, no expiry, revocable
    )
    receipt = send(w3, eas.functions.attest(request), sender)
    return Measurement("EAS.attest", receipt["gasUsed"], 1, label)


def measure_all(w3: Web3, tree: MemoryTree) -> list[Measurement]:
    measurements = measure_saksi(w3, tree)
    measurements.append(measure_one_slot(w3))

    entry_points = (f"{EAS_SOURCES}/SchemaRegistry.sol", f"{EAS_SOURCES}/EAS.sol")
    settings = {**solc.COMPILER_SETTINGS, "evmVersion": "cancun"}
    output = solc.compile_standard_json(eas_sources(entry_points), settings)
    measurements.append(
        measure_eas(
            w3,
            compiled(output, entry_points[0], "SchemaRegistry"),
            compiled(output, entry_points[1], "EAS"),
            f"EAS 1.9.0 sources, pragma relaxed to {solc.SOLC_VERSION}, evmVersion cancun, optimizer 200 runs",
        )
    )
    measurements.append(
        measure_eas(
            w3,
            published_eas("SchemaRegistry"),
            published_eas("EAS"),
            "bytecode shipped in the EAS 1.9.0 npm package (solc 0.8.29)",
        )
    )
    return measurements


# --- output ---------------------------------------------------------------------------------------


def table(measurements: list[Measurement]) -> str:
    header = ("approach", "gas per tx", "events per tx", "gas per event", "note")
    rows = [header] + [
        (m.approach, f"{m.gas_per_tx:,}", f"{m.events_per_tx:,}", f"{m.gas_per_event:,.1f}", m.note)
        for m in measurements
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 2, 3)] + [row[4]]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def node_description(w3: Web3) -> dict[str, Any]:
    info = w3.provider.make_request("anvil_nodeInfo", []).get("result", {})
    return {"client": w3.client_version, "chainId": w3.eth.chain_id, "hardfork": info.get("hardFork")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="write the measurements as JSON to this file")
    args = parser.parse_args(argv)

    solc.install_shim()
    started = time.monotonic()
    tree = build_tree()
    print(f"built a tree of {tree.size:,} leaves in {time.monotonic() - started:.1f} s", file=sys.stderr)
    with running_anvil() as w3:
        measurements = measure_all(w3, tree)
        node = node_description(w3)

    print(table(measurements))
    if args.out:
        report = {
            "node": node,
            "compiler": {"version": solc.compiler_version(), "settings": solc.COMPILER_SETTINGS},
            "measurements": [m.to_json() for m in measurements],
        }
        args.out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
