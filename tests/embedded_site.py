"""A real data directory on the embedded chain, served in a thread: what `saksi demo` runs, for tests
of the read-only chain window and of the verifiers that use it (tests only)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from api.app import create_app
from ledger.checker.client import AgencyClient, CaseState
from ledger.core.encoding import hex0x
from ledger.runtime import Runtime, anchor_everything, build_runtime, init_data_dir
from tests.factories import AgencyKey, FakeClock
from tests.live import serve

PASSWORD = "embedded-site-test-password"  # TEST PASSWORD
AGENCY = AgencyKey("dukcapil.jaksel", name="Dukcapil Jakarta Selatan")


@dataclass
class Site:
    runtime: Runtime
    app: Any
    url: str
    clock: FakeClock
    client: AgencyClient

    def register(self, agency: AgencyKey = AGENCY) -> None:
        """On chain, then in the mirror (as the server's registry sync does)."""
        self.runtime.chain.register_agency(agency.code, agency.address)
        self.runtime.workers[0].sync()

    def submit(self, case: CaseState, event_type: str, summary: str) -> dict:
        (receipt,) = self.client.submit([self.client.build(case, event_type, summary, occurred_at=1_763_000_000)])
        assert isinstance(receipt, dict), receipt
        return receipt

    def anchor(self) -> None:
        _, status = anchor_everything(self.runtime)
        assert status.lag_leaves == 0

    def bundle(self, case: CaseState, path: Path) -> Path:
        response = httpx.get(f"{self.url}/v1/cases/{hex0x(case.commitment)}/bundle")
        assert response.status_code == 200, response.text
        path.write_bytes(orjson.dumps(response.json()))
        return path


@contextmanager
def embedded_site(tmp_path: Path) -> Iterator[Site]:
    """`saksi init` on the embedded chain, then the app with its POST /chain-rpc window on a free port.

    The ledger's clock starts at the real time (the embedded chain's blocks carry it) and is moved by hand."""
    settings = init_data_dir(tmp_path / "saksi-data", PASSWORD)
    clock = FakeClock(time.time_ns() // 1_000_000)
    runtime = build_runtime(settings, PASSWORD, clock_ms=clock)
    try:
        app = create_app(settings, ledger=runtime.ledger, chain_request=runtime.chain.request)
        with serve(app) as url:
            client = AgencyClient(url, AGENCY.code, AGENCY.key)
            yield Site(runtime, app, url, clock, client)
            client.close()
    finally:
        runtime.close()
