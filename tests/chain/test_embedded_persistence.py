"""The embedded chain keeps every anchor and agency across restarts, kill -9 included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger.chain import solc
from ledger.chain.embedded import ChainDataLocked
from ledger.core.merkle import MemoryTree, leaf_hash
from tests.chain.support import OPERATOR, deployed, embedded_chain

pytestmark = pytest.mark.chain

SIGNER_A = bytes.fromhex("a1" * 20)
SIGNER_B = bytes.fromhex("b2" * 20)


def leaves(size: int) -> MemoryTree:
    return MemoryTree(leaf_hash(b"persistence leaf %d" % i) for i in range(size))


def anchor_all(chain, t: MemoryTree, sizes, previous: int = 0) -> int:
    for size in sizes:
        proof = t.consistency_proof(previous, size) if previous else []
        signed = chain.build_anchor_tx(size, t.root(size), proof, chain.next_nonce(), chain.suggest_fees())
        chain.send_raw(signed.raw)
        assert chain.transaction_status(signed.tx_hash).succeeded
        previous = size
    return previous


def test_restart_keeps_anchors_agencies_events_and_nonce(tmp_path):
    t = leaves(300)
    chain = deployed(embedded_chain(tmp_path))
    contract = chain.contract_address
    anchor_all(chain, t, range(1, 201))
    chain.register_agency("dukcapil.jaksel", SIGNER_A)
    chain.register_agency("imigrasi.soetta", SIGNER_A)
    chain.rotate_agency_signer("dukcapil.jaksel", SIGNER_B)
    chain.revoke_agency("imigrasi.soetta")
    before = (chain.block_number(), chain.next_nonce(), chain.registry_events(0, chain.block_number()))
    chain.close()

    started = time.perf_counter()
    reopened = embedded_chain(tmp_path).with_contract(contract)
    reopen_s = time.perf_counter() - started
    try:
        assert reopen_s < 1.0, f"reopening took {reopen_s:.3f} s"
        assert (reopened.block_number(), reopened.next_nonce(), reopened.registry_events(0, before[0])) == before
        assert reopened.latest_checkpoint() == (200, t.root(200))
        assert all(reopened.root_at(size) == t.root(size) for size in (1, 2, 99, 128, 200))
        assert reopened.agency("dukcapil.jaksel").signer == SIGNER_B
        assert reopened.agency("imigrasi.soetta").status == "revoked"
        # and the chain goes on from there
        anchor_all(reopened, t, [250, 300], previous=200)
        assert reopened.latest_checkpoint() == (300, t.root(300))
    finally:
        reopened.close()


def test_one_process_at_a_time(tmp_path):
    chain = embedded_chain(tmp_path)
    try:
        with pytest.raises(ChainDataLocked):
            embedded_chain(tmp_path)
    finally:
        chain.close()
    embedded_chain(tmp_path).close()


# Anchors one size after another and registers an agency every fifth; prints "ACK <kind> <value>" only
# after the call returned, i.e. after the chain acknowledged it.
CHILD = """
import sys
from ledger.core.merkle import MemoryTree, leaf_hash
from tests.chain.support import embedded_chain
data_dir, contract = sys.argv[1], bytes.fromhex(sys.argv[2])
chain = embedded_chain(data_dir).with_contract(contract)
t = MemoryTree(leaf_hash(b"persistence leaf %d" % i) for i in range(5000))
previous = 0
for size in range(1, 5000):
    proof = t.consistency_proof(previous, size) if previous else []
    signed = chain.build_anchor_tx(size, t.root(size), proof, chain.next_nonce(), chain.suggest_fees())
    chain.send_raw(signed.raw)
    print("ACK anchor", size, flush=True)
    previous = size
    if size % 5 == 0:
        chain.register_agency(f"agency-{size}", bytes.fromhex("%040x" % size))
        print("ACK agency", size, flush=True)
"""


def test_kill_9_after_acknowledged_anchors_loses_nothing(tmp_path):
    chain = deployed(embedded_chain(tmp_path))
    contract = chain.contract_address
    chain.close()

    env = {**os.environ, "PYTHONPATH": str(solc.REPO_ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), contract.hex()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=solc.REPO_ROOT,
        env=env,
    )
    acked: list[tuple[str, int]] = []
    assert child.stdout is not None
    deadline = time.monotonic() + 60
    while len(acked) < 60 and time.monotonic() < deadline:
        line = child.stdout.readline().decode()
        if not line:
            pytest.fail(f"child died: {child.stderr.read().decode() if child.stderr else ''}")
        _, kind, value = line.split()
        acked.append((kind, int(value)))
    os.kill(child.pid, signal.SIGKILL)  # in the middle of its next anchor or registration
    rest = child.stdout.read().decode().split("\n")
    child.wait()
    acked += [(line.split()[1], int(line.split()[2])) for line in rest if line.startswith("ACK")]
    assert child.returncode == -signal.SIGKILL

    last_anchor = max(value for kind, value in acked if kind == "anchor")
    t = leaves(5000)
    reopened = embedded_chain(tmp_path).with_contract(contract)
    try:
        size, root = reopened.latest_checkpoint()
        assert size >= last_anchor  # the one in flight when killed may or may not be there, whole
        assert root == t.root(size)
        assert all(reopened.root_at(value) == t.root(value) for kind, value in acked if kind == "anchor")
        for kind, value in acked:
            if kind == "agency":
                record = reopened.agency(f"agency-{value}")
                assert (record.status, record.signer) == ("active", bytes.fromhex(f"{value:040x}"))
        assert reopened.next_nonce() == reopened.mined_nonce()
        anchor_all(reopened, t, [size + 1], previous=size)  # nothing half-written blocks the next block
    finally:
        reopened.close()
    assert OPERATOR  # the operator paid for all of it from its genesis balance
    assert Path(tmp_path, "chain.sqlite").exists()


# --- the node in a child process (how `saksi serve` runs it) -------------------------------------


def test_child_process_node_refuses_a_held_chain_after_waiting(tmp_path):
    from ledger.chain.embedded_process import NodeProcess

    holder = embedded_chain(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(ChainDataLocked):
            NodeProcess(tmp_path, holder.chain_id, (), lock_wait_s=0.5)
        assert time.monotonic() - started >= 0.5
    finally:
        holder.close()
    node = NodeProcess(tmp_path, holder.chain_id, ())
    try:
        assert int(node.request("eth_chainId", []), 16) == holder.chain_id
    finally:
        node.close()


def test_child_process_node_is_restarted_when_it_dies(tmp_path):
    chain = deployed(embedded_chain(tmp_path, separate_process=True))
    try:
        t = leaves(10)
        anchor_all(chain, t, [3])
        first = chain.node.pid
        os.kill(first, signal.SIGKILL)
        time.sleep(0.2)
        assert chain.latest_checkpoint() == (3, t.root(3))  # a new child, the chain reread from disk
        assert chain.node.pid not in (None, first)
        anchor_all(chain, t, [10], previous=3)
    finally:
        chain.close()
    assert chain.node.pid is None


PARENT = """
import sys
from tests.chain.support import embedded_chain
chain = embedded_chain(sys.argv[1], separate_process=True)
print(chain.node.pid, flush=True)
sys.stdin.read()
"""


def test_child_process_node_exits_when_the_server_is_killed(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(solc.REPO_ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=solc.REPO_ROOT,
        env=env,
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
            with open(f"/proc/{child_pid}/stat") as stat:  # a zombie (exited, not yet reaped) counts as gone
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except (ProcessLookupError, FileNotFoundError):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the chain's child process outlived the killed server")
    reopened = embedded_chain(tmp_path)  # and the chain's lock is free again
    reopened.close()
