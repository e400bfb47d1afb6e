"""The log's witnessing worker against scripted witnesses: cosignatures verified and stored, quorum,
409 re-proving, back-off on 5xx and timeouts, refusals, a witness ahead of the log, and the anchoring
chooser. (The worker against real `saksi witness serve` processes: tests/witness/test_log_and_witnesses.py.)"""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest

from ledger.core import merkle
from ledger.core.checkpoint import Checkpoint
from ledger.core.note import Cosigner, Note, NoteSigner, Vkey
from ledger.core.policy import Policy
from ledger.services.append import Appender, Receipt
from ledger.services.witnessing import WitnessSettings, WitnessWorker, anchor_chooser, policy_hash
from ledger.storage.sql import SqlStore
from tests.factories import TEST_DOMAIN, AgencyKey, CaseBuilder, FakeClock

DUKCAPIL = AgencyKey("dukcapil.jaksel", name="Dukcapil Jakarta Selatan")
ORIGIN = "saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3"
# TEST KEYS: seeds derived from public strings, never for real use.
LOG = NoteSigner(ORIGIN, hashlib.sha256(b"saksi test log key").digest())
WITNESSES = {
    name: Cosigner(f"{name}.example/witness", hashlib.sha256(f"saksi test witness {name}".encode()).digest())
    for name in ("ombudsman", "bpk", "ui")
}


def policy_text(urls: dict[str, str] | None = None) -> str:
    urls = urls or {name: f"http://{name}.test" for name in WITNESSES}
    lines = [f"log {LOG.vkey}"]
    for name, cosigner in WITNESSES.items():
        lines.append(f"witness {name} {cosigner.vkey} {urls[name]}".rstrip())
    lines += ["group demo 2 " + " ".join(WITNESSES), "quorum demo", ""]
    return "\n".join(lines)


class ScriptedWitness:
    """A witness by the spec's rules (state: size and root), with switches to misbehave."""

    def __init__(self, cosigner: Cosigner, clock: FakeClock) -> None:
        self.cosigner = cosigner
        self.clock = clock
        self.size = 0
        self.root = merkle.EMPTY_ROOT
        self.fail_with: int | None = None
        self.down = False
        self.requests: list[tuple[int, int]] = []
        self.sign_with: Cosigner | None = None

    def __call__(self, body: bytes) -> tuple[int, str, bytes]:
        if self.down:
            raise httpx.ConnectError("connection refused")
        if self.fail_with is not None:
            return self.fail_with, "text/plain", b"scripted failure\n"
        text = body.decode()
        head, _, rest = text.partition("\n\n")
        lines = head.split("\n")
        old = int(lines[0].removeprefix("old "))
        proof = [base64.b64decode(line) for line in lines[1:]]
        note = Note.parse(rest)
        checkpoint = Checkpoint.from_text(note.text)
        self.requests.append((old, checkpoint.tree_size))
        if old != self.size:
            return 409, "text/x.tlog.size", f"{self.size}\n".encode()
        if old:
            merkle.verify_consistency(old, checkpoint.tree_size, self.root, checkpoint.root_hash, proof)
        self.size, self.root = checkpoint.tree_size, checkpoint.root_hash
        line = (self.sign_with or self.cosigner).cosign(note.text, self.clock() // 1000).line()
        return 200, "text/plain; charset=utf-8", line.encode()


class Transport:
    def __init__(self, witnesses: dict[str, ScriptedWitness]) -> None:
        self.witnesses = witnesses
        self.calls: list[str] = []

    def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, str, bytes]:
        name = url.removeprefix("http://").split(".")[0]
        self.calls.append(name)
        return self.witnesses[name](body)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def appender(store: SqlStore, clock: FakeClock) -> Appender:
    with store.write() as tx:
        tx.register_agency(DUKCAPIL.code, DUKCAPIL.name, DUKCAPIL.address, at=0)
    return Appender(store, TEST_DOMAIN, clock)


@pytest.fixture
def scripted(clock: FakeClock) -> dict[str, ScriptedWitness]:
    return {name: ScriptedWitness(cosigner, clock) for name, cosigner in WITNESSES.items()}


def append(appender: Appender, count: int, case: CaseBuilder | None = None) -> None:
    case = case or CaseBuilder(DUKCAPIL)
    outcomes = appender.submit([case.next_item(summary=f"Langkah {i}") for i in range(count)])
    assert all(isinstance(o, Receipt) for o in outcomes), outcomes


def make_worker(store: SqlStore, clock: FakeClock, transport: Transport, text: str | None = None) -> WitnessWorker:
    text = text or policy_text()
    return WitnessWorker(
        store,
        Policy.parse(text),
        text,
        LOG,
        ORIGIN,
        clock,
        WitnessSettings(checkpoint_every_s=1.0, min_backoff_s=1.0, max_backoff_s=8.0, refused_backoff_s=30.0),
        transport,
    )


def stored(store: SqlStore, size: int) -> set[str]:
    with store.read() as reader:
        return {c.key_name for c in reader.witnessing.cosignatures_for(size)}


def test_a_quorum_of_cosignatures_makes_the_checkpoint_witnessed(store, appender, clock, scripted):
    append(appender, 5)
    worker = make_worker(store, clock, Transport(scripted))
    result = worker.tick()
    assert result.tree_size == 5 and sorted(result.cosigned_by) == ["bpk", "ombudsman", "ui"]
    assert result.witnessed
    assert stored(store, 5) == {c.vkey.name for c in WITNESSES.values()}
    with store.read() as reader:
        assert reader.witnessing.latest_witnessed(policy_hash(policy_text()))[0] == 5
        assert reader.witnessing.progress()[(WITNESSES["bpk"].vkey.name, WITNESSES["bpk"].vkey.key_id)][0] == 5
    # the stored cosignatures verify as a note with the log's signature (c2sp.org/tlog-cosignature)
    with store.read() as reader:
        cosigs = reader.witnessing.cosignatures_for(5)
    assert all(len(c.signature) == 72 for c in cosigs)


def test_growth_is_proved_consistent_from_each_witness_size(store, appender, clock, scripted):
    transport = Transport(scripted)
    worker = make_worker(store, clock, transport)
    case = CaseBuilder(DUKCAPIL)
    append(appender, 3, case)
    worker.tick()
    append(appender, 4, case)
    assert worker.tick().tree_size == 3  # the newest checkpoint is younger than checkpoint_every_s
    clock.advance(1000)
    result = worker.tick()
    assert result.tree_size == 7 and result.witnessed
    assert scripted["ui"].requests == [(0, 3), (3, 7)]


def test_a_409_is_re_proved_from_the_witness_size(store, appender, clock, scripted):
    append(appender, 6)
    scripted["bpk"].size = 0
    worker = make_worker(store, clock, Transport(scripted))
    # the witness already cosigned size 4 of this log (another process of the log, a lost row)
    with store.write() as tx:
        size4 = Checkpoint(ORIGIN, 4, _root(tx, 4))
    scripted["bpk"].size, scripted["bpk"].root = 4, size4.root_hash
    result = worker.tick()
    assert "bpk" in result.cosigned_by
    assert scripted["bpk"].requests == [(0, 6), (4, 6)]


def test_a_witness_that_is_down_backs_off_and_the_quorum_still_meets(store, appender, clock, scripted):
    append(appender, 2)
    scripted["ui"].down = True
    transport = Transport(scripted)
    worker = make_worker(store, clock, transport)
    result = worker.tick()
    assert result.witnessed and "ui" in result.errors
    view = {w.name: w for w in worker.status().witnesses}["ui"]
    assert view.consecutive_failures == 1 and view.last_error and view.backoff_s > 0
    calls = len(transport.calls)
    worker.tick()  # still backing off: not asked again
    assert transport.calls[calls:].count("ui") == 0
    scripted["ui"].down = False
    clock.advance(10_000)
    worker.tick()
    assert "ui" in transport.calls[calls:]
    assert {w.name: w for w in worker.status().witnesses}["ui"].consecutive_failures == 0


def test_without_a_quorum_nothing_is_witnessed_and_status_says_it_lags(store, appender, clock, scripted):
    append(appender, 2)
    scripted["ui"].fail_with = 503
    scripted["bpk"].fail_with = 422
    worker = make_worker(store, clock, Transport(scripted))
    result = worker.tick()
    assert not result.witnessed
    assert "503" in result.errors["ui"] and "422" in result.errors["bpk"]
    clock.advance(5000)
    status = worker.status()
    assert status.witnessed_size == 0 and status.lag_leaves == 2 and status.seconds_unwitnessed >= 5


def test_a_cosignature_by_another_key_is_refused_and_not_stored(store, appender, clock, scripted):
    append(appender, 2)
    impostor = Cosigner(WITNESSES["ui"].vkey.name, hashlib.sha256(b"saksi test impostor").digest())
    scripted["ui"].sign_with = impostor  # same name; a different key (and so another key id): ignored
    worker = make_worker(store, clock, Transport(scripted))
    result = worker.tick()
    assert "ui" in result.errors and "without a cosignature" in result.errors["ui"]
    assert WITNESSES["ui"].vkey.name not in stored(store, 2)


def test_a_witness_ahead_of_the_log_is_an_error(store, appender, clock, scripted):
    append(appender, 2)
    with store.write() as tx:
        tx.witnessing.set_progress(WITNESSES["ui"].vkey.name, WITNESSES["ui"].vkey.key_id, 50, 0)
    worker = make_worker(store, clock, Transport(scripted))
    result = worker.tick()
    assert "larger than this log's newest checkpoint" in result.errors["ui"]


def test_the_anchoring_chooser_prefers_witnessed_checkpoints(store, appender, clock, scripted):
    text = policy_text()
    choose = anchor_chooser(store, ORIGIN, clock, policy_hash(text), (0, b""), grace_s=30, signer=LOG)
    case = CaseBuilder(DUKCAPIL)
    append(appender, 3, case)
    assert choose() is None  # nothing witnessed yet, and the leaves are young
    make_worker(store, clock, Transport(scripted), text).tick()
    append(appender, 2, case)
    chosen = choose()
    assert chosen is not None and chosen.tree_size == 3
    for witness in scripted.values():
        witness.down = True
    with store.write() as tx:
        tx.anchors(0, b"").record_found(3, b"\x01" * 32, 1, clock())
    assert choose() is None
    clock.advance(31_000)
    chosen = choose()  # witnesses are down: anchoring goes on with the whole tree
    assert chosen is not None and chosen.tree_size == 5


def _root(tx, size: int) -> bytes:
    from ledger.services.proofs import root_at

    return root_at(tx, size)


def test_vkeys_in_the_policy_are_the_cosigners(scripted):
    policy = Policy.parse(policy_text())
    assert [w.vkey for w in policy.witnesses] == [Vkey.parse(str(c.vkey)) for c in WITNESSES.values()]
