"""The citizen page follows a case live, in headless Chromium against the real app: an agency submits a
step while the page is open and it appears, checked, without a reload; the checkpoint that covers it then
turns the case verified again, from a consistency proof and the step's inclusion proof only (the case is
never downloaded again); the stream survives a server restart."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from api.app import create_app
from ledger.services.ledger import Ledger
from tests.api.conftest import anchor_now
from tests.factories import CaseBuilder, FakeClock
from tests.live import free_port, serve
from tests.web.conftest import BASE_TIME_S, DAY, DUKCAPIL, FakeChain, Tab, _case, _submit, make_ledger

pytestmark = pytest.mark.browser


@dataclass
class LiveSite:
    ledger: Ledger
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def live_site(tmp_path, built_pages) -> Iterator[LiveSite]:
    clock = FakeClock((BASE_TIME_S + 12 * DAY) * 1000)
    ledger = make_ledger(tmp_path, clock)
    with FakeChain(ledger) as chain:
        ledger.settings = ledger.settings.with_(public_rpc_url=chain.url)
        try:
            yield LiveSite(ledger, free_port())
        finally:
            ledger.store.engine.dispose()


def statuses(tab: Tab) -> dict[str, str]:
    checks = ["commitment", "signature", "chain", "leaf", "inclusion", "checkpoint", "anchor"]
    return {c: tab.page.get_attribute(f'[data-check="{c}"]', "data-status") for c in checks}


def test_a_step_submitted_while_the_page_is_open_appears_checked_without_a_reload(
    tab: Tab, live_site: LiveSite
) -> None:
    ledger = live_site.ledger
    builder = CaseBuilder(DUKCAPIL, ref="KTP-JKS-2026-000900")
    for event_type, summary, offset in [
        ("application.submitted", "Permohonan KTP-el diterima", 0),
        ("documents.verified", "Dokumen persyaratan sudah diverifikasi", DAY),
    ]:
        _submit(ledger, [builder.next_item(event_type, summary, occurredAt=BASE_TIME_S + offset)])
    anchor_now(ledger)
    case = _case(builder)
    with serve(create_app(ledger.settings, ledger=ledger), port=live_site.port) as url:
        tab.page.goto(f"{url}/{case.fragment}")
        tab.page.locator("#case-title", has_text=case.ref).wait_for()
        assert tab.page.get_attribute("#verdict", "data-verdict") == "ok"
        tab.page.locator('#live-status[data-mode="live"]').wait_for()
        loaded = len(tab.requests)

        # the agency submits a step over HTTP: the page shows it, its signature and link checked
        item = builder.next_item(
            "biometrics.recorded", "Foto dan sidik jari sudah direkam", occurredAt=BASE_TIME_S + 2 * DAY
        )
        assert httpx.post(f"{url}/v1/events", json=item, timeout=10).status_code == 201
        steps = tab.page.locator("ol.timeline > li")
        tab.page.locator("ol.timeline > li", has_text="Foto dan sidik jari").wait_for()
        assert steps.count() == 3
        assert tab.page.get_attribute("#verdict", "data-verdict") == "partial", statuses(tab)
        found = statuses(tab)
        assert found["signature"] == found["chain"] == found["leaf"] == "ok" and found["inclusion"] == "warn"
        tab.shot("citizen-live-new-step")

        # a checkpoint covers it: consistency from the one verified, inclusion of the new step, the chain's root
        size = anchor_now(ledger)
        tab.page.locator('#verdict[data-verdict="ok"]').wait_for()
        assert statuses(tab) == dict.fromkeys(statuses(tab), "ok")
        assert tab.page.locator('ol.timeline > li[data-status="ok"]').count() == 3
        later = [r.url.removeprefix(url) for r in tab.requests[loaded:] if r.url.startswith(url)]
        assert any(u.startswith("/v1/proofs/consistency?from=2&to=") for u in later), later
        assert any(u.startswith(f"/v1/proofs/inclusion?leafIndex=2&treeSize={size}") for u in later), later
        assert not any(u.startswith(f"/v1/cases/{case.commitment}") and "/stream" not in u for u in later), later

    # the server restarts on the same address: the page reconnects and resumes where it stopped
    tab.page.locator('#live-status[data-mode="reconnecting"]').wait_for()
    _submit(ledger, [builder.next_item("document.issued", "KTP-el sudah dicetak", occurredAt=BASE_TIME_S + 3 * DAY)])
    with serve(create_app(ledger.settings, ledger=ledger), port=live_site.port):
        tab.page.locator("ol.timeline > li", has_text="KTP-el sudah dicetak").wait_for(timeout=20_000)
        assert tab.page.locator("ol.timeline > li").count() == 4
        tab.page.locator('#live-status[data-mode="live"]').wait_for()
