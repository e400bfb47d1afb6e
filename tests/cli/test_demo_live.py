"""The demo's background agency (ledger.cli.demo_live) against a live app: it waits for the server, then
adds the live passport case's steps one by one through POST /v1/events, signed by its own key, until the
journey is done; and it stops when told. DEMO/TEST KEYS ONLY."""

from __future__ import annotations

import hashlib
import time

from api.app import create_app
from ledger.checker.client import AgencyClient, CaseState
from ledger.cli.demo_live import LIVE_AGENCY, BackgroundAgency, first_step, live_case_ref
from ledger.core.signatures import address_of_key
from ledger.demo import JOURNEYS
from ledger.services.ledger import Ledger
from tests.api.conftest import settings  # noqa: F401 - the fixture
from tests.live import serve, wait_for

KEY = hashlib.sha256(b"saksi TEST key of the demo passport office").digest()


def wall_ms() -> int:
    return int(time.time() * 1000)


def test_the_background_agency_adds_the_journey_step_by_step_then_stops(settings, store):  # noqa: F811
    settings = settings.with_(database_url=str(store.engine.url))
    with store.write() as tx:
        tx.register_agency(LIVE_AGENCY, "Kantor Imigrasi (test)", address_of_key(KEY), at=0)
    ledger = Ledger(settings, store, wall_ms)
    case = CaseState(live_case_ref(int(time.time())), hashlib.sha256(b"TEST case key").digest())
    assert case.ref.startswith("PSP-SBY-LIVE-")
    client = AgencyClient("", LIVE_AGENCY, KEY, domain=ledger.domain)
    ledger.submit([first_step(client, case)])
    with serve(create_app(settings, ledger=ledger)) as url:
        agency = BackgroundAgency(url, KEY, ledger.domain, case, interval_s=0.1)
        agency.start()
        steps = JOURNEYS["paspor"]
        timeline = wait_for(
            lambda: (t := ledger.case_timeline(case.commitment)) and len(t.events) == len(steps) and t,
            what="the whole journey",
        )
        assert [e.stored.event.event_type for e in timeline.events] == [s[0] for s in steps]
        agency.join(10)
        assert not agency.is_alive()


def test_it_stops_when_told_even_before_the_server_answers(settings, store):  # noqa: F811
    agency = BackgroundAgency("http://127.0.0.1:9", KEY, settings.domain, CaseState("PSP-SBY-LIVE-X", KEY))
    agency.start()
    agency.stop.set()
    agency.join(5)
    assert not agency.is_alive()
