"""Lawful erasure (UU 27/2022): the agency's erasure.* event is appended and the payloads it names are
shredded in one transaction, or nothing happens; the audit calls the gaps lawful and the citizen's
timeline still verifies. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ledger.audit.run import Auditor
from ledger.core.checkpoint import default_origin
from ledger.core.verify import verify_bundle
from ledger.errors import Forbidden, InvalidField, NotFound
from ledger.services.append import Appender
from ledger.services.lawful_erasure import erase
from ledger.services.proofs import case_bundle, make_checkpoint
from ledger.storage.schema import erasures
from tests.factories import TEST_DOMAIN, AgencyKey, CaseBuilder, FakeClock

DUKCAPIL = AgencyKey("dukcapil.jaksel")
DUKCAPIL_NEW = AgencyKey("dukcapil.jaksel", key=bytes.fromhex("44" * 32))
POLRI = AgencyKey("polri.satpas-bandung")
BASIS = "UU 27/2022 Pasal 8"
ORIGIN = default_origin(TEST_DOMAIN.chain_id, TEST_DOMAIN.verifying_contract)


class World:
    def __init__(self, store):
        self.store = store
        self.clock = FakeClock()
        self.appender = Appender(store, TEST_DOMAIN, self.clock)
        with store.write() as tx:
            tx.register_agency(DUKCAPIL.code, DUKCAPIL.code, DUKCAPIL.address, at=0)
            tx.register_agency(POLRI.code, POLRI.code, POLRI.address, at=0)
        self.case = CaseBuilder(DUKCAPIL)
        self.other = CaseBuilder(DUKCAPIL)
        self.polri = CaseBuilder(POLRI)
        # leaves 0-2: the case (two payloads), 3: another case of Dukcapil, 4: a Polri case
        self.submit(
            self.case.next_item(payload={"nama": "Siti Rahayu", "nik": "3174015505900001"}),
            self.case.next_item("documents.verified", "Dokumen diverifikasi", payload={"kk": "3174010101000001"}),
            self.case.next_item("application.approved", "Permohonan disetujui"),
            self.other.next_item(payload={"nama": "Budi Santoso"}),
            self.polri.next_item(payload={"nama": "Agus"}),
        )

    def submit(self, *items):
        outcomes = self.appender.submit(list(items))
        assert all(getattr(o, "created", False) for o in outcomes), outcomes
        return outcomes

    def erasure_item(self, erases, basis=BASIS, case=None, **kwargs):
        case = case or self.case
        payload = {"erases": erases, "legalBasis": basis}
        return case.next_item("erasure.personal_data", "Data pribadi dihapus atas permintaan warga", payload, **kwargs)

    def tree_size(self):
        with self.store.read() as reader:
            return reader.tree_size()

    def audit(self):
        return Auditor(self.store, TEST_DOMAIN, self.clock, workers=1, max_unanchored_lag_s=1e9).run()


@pytest.fixture
def world(store):
    return World(store)


def test_erasure_appends_and_shreds_in_one_transaction(world):
    answer = erase(world.appender, world.erasure_item([0, 1]))
    assert answer["erased"] == [0, 1] and answer["legalBasis"] == BASIS
    receipt = answer["receipt"]
    assert receipt["leafIndex"] == 5 and receipt["created"] is True
    with world.store.read() as reader:
        assert reader.payload(0) is None and reader.payload(1) is None
        assert reader.payload(3) is not None and reader.payload(4) is not None  # other cases untouched
        rows = reader.conn.execute(select(erasures).order_by(erasures.c.leaf_index)).all()
        # the erasure event's own payload (which leaves, which law) is kept: it holds no personal data
        assert reader.payload(5) is not None
    assert [(r.leaf_index, r.erasure_leaf_index, r.legal_basis) for r in rows] == [(0, 5, BASIS), (1, 5, BASIS)]
    report = world.audit()
    assert report.clean and report.lawful_erasures == 2


def test_the_citizens_timeline_still_verifies(world):
    erase(world.appender, world.erasure_item([0]))
    make_checkpoint(world.store, ORIGIN, world.clock)
    bundle = case_bundle(world.store, TEST_DOMAIN, world.case.commitment)
    assert [e.event.case_seq for e in bundle.events] == [1, 2, 3, 4]
    report = verify_bundle(bundle)  # raises on any failed step
    assert report.events == 4
    assert bundle.events[-1].event.event_type == "erasure.personal_data"


def test_the_ordinary_append_path_refuses_erasure_events(world):
    """One door: an erasure.* event through the append path (POST /v1/events) would put in the log an
    erasure that nothing carried out; it is refused, nothing is written, and erase() still takes it."""
    item = world.erasure_item([0], advance=False)
    (outcome,) = world.appender.submit([item])
    assert isinstance(outcome, InvalidField) and outcome.field == "event.eventType"
    assert "/v1/erasures" in outcome.rule
    assert world.tree_size() == 5
    with world.store.read() as reader:
        assert reader.payload(0) is not None
    assert erase(world.appender, item)["erased"] == [0]
    assert world.audit().clean


def test_resubmitting_the_same_erasure_is_idempotent(world):
    item = world.erasure_item([0])
    first = erase(world.appender, item)
    again = erase(world.appender, item)
    assert again["receipt"]["leafIndex"] == first["receipt"]["leafIndex"]
    assert again["receipt"]["created"] is False and again["erased"] == []
    assert world.tree_size() == 6 and world.audit().lawful_erasures == 1


@pytest.mark.parametrize(
    ("erases", "expected", "message"),
    [
        ([3], Forbidden, "another case"),  # a leaf of another case
        ([4], Forbidden, "another case"),
        ([2], InvalidField, "no stored payload"),  # the case's event without payload
        ([99], NotFound, "no event at leaf 99"),
        ([0, 3], Forbidden, "another case"),  # one bad leaf refuses the whole erasure
    ],
)
def test_a_refused_erasure_leaves_no_trace(world, erases, expected, message):
    size = world.tree_size()
    with world.store.read() as reader:
        head = reader.case_heads([world.case.commitment])[world.case.commitment]
    with pytest.raises(expected, match=message):
        erase(world.appender, world.erasure_item(erases, advance=False))
    # rolled back together: no erasure event, no shredded payload, no erasure row, same case head
    assert world.tree_size() == size
    with world.store.read() as reader:
        assert reader.payload(0) is not None
        assert reader.conn.execute(select(func.count()).select_from(erasures)).scalar_one() == 0
        assert reader.case_heads([world.case.commitment])[world.case.commitment] == head
    assert world.audit().clean


def test_only_the_recording_agency_may_erase(world):
    # Polri signs an erasure.* event on its own case naming Dukcapil's leaf
    with pytest.raises(Forbidden):
        erase(world.appender, world.erasure_item([0], case=world.polri, advance=False))
    assert world.tree_size() == 5


def test_an_already_erased_payload_cannot_be_erased_twice(world):
    erase(world.appender, world.erasure_item([0]))
    with pytest.raises(InvalidField, match="no stored payload"):
        erase(world.appender, world.erasure_item([0], advance=False))


def test_erasure_after_a_key_rotation_is_signed_with_the_new_key(world):
    world.clock.advance(1000)
    with world.store.write() as tx:
        tx.rotate_agency_signer(DUKCAPIL.code, DUKCAPIL_NEW.address, at=world.clock.now_ms)
    world.clock.advance(1000)
    world.case.agency = DUKCAPIL_NEW
    answer = erase(world.appender, world.erasure_item([0, 1]))
    assert answer["erased"] == [0, 1]
    report = world.audit()
    assert report.clean and report.lawful_erasures == 2


@pytest.mark.parametrize(
    ("event_type", "payload", "field"),
    [
        ("documents.verified", {"erases": [0], "legalBasis": BASIS}, "eventType"),
        ("erasure.personal_data", None, "payload"),
        ("erasure.personal_data", {"erases": [], "legalBasis": BASIS}, "payload.erases"),
        ("erasure.personal_data", {"erases": [-1], "legalBasis": BASIS}, "payload.erases"),
        ("erasure.personal_data", {"erases": [True], "legalBasis": BASIS}, "payload.erases"),
        ("erasure.personal_data", {"erases": "0", "legalBasis": BASIS}, "payload.erases"),
        ("erasure.personal_data", {"erases": [0]}, "payload.legalBasis"),
        ("erasure.personal_data", {"erases": [0], "legalBasis": "x" * 201}, "payload.legalBasis"),
        ("erasure.personal_data", {"erases": [0], "legalBasis": BASIS, "nama": "Siti"}, "payload"),
    ],
)
def test_malformed_erasures_are_refused(world, event_type, payload, field):
    item = world.case.next_item(event_type, "Data pribadi dihapus", payload, advance=False)
    with pytest.raises(InvalidField) as caught:
        erase(world.appender, item)
    assert caught.value.field == field
    assert world.tree_size() == 5
