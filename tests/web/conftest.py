"""Browser tests: the real app served by uvicorn on a loopback port, a seeded ledger, headless Chromium.

Chromium is Debian's (`apt-get install chromium`), driven by Playwright for Python; `playwright
install` is never needed. Without Chromium (or Playwright) the browser tests are skipped, unless the
environment variable CI is set, in which case they fail. A fake JSON-RPC endpoint stands in for the
chain, so that the page's own `rootAt` check runs for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from api.app import create_app
from ledger.config import Limits, Settings
from ledger.core.commitment import format_access_code
from ledger.core.encoding import hex0x
from ledger.errors import SaksiError
from ledger.services.ledger import Ledger
from ledger.storage.engine import DatabaseSettings, create_database_engine, upgrade
from ledger.storage.schema import events
from ledger.storage.sql import SqlStore
from tests.api.conftest import DESK, DUKCAPIL, POLRI, anchor_now
from tests.factories import BASE_TIME_S, TEST_CHAIN_ID, TEST_CONTRACT, AgencyKey, CaseBuilder, FakeClock
from tests.live import serve

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "api" / "static" / "dist"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("SAKSI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IMIGRASI = AgencyKey("imigrasi.surabaya", name="Kantor Imigrasi Surabaya")
DAY = 86_400


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


# --- the built pages ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def built_pages() -> Path:
    """Build web/ into api/static/dist once per session (esbuild takes well under a second)."""
    npm = shutil.which("npm")
    if npm is None or not (ROOT / "node_modules" / "esbuild").exists():
        if (DIST / "citizen.js").exists():
            return DIST
        _unavailable("the web pages are not built and npm/esbuild is missing: run `npm ci && npm run build:web`")
    result = subprocess.run(
        [npm, "run", "--silent", "build:web"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        pytest.fail(f"npm run build:web failed:\n{result.stdout}\n{result.stderr}")
    return DIST


# --- a fake chain: eth_chainId and eth_call rootAt(uint64) over JSON-RPC, with CORS --------------------


class FakeChain:
    """Answers rootAt(treeSize) with the anchored roots of the ledger, like the contract would."""

    ROOT_AT = "0xeaa38b41"

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.calls: list[dict[str, Any]] = []
        chain = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _cors(self) -> None:
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "content-type")

            def do_OPTIONS(self) -> None:  # noqa: N802 - http.server's naming
                self.send_response(204)
                self._cors()
                self.end_headers()

            def do_POST(self) -> None:  # noqa: N802
                call = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                chain.calls.append(call)
                body = json.dumps({"jsonrpc": "2.0", "id": call.get("id"), **chain.answer(call)}).encode()
                self.send_response(200)
                self._cors()
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, call: dict[str, Any]) -> dict[str, Any]:
        if call.get("method") == "eth_chainId":
            return {"result": hex(TEST_CHAIN_ID)}
        if call.get("method") == "eth_call":
            tx, _block = call["params"]
            data = tx["data"]
            if tx["to"].lower() != hex0x(TEST_CONTRACT) or not data.startswith(self.ROOT_AT) or len(data) != 74:
                return {"error": {"code": -32000, "message": "execution reverted"}}
            size = int(data[10:], 16)
            try:
                view = self.ledger.checkpoint(size)
            except SaksiError:
                view = None
            if view is None or view.anchor is None:
                return {"error": {"code": 3, "message": "execution reverted: SaksiLedgerUnknownTreeSize"}}
            return {"result": hex0x(view.checkpoint.root_hash)}
        return {"error": {"code": -32601, "message": "method not found"}}

    def __enter__(self) -> FakeChain:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the seeded ledger and the served app -----------------------------------------------------------


@dataclass
class Case:
    ref: str
    code: str
    commitment: str
    builder: CaseBuilder

    @property
    def fragment(self) -> str:
        return f"#ref={self.ref}&code={self.code}"


@dataclass
class Site:
    url: str
    ledger: Ledger
    chain: FakeChain
    cases: dict[str, Case] = field(default_factory=dict)


def _case(builder: CaseBuilder) -> Case:
    return Case(builder.ref, format_access_code(builder.key), hex0x(builder.commitment), builder)


def _submit(ledger: Ledger, items: list[dict[str, Any]]) -> None:
    for outcome in ledger.submit(items):
        assert not isinstance(outcome, SaksiError), outcome


def seed(ledger: Ledger, clock: FakeClock) -> dict[str, Case]:
    """Three citizens: a finished KTP case, a SIM case whose row gets tampered, a new passport case."""
    good = CaseBuilder(DUKCAPIL, ref="KTP-JKS-2026-000123")
    steps = [
        ("application.submitted", "Permohonan KTP-el diterima di Kecamatan Kebayoran Baru", 0),
        ("documents.verified", "Dokumen persyaratan (KK, akta kelahiran) sudah diverifikasi petugas", DAY + 3 * 3600),
        ("biometrics.recorded", "Foto, sidik jari dan iris mata sudah direkam", 2 * DAY + 5 * 3600),
        ("document.issued", "KTP-el sudah dicetak dan diserahkan kepada pemohon", 6 * DAY + 2 * 3600),
    ]
    for event_type, summary, offset in steps:
        _submit(ledger, [good.next_item(event_type, summary, occurredAt=BASE_TIME_S + offset)])

    tampered = CaseBuilder(POLRI, ref="SIM-BDG-2026-000042")
    for event_type, summary, offset in [
        ("application.submitted", "Permohonan SIM A diterima di Satpas Bandung", 0),
        ("exam.theory_passed", "Ujian teori lulus", 2 * DAY),
        ("exam.practice_failed", "Ujian praktik belum lulus; jadwal ulang 14 hari", 2 * DAY + 2 * 3600),
    ]:
        _submit(ledger, [tampered.next_item(event_type, summary, occurredAt=BASE_TIME_S + offset)])
    anchor_now(ledger)

    pending = CaseBuilder(IMIGRASI, ref="PAS-SBY-2026-000777")
    for event_type, summary, offset in [
        ("application.submitted", "Permohonan paspor diterima (antrean daring)", 10 * DAY),
        ("interview.completed", "Wawancara selesai, berkas lengkap", 10 * DAY + 4 * 3600),
    ]:
        _submit(ledger, [pending.next_item(event_type, summary, occurredAt=BASE_TIME_S + offset)])

    # Someone with database access edits a row of the SIM case: "failed" becomes "passed".
    with ledger.store.write() as tx:
        target = tampered.events[2]["event"]["eventId"]
        tx.conn.execute(
            update(events)
            .where(events.c.agency == POLRI.code, events.c.event_id == target)
            .values(summary="Ujian praktik lulus")
        )
    return {"good": _case(good), "tampered": _case(tampered), "pending": _case(pending)}


def make_ledger(tmp: Path, clock: FakeClock) -> Ledger:
    """A ledger on SQLite with the test agencies registered and the complaints desk configured."""
    engine = create_database_engine(DatabaseSettings(f"sqlite:///{tmp}/saksi.db", sqlite_synchronous="NORMAL"))
    upgrade(engine)
    store = SqlStore(engine)
    with store.write() as tx:
        for agency in (DUKCAPIL, POLRI, DESK, IMIGRASI):
            tx.register_agency(agency.code, agency.name, agency.address, at=0)
    settings = Settings(
        data_dir=tmp,
        database_url=str(engine.url),
        chain_id=TEST_CHAIN_ID,
        contract=hex0x(TEST_CONTRACT),
        complaints_agency=DESK.code,
        limits=Limits(citizen_rate_per_minute=6000, complaint_rate_per_hour=600),
    )
    return Ledger(settings, store, clock, complaints_key=DESK.key)


@pytest.fixture(scope="session")
def site(tmp_path_factory, built_pages) -> Iterator[Site]:
    clock = FakeClock((BASE_TIME_S + 12 * DAY) * 1000)
    ledger = make_ledger(tmp_path_factory.mktemp("web"), clock)
    settings = ledger.settings
    with FakeChain(ledger) as chain:
        ledger.settings = settings.with_(public_rpc_url=chain.url)
        cases = seed(ledger, clock)
        try:
            with serve(create_app(ledger.settings, ledger=ledger)) as url:
                yield Site(url, ledger, chain, cases)
        finally:
            ledger.store.engine.dispose()


# --- Chromium -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Tab:
    page: Any
    errors: list[str]
    requests: list[Any]

    def shot(self, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def open_tab(browser: Any, width: int = 1280, height: int = 900) -> Tab:
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1, locale="id-ID")
    page = context.new_page()
    errors: list[str] = []
    requests: list[Any] = []
    page.on(
        "console",
        lambda m: (
            errors.append(f"console.{m.type}: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on(
        "response", lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 and not expected(r) else None
    )
    page.on("request", lambda r: requests.append(r))
    page.set_default_timeout(15_000)
    return Tab(page, errors, requests)


def expected(response: Any) -> bool:
    """4xx answers the pages handle on purpose: an unknown case, no bundle yet. (No audit yet is a 204.)"""
    return response.status == 404 and "/v1/cases/" in response.url


@pytest.fixture
def tab(browser) -> Iterator[Tab]:
    opened = open_tab(browser)
    yield opened
    opened.page.context.close()
    assert not opened.errors, opened.errors


@pytest.fixture
def phone(browser) -> Iterator[Tab]:
    opened = open_tab(browser, 360, 740)
    yield opened
    opened.page.context.close()
    assert not opened.errors, opened.errors
