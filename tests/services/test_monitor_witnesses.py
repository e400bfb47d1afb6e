"""`saksi monitor` against a log with a signing key and three real witnesses (ledger.witness over HTTP,
cosigning through the log's own witnessing worker): the honest log raises nothing; a bad log signature,
a bad cosignature, a quorum the monitor's own policy does not see met, a witness down, a log that
forks its own signed history, and a split view (a witness fed a fork signed by the log's key) are each
caught, with the evidence of the last two kept. TEST KEYS AND PASSWORDS ONLY."""

from __future__ import annotations

import hashlib
import json
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from ledger.checker.log_watch import LogWatch
from ledger.checker.monitor import Monitor
from ledger.core import merkle
from ledger.core.checkpoint import Checkpoint
from ledger.core.note import Note, NoteSigner, Vkey, verify_note
from ledger.core.policy import Policy
from ledger.services.ledger import Ledger
from ledger.services.witnessing import HttpTransport, WitnessSettings, WitnessWorker
from ledger.storage.schema import cosignatures
from ledger.witness.admin import add_witnessed_log, init_witness, open_witness
from ledger.witness.app import create_app as witness_app
from tests.api.conftest import DESK, DUKCAPIL, clock, settings  # noqa: F401 - shared fixtures
from tests.factories import CaseBuilder
from tests.witness.conftest import PASSWORD, serve_app

NAMES = {"ombudsman": "Ombudsman RI", "bpk": "BPK", "ui": "Universitas Indonesia"}


@dataclass
class World:
    client: TestClient
    ledger: Ledger
    log: NoteSigner
    worker: WitnessWorker
    witnesses: dict[str, tuple[str, str, serve_app]]  # name -> (vkey, url, server)
    tmp: Path
    clock: object

    def grow(self, count: int = 3) -> int:
        case = CaseBuilder(DUKCAPIL)
        items = [case.next_item(summary=f"Langkah {i + 1}") for i in range(count)]
        assert self.client.post("/v1/events", json={"events": items}).status_code in (200, 201)
        self.clock.advance(1000)
        result = self.worker.tick()
        return result.tree_size

    def policy(self, group: str = "group oversight 2 ombudsman bpk ui", **extra_witnesses: tuple) -> str:
        lines = [f"log {self.log.vkey}"]
        for name, (vkey, url, _server) in {**self.witnesses, **extra_witnesses}.items():
            lines += [f"# name: {NAMES.get(name, name)}", f"witness {name} {vkey} {url}"]
        return "\n".join([*lines, group, "quorum oversight", ""])

    def monitor(self, policy: str | None = None, log_vkey: Vkey | None = None, api=None, state: str = "m.json"):
        watch = LogWatch(
            api or self.client,
            log_vkey=log_vkey,
            policy=None if policy is None and log_vkey is not None else Policy.parse(policy or self.policy()),
            evidence_dir=self.tmp / "evidence",
        )
        return Monitor(api or self.client, None, None, self.tmp / state, log_watch=watch)


@pytest.fixture
def world(settings, store, clock, tmp_path):  # noqa: F811
    log = NoteSigner(settings.origin, hashlib.sha256(b"saksi test log key (monitor)").digest())  # TEST KEY
    with ExitStack() as stack:
        served = {}
        for name in NAMES:
            data_dir = tmp_path / f"witness-{name}"
            vkey = init_witness(data_dir, f"{name}.example/witness-test", PASSWORD, demo=True)
            add_witnessed_log(data_dir, str(log.vkey))
            server = serve_app(witness_app(open_witness(data_dir, PASSWORD)))
            served[name] = (vkey, stack.enter_context(server), server)
        world = World(None, None, log, None, served, tmp_path, clock)  # type: ignore[arg-type]
        text = world.policy()
        settings = settings.with_(database_url=str(store.engine.url), checkpoint_counts_when=("witnessed",))
        with store.write() as tx:
            for agency in (DUKCAPIL, DESK):
                tx.register_agency(agency.code, agency.name, agency.address, at=0)
        world.ledger = Ledger(
            settings,
            store,
            clock,
            complaints_key=DESK.key,
            log_vkey=log.vkey,
            witness_policy=(Policy.parse(text), text),
        )
        world.client = TestClient(create_app(settings, ledger=world.ledger))
        world.client.app.state.saksi.tlog.checkpoint_ttl_s = 0  # each GET /tlog/checkpoint reads storage
        world.worker = WitnessWorker(
            store,
            Policy.parse(text),
            text,
            log,
            settings.origin,
            clock,
            WitnessSettings(checkpoint_every_s=0.0, timeout_s=10.0, min_backoff_s=0.5, max_backoff_s=2.0),
            HttpTransport(),
        )
        yield world


def kinds(alerts) -> list[str]:
    return sorted(a.kind for a in alerts)


def test_an_honest_log_and_its_witnesses_raise_nothing_and_the_state_resumes(world):
    size = world.grow()
    monitor = world.monitor()
    assert monitor.check_once() == []
    assert monitor.state.log.checkpoint().tree_size == size
    assert monitor.state.log.witnesses == {name: size for name in NAMES}
    bigger = world.grow(4)
    resumed = world.monitor()  # from the state file: proves consistency from `size`
    assert resumed.state.log.checkpoint().tree_size == size
    assert resumed.check_once() == [] and resumed.state.log.checkpoint().tree_size == bigger
    state = json.loads((world.tmp / "m.json").read_text())
    assert (
        Note.parse(state["log"]["note"]).text == Checkpoint.from_text(Note.parse(state["log"]["note"]).text).to_text()
    )


def test_a_log_key_that_did_not_sign_the_checkpoint_is_an_alert(world):
    world.grow()
    other = NoteSigner(world.log.vkey.name, hashlib.sha256(b"another TEST key").digest())
    alerts = world.monitor(log_vkey=other.vkey).check_once()
    assert kinds(alerts) == ["log-signature-invalid"]
    assert "no signature from a known key" in alerts[0].detail


def test_a_tampered_cosignature_is_named(world, store):
    size = world.grow()
    vkey = world.witnesses["bpk"][0]
    with store.engine.begin() as db:
        row = db.execute(
            cosignatures.select().where(cosignatures.c.tree_size == size, cosignatures.c.key_name == vkey.name)
        ).one()
        forged = row.signature[:8] + bytes([row.signature[8] ^ 1]) + row.signature[9:]
        db.execute(
            update(cosignatures)
            .where(cosignatures.c.tree_size == size, cosignatures.c.key_name == vkey.name)
            .values(signature=forged)
        )
    alerts = world.monitor().check_once()
    assert "cosignature-invalid" in kinds(alerts)
    alert = next(a for a in alerts if a.kind == "cosignature-invalid")
    assert alert.witness == "bpk" and "BPK" in alert.detail


def test_a_quorum_the_monitors_own_policy_does_not_see_met_is_an_alert(world):
    world.witnesses["ui"][2].__exit__()
    size = world.grow()  # the log's 2-of-3 is met by Ombudsman RI and BPK
    alerts = world.monitor(world.policy(group="group oversight 3 ombudsman bpk ui")).check_once()
    assert kinds(alerts) == ["quorum-not-met", "witness-unavailable"]
    quorum = next(a for a in alerts if a.kind == "quorum-not-met")
    assert quorum.tree_size == size and "2 of the 3" in quorum.detail and "3 required" in quorum.detail
    down = next(a for a in alerts if a.kind == "witness-unavailable")
    assert down.witness == "ui" and "Universitas Indonesia" in down.detail


def test_a_log_that_forks_its_own_signed_history_is_caught_and_the_monitor_stays_on_what_it_saw(world):
    size = world.grow(5)
    monitor = world.monitor()
    assert monitor.check_once() == []
    seen = monitor.state.log.note
    # the log now shows a bigger checkpoint, correctly signed, that does not extend the one seen
    fork = Checkpoint(world.log.vkey.name, size + 2, hashlib.sha256(b"another history").digest())
    forged = Note(fork.to_text(), (world.log.sign(fork.to_text()),)).serialize()

    def lying(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/tlog/checkpoint":
            return httpx.Response(200, text=forged)
        return world.client.get(str(request.url.copy_with(scheme="http", host="testserver")))

    lying_api = httpx.Client(base_url="http://lying.example", transport=httpx.MockTransport(lying))
    alerts = world.monitor(api=lying_api).check_once()
    assert "log-inconsistent" in kinds(alerts)
    alert = next(a for a in alerts if a.kind == "log-inconsistent")
    evidence = json.loads(alert.evidence.read_text())
    assert evidence["earlier"] == seen and evidence["later"] == forged
    for text in (evidence["earlier"], evidence["later"]):  # two checkpoints signed by the log's one key
        verify_note(Note.parse(text), [world.log.vkey])
    assert json.loads((world.tmp / "m.json").read_text())["log"]["note"] == seen  # not moved onto the fork
    again = world.monitor(api=lying_api).check_once()
    assert next(a for a in again if a.kind == "log-inconsistent").evidence == alert.evidence  # kept once


def test_a_split_view_is_caught_from_a_witness_that_was_fed_a_fork(world, tmp_path):
    world.grow(5)
    # a fourth witness, that has only ever seen a forked history of size 3 signed by the log's key
    data_dir = tmp_path / "witness-lapor"
    vkey = init_witness(data_dir, "lapor.example/witness-test", PASSWORD, demo=True)
    add_witnessed_log(data_dir, str(world.log.vkey))
    with serve_app(witness_app(open_witness(data_dir, PASSWORD))) as url:
        fork = Checkpoint(world.log.vkey.name, 3, merkle.root([b"x%d" % i for i in range(3)]))
        note = Note(fork.to_text(), (world.log.sign(fork.to_text()),))
        answer = httpx.post(f"{url}/add-checkpoint", content=b"old 0\n\n" + note.serialize().encode(), timeout=10)
        assert answer.status_code == 200, answer.text
        policy = world.policy(lapor=(vkey, url, None))
        alerts = world.monitor(policy).check_once()
    assert kinds(alerts) == ["split-view"]
    alert = alerts[0]
    assert alert.witness == "lapor" and "cannot prove 3 -> 5" in alert.detail
    evidence = json.loads(alert.evidence.read_text())
    assert evidence["witness"] == "lapor" and evidence["witnessUrl"].startswith(url)
    verify_note(Note.parse(evidence["witnessView"]), [world.log.vkey])
    verify_note(Note.parse(evidence["logView"]), [world.log.vkey])
    assert Checkpoint.from_text(Note.parse(evidence["witnessView"]).text) == fork


def test_the_api_down_is_an_alert_and_changes_nothing(world):
    world.grow()
    monitor = world.monitor()
    assert monitor.check_once() == []
    seen = monitor.state.log.note

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    dead = httpx.Client(base_url="http://down.example", transport=httpx.MockTransport(down))
    alerts = world.monitor(api=dead).check_once()
    assert kinds(alerts) == ["api-unavailable"]
    assert json.loads((world.tmp / "m.json").read_text())["log"]["note"] == seen
