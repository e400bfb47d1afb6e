"""The demo's background agency: while `saksi demo` serves, a passport office adds the next step of one
case every `interval_s` seconds through the API (signed by its own key, as an agency's back office
would), so that the case page a citizen has open updates live. Each run opens a case of its own
(`PSP-SBY-LIVE-<time>`), printed as the receipt to follow live.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx

from ledger.checker.client import AgencyClient, CaseState
from ledger.core.events import Domain
from ledger.demo import JOURNEYS
from ledger.errors import SaksiError

log = logging.getLogger("ledger.demo")

LIVE_AGENCY = "imigrasi.surabaya"
LIVE_STEP_S = 30.0


def live_case_ref(now_s: int) -> str:
    """The reference of the case the background agency follows this run (a new one each run)."""
    return f"PSP-SBY-LIVE-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(now_s))}"


def first_step(client: AgencyClient, case: CaseState) -> dict[str, Any]:
    """The case's first step, submitted before the receipts are printed (through the ledger, by `submit`)."""
    event_type, summary, _hours = JOURNEYS["paspor"][0]
    return client.build(case, event_type, summary)


class BackgroundAgency(threading.Thread):
    def __init__(
        self, base_url: str, key: bytes, domain: Domain, case: CaseState, interval_s: float = LIVE_STEP_S
    ) -> None:
        super().__init__(name="saksi-demo-agency", daemon=True)
        self.base_url, self.key, self.domain, self.case, self.interval_s = base_url, key, domain, case, interval_s
        self.stop = threading.Event()

    def run(self) -> None:
        if not self._wait_for_server():
            return
        client = AgencyClient(self.base_url, LIVE_AGENCY, self.key, domain=self.domain)
        try:
            for event_type, summary, _hours in JOURNEYS["paspor"][self.case.seq :]:
                if self.stop.wait(self.interval_s):
                    return
                try:
                    client.submit_one(client.build(self.case, event_type, summary))
                    log.info("demo agency: %s, step %d: %s", self.case.ref, self.case.seq, summary)
                except (SaksiError, httpx.HTTPError) as exc:
                    log.warning("demo agency: step of %s not submitted: %s", self.case.ref, exc)
                    return
        finally:
            client.close()

    def _wait_for_server(self, timeout_s: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        return False
