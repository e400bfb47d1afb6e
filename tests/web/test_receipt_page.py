"""A printed receipt's QR code verifies with the network off, in headless Chromium against the real app:
the page saw the witness policy once online; then, offline, a photo of the QR code (an image the test
renders with the npm qrcode package) is read and checked on the device ("signed by … and witnessed by
…"); a tampered proof is refused with the failing check named; the printed receipt carries the proof in
its QR link. TEST KEYS ONLY."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from api.app import create_app
from ledger.config import Limits, Settings
from ledger.core.commitment import format_access_code
from ledger.core.encoding import hex0x
from ledger.core.receipt_proof import ReceiptProof
from ledger.storage.engine import DatabaseSettings, create_database_engine, upgrade
from ledger.storage.sql import SqlStore
from tests.api.conftest import DESK, DUKCAPIL
from tests.api.witnessed import Witnessed, build_witnessed
from tests.factories import TEST_CHAIN_ID, TEST_CONTRACT, CaseBuilder, FakeClock
from tests.live import serve
from tests.web.conftest import ROOT, Tab

pytestmark = pytest.mark.browser


@pytest.fixture
def witnessed_site(tmp_path, built_pages) -> Iterator[tuple[Witnessed, str]]:
    engine = create_database_engine(DatabaseSettings(f"sqlite:///{tmp_path}/saksi.db", sqlite_synchronous="NORMAL"))
    upgrade(engine)
    store = SqlStore(engine)
    settings = Settings(
        data_dir=tmp_path,
        chain_id=TEST_CHAIN_ID,
        contract=hex0x(TEST_CONTRACT),
        complaints_agency=DESK.code,
        limits=Limits(citizen_rate_per_minute=6000),
    )
    witnessed = build_witnessed(settings, store, FakeClock(), [DUKCAPIL, DESK], DESK)
    try:
        with serve(create_app(witnessed.ledger.settings, ledger=witnessed.ledger)) as url:
            yield witnessed, url
    finally:
        engine.dispose()


def qr_png(text: str, path: Path) -> Path:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = "require('qrcode').toFile(process.argv[1], process.argv[2], {errorCorrectionLevel: 'M', scale: 4})"
    subprocess.run([node, "-e", script, str(path), text], cwd=ROOT, check=True, timeout=60)
    return path


def test_a_receipts_qr_code_verifies_with_the_network_off(tab: Tab, witnessed_site, tmp_path) -> None:
    witnessed, url = witnessed_site
    case = CaseBuilder(DUKCAPIL, ref="KTP-JKS-2026-000555")
    witnessed.seed(3, case)
    receipt = httpx.get(f"{url}/v1/cases/{hex0x(case.commitment)}/receipt", timeout=10).text.strip()
    assert len(receipt) < 2048 and ReceiptProof.decode(receipt).event.case_seq == 3
    code = format_access_code(case.key)
    link = f"{url}/#ref={case.ref}&code={code}&proof={receipt}"
    png = qr_png(link, tmp_path / "receipt.png")

    page = tab.page
    page.goto(f"{url}/")  # once online: the page keeps the witness policy and the registry
    page.locator("body[data-ready=true]").wait_for()
    page.wait_for_function("() => localStorage.getItem('saksi.trust.v1') !== null")
    page.locator("#receipt-paste").focus()  # the checker and its QR decoder load while online
    page.wait_for_timeout(500)
    page.context.set_offline(True)
    page.set_input_files("#receipt-file", str(png))
    verdict = page.locator("#receipt-verdict")
    verdict.wait_for()
    assert verdict.get_attribute("data-verdict") == "ok", page.inner_text("#receipt-result")
    claim = page.inner_text("#receipt-claim")
    assert claim.startswith("Langkah ini ditandatangani oleh Dukcapil Jakarta Selatan dan disaksikan oleh")
    assert "Ombudsman RI" in claim and "BPK" in claim
    assert "Langkah 3" in page.inner_text("#receipt-result") or "3." in page.inner_text("#receipt-result")
    tab.shot("citizen-receipt-offline-ok")

    # a tampered proof (the step's summary edited, the receipt re-encoded) is refused, naming the check
    decoded = ReceiptProof.decode(receipt)
    edited = dataclasses.replace(decoded, event=dataclasses.replace(decoded.event, summary="Permohonan ditolak"))
    page.fill("#receipt-paste", f"{url}/#proof={quote(edited.encode())}")
    page.click("#receipt-check")
    page.locator('#receipt-verdict[data-verdict="fail"]').wait_for()
    assert page.get_attribute("#receipt-verdict", "data-reason") == "receipt.fail.inclusion"
    assert "bukti inklusi gagal" in page.inner_text("#receipt-verdict")
    # and a damaged one (a character of the QR text lost) says so
    page.fill("#receipt-paste", receipt[:300] + receipt[301:])
    page.click("#receipt-check")
    page.locator('#receipt-verdict[data-reason="receipt.fail.malformed"]').wait_for()
    assert page.inner_text("#receipt-verdict h3") == "Tanda terima ini ditolak"
    tab.shot("citizen-receipt-offline-refused")
    page.context.set_offline(False)
    tab.errors[:] = [e for e in tab.errors if "ERR_INTERNET_DISCONNECTED" not in e]


def test_the_printed_receipt_carries_the_proof_in_its_qr_link(tab: Tab, witnessed_site) -> None:
    witnessed, url = witnessed_site
    case = CaseBuilder(DUKCAPIL, ref="KTP-JKS-2026-000556")
    witnessed.seed(2, case)
    page = tab.page
    page.evaluate("window.print = () => {}")
    page.goto(f"{url}/#ref={case.ref}&code={format_access_code(case.key)}")
    page.locator("#case-title", has_text=case.ref).wait_for()
    page.evaluate("window.print = () => {}")
    page.click("#print-receipt")
    page.locator("#receipt-proof-note").wait_for(state="attached")
    assert "bukti langkah 2" in page.inner_text("#receipt")
