"""The log's witnessing worker against three real witnesses (ledger.witness served by uvicorn over HTTP):
a 2-of-3 quorum, growth proved consistent from each witness's own size, witnesses going down, a log
that lost its memory of the witnesses (409, re-proved), and the cosignatures verified by tlog-scales'
own verifiers (code nobody here wrote). TEST KEYS ONLY."""

from __future__ import annotations

import hashlib
from contextlib import ExitStack

import httpx
import pytest
from tlog_scales.signing import Vkey as ScalesVkey
from tlog_scales.signing import VkeySet
from tlog_scales.tlog import Checkpoint as ScalesCheckpoint

from ledger.core.note import NoteSigner
from ledger.core.policy import Policy, check_checkpoint
from ledger.services.append import Appender, Receipt
from ledger.services.proofs import checkpoint_note
from ledger.services.witnessing import HttpTransport, WitnessSettings, WitnessWorker
from ledger.storage.sql import SqlStore
from ledger.witness.admin import add_witnessed_log, init_witness, open_witness
from ledger.witness.app import create_app
from tests.factories import TEST_DOMAIN, AgencyKey, CaseBuilder, FakeClock
from tests.witness.conftest import PASSWORD, serve_app

DUKCAPIL = AgencyKey("dukcapil.jaksel", name="Dukcapil Jakarta Selatan")
ORIGIN = "saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3"
LOG = NoteSigner(ORIGIN, hashlib.sha256(b"saksi test log key (witness e2e)").digest())  # TEST KEY
NAMES = {"ombudsman": "Ombudsman RI", "bpk": "BPK", "ui": "Universitas Indonesia"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def witnesses(tmp_path):
    """Three witnesses, each its own data directory and key, witnessing LOG; served over HTTP."""
    with ExitStack() as stack:
        served = {}
        for name in NAMES:
            data_dir = tmp_path / f"witness-{name}"
            vkey = init_witness(data_dir, f"{name}.example/witness-test", PASSWORD, demo=True)
            add_witnessed_log(data_dir, str(LOG.vkey))
            server = serve_app(create_app(open_witness(data_dir, PASSWORD)))
            url = stack.enter_context(server)
            served[name] = (vkey, url, server)
        yield served


def policy_text(witnesses) -> str:
    lines = [f"log {LOG.vkey}", ""]
    for name, (vkey, url, _server) in witnesses.items():
        lines += [f"# name: {NAMES[name]}", f"witness {name} {vkey} {url}"]
    lines += ["group oversight 2 " + " ".join(NAMES), "quorum oversight", ""]
    return "\n".join(lines)


def worker_for(store: SqlStore, clock: FakeClock, text: str) -> WitnessWorker:
    settings = WitnessSettings(checkpoint_every_s=0.0, timeout_s=10.0, min_backoff_s=0.5, max_backoff_s=2.0)
    return WitnessWorker(store, Policy.parse(text), text, LOG, ORIGIN, clock, settings, HttpTransport())


def append(appender: Appender, case: CaseBuilder, count: int) -> None:
    outcomes = appender.submit([case.next_item(summary=f"Langkah {case.seq + 1}") for _ in range(count)])
    assert all(isinstance(o, Receipt) for o in outcomes), outcomes


@pytest.fixture
def appender(store: SqlStore, clock: FakeClock) -> Appender:
    with store.write() as tx:
        tx.register_agency(DUKCAPIL.code, DUKCAPIL.name, DUKCAPIL.address, at=0)
    return Appender(store, TEST_DOMAIN, clock)


def served_note(store: SqlStore, size: int):
    from ledger.core.note import NoteSignature

    with store.read() as reader:
        stored = reader.witnessing.cosignatures_for(size)
        note = checkpoint_note(
            reader, LOG.vkey, size, tuple(NoteSignature(c.key_name, c.key_id, c.signature) for c in stored)
        )
    return note


def test_three_witnesses_cosign_and_outside_verifiers_agree(store, appender, clock, witnesses):
    text = policy_text(witnesses)
    worker = worker_for(store, clock, text)
    case = CaseBuilder(DUKCAPIL)
    append(appender, case, 5)
    result = worker.tick()
    assert result.witnessed and sorted(result.cosigned_by) == ["bpk", "ombudsman", "ui"], result
    for _ in range(60):  # across a tile boundary: each witness is proved consistent from 5
        append(appender, CaseBuilder(DUKCAPIL), 5)
    clock.advance(1000)
    result = worker.tick()
    assert result.tree_size == 305 and result.witnessed, result
    note = served_note(store, 305)
    checked = check_checkpoint(Policy.parse(text), note)
    assert checked.quorum_met and sorted(name for name, _ in checked.cosigned_by) == ["bpk", "ombudsman", "ui"]
    # tlog-scales, with its own parser and verifiers, accepts the log's signature and every cosignature
    scales = ScalesCheckpoint.from_text(note.serialize())
    scales.verify(ScalesVkey.from_string(str(LOG.vkey)))
    keys = VkeySet(*(ScalesVkey.from_string(str(vkey)) for vkey, _url, _s in witnesses.values()))
    assert len(keys.verify(scales.signatures, scales)) == 3
    # and each witness's monitoring endpoint serves the checkpoint it cosigned
    origin_hash = hashlib.sha256(ORIGIN.encode()).hexdigest()
    for _vkey, url, _server in witnesses.values():
        body = httpx.get(f"{url}/{origin_hash}/checkpoint", timeout=10).text
        assert body.startswith(note.text)


def test_one_witness_down_the_quorum_still_meets_two_down_it_does_not(store, appender, clock, witnesses):
    text = policy_text(witnesses)
    worker = worker_for(store, clock, text)
    case = CaseBuilder(DUKCAPIL)
    append(appender, case, 3)
    witnesses["ui"][2].__exit__()
    result = worker.tick()
    assert result.witnessed and "ui" in result.errors
    witnesses["bpk"][2].__exit__()
    append(appender, case, 2)
    clock.advance(1000)
    result = worker.tick()
    assert result.tree_size == 5 and not result.witnessed
    status = worker.status()
    assert status.witnessed_size == 3 and status.lag_leaves == 2
    assert {w.name for w in status.witnesses if w.last_error} == {"ui", "bpk"}


def test_a_log_that_forgot_each_witness_size_is_told_by_409_and_re_proves(store, appender, clock, witnesses):
    text = policy_text(witnesses)
    case = CaseBuilder(DUKCAPIL)
    append(appender, case, 4)
    assert worker_for(store, clock, text).tick().witnessed
    with store.write() as tx:  # the log's bookkeeping lost (restored from a backup, say)
        tx.conn.exec_driver_sql("DELETE FROM witness_progress")
    append(appender, case, 3)
    clock.advance(1000)
    result = worker_for(store, clock, text).tick()
    assert result.tree_size == 7 and result.witnessed and not result.errors
    with store.read() as reader:
        assert {size for size, _ in reader.witnessing.progress().values()} == {7}
