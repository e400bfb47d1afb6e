"""The citizen page and the auditor dashboard in headless Chromium, against the real app.

Screenshots of every state land in test-output/screenshots/ (gitignored).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from ledger.chain.rpc import NodeError
from ledger.core.encoding import hex0x
from ledger.errors import SaksiError
from tests.live import serve
from tests.web.conftest import Site, Tab, open_tab

pytestmark = pytest.mark.browser

CHECKS = ["commitment", "signature", "chain", "leaf", "inclusion", "checkpoint", "anchor"]


def lookup(tab: Tab, site: Site, name: str) -> None:
    case = site.cases[name]
    tab.page.goto(f"{site.url}/{case.fragment}")
    tab.page.locator("#case-title", has_text=case.ref).wait_for()


def statuses(tab: Tab) -> dict[str, str]:
    return {c: tab.page.get_attribute(f'[data-check="{c}"]', "data-status") for c in CHECKS}


def no_horizontal_scroll(tab: Tab) -> None:
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    viewport = tab.page.evaluate("window.innerWidth")
    assert width <= viewport, f"page is {width}px wide in a {viewport}px viewport"


# --- the citizen page -----------------------------------------------------------------------------------


def test_start_page(tab: Tab, site: Site) -> None:
    tab.page.goto(site.url + "/")
    tab.page.wait_for_selector("body[data-ready]")
    assert tab.page.get_attribute("html", "lang") == "id"
    assert tab.page.inner_text("h1") == "Periksa riwayat permohonan Anda"
    # every input has a label
    for field in ("case-ref", "access-code"):
        assert tab.page.locator(f'label[for="{field}"]').count() == 1
    tab.shot("citizen-start-desktop")


def test_good_case_verifies_all_green_and_keeps_the_key_in_the_browser(tab: Tab, site: Site) -> None:
    case = site.cases["good"]
    lookup(tab, site, "good")
    assert tab.page.get_attribute("#verdict", "data-verdict") == "ok"
    assert tab.page.inner_text("#verdict h2") == "Terverifikasi"
    assert statuses(tab) == dict.fromkeys(CHECKS, "ok")
    steps = tab.page.locator("ol.timeline > li")
    assert steps.count() == 4
    assert tab.page.locator('ol.timeline > li[data-status="ok"]').count() == 4
    assert "Dokumen diserahkan" in steps.nth(3).inner_text()
    assert "KTP-el sudah dicetak" in steps.nth(3).inner_text()
    # the chain was read by the browser itself (rootAt over JSON-RPC)
    assert any(
        c.get("method") == "eth_call" and c["params"][0]["data"].startswith("0xeaa38b41") for c in site.chain.calls
    )
    # the access code and the key never went to the server
    code = case.code.replace("-", "")
    for request in tab.requests:
        sent = (request.url + (request.post_data or "")).upper().replace("-", "")
        assert code not in sent, request.url
        assert case.ref not in request.url
    assert any(case.commitment in r.url for r in tab.requests)
    tab.shot("citizen-verified-desktop")


def test_embedded_chain_is_read_through_the_server_and_said_to_be_no_independent_check(tab: Tab, site: Site) -> None:
    """With no public RPC (the embedded chain of `saksi demo`), the page reads rootAt through the
    server's POST /chain-rpc, and says that this check is only as independent as the server."""
    ledger = copy.copy(site.ledger)
    ledger.settings = site.ledger.settings.with_(public_rpc_url="")

    def chain_request(method: str, params: list) -> str:
        """The embedded node's answer to the eth_call of rootAt the page sends (the site's chain is faked)."""
        if method == "eth_blockNumber":  # the window pins "latest" to a block number first
            return "0x10"
        assert method == "eth_call", method
        size = int(params[0]["data"][10:], 16)
        try:
            view = site.ledger.checkpoint(size)
        except SaksiError:
            view = None
        if view is None or view.anchor is None:
            raise NodeError("eth_call", 3, "execution reverted", "0x")
        return hex0x(view.checkpoint.root_hash)

    with serve(create_app(ledger.settings, ledger=ledger, chain_request=chain_request)) as url:
        tab.page.goto(f"{url}/{site.cases['good'].fragment}")
        tab.page.locator("#case-title", has_text=site.cases["good"].ref).wait_for()
        assert statuses(tab) == dict.fromkeys(CHECKS, "ok")
        anchor = tab.page.inner_text('[data-check="anchor"]')
        assert "blockchain bawaan server ini" in anchor and f"{url}/chain-rpc" in anchor
        assert any(r.url == f"{url}/chain-rpc" for r in tab.requests)
        assert not tab.errors
        tab.shot("citizen-verified-embedded-chain")


def test_typed_input_is_normalised_and_works_from_the_keyboard(tab: Tab, site: Site) -> None:
    case = site.cases["good"]
    tab.page.goto(site.url + "/")
    tab.page.wait_for_selector("body[data-ready]")
    tab.page.focus("#case-ref")
    tab.page.keyboard.type(f"  {case.ref.lower()} ")
    tab.page.keyboard.press("Tab")
    assert tab.page.evaluate("document.activeElement.id") == "access-code"
    tab.page.keyboard.type(case.code.lower().replace("-", " "))
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_selector("#verdict")
    assert tab.page.get_attribute("#verdict", "data-verdict") == "ok"
    assert tab.page.evaluate("document.activeElement.id") == "verdict", "focus moves to the verdict"


def test_tampered_row_is_flagged_on_the_signature_check(tab: Tab, site: Site) -> None:
    lookup(tab, site, "tampered")
    assert tab.page.get_attribute("#verdict", "data-verdict") == "fail"
    assert tab.page.inner_text("#verdict h2") == "Ada masalah"
    result = statuses(tab)
    assert result["signature"] == "fail"
    assert result["commitment"] == "ok"
    assert result["inclusion"] == "ok", "the stored leaf is still in the anchored tree"
    assert result["anchor"] == "ok"
    signature = tab.page.inner_text('[data-check="signature"]')
    assert "Langkah 3" in signature and "isinya diubah setelah ditandatangani" in signature
    assert tab.page.get_attribute('ol.timeline > li[data-seq="3"]', "data-status") == "fail"
    assert tab.page.get_attribute('ol.timeline > li[data-seq="1"]', "data-status") == "ok"
    assert "Ujian praktik lulus" in tab.page.inner_text('ol.timeline > li[data-seq="3"]')
    tab.shot("citizen-tampered-desktop")


def test_events_waiting_for_a_checkpoint_are_pending_not_failed(tab: Tab, site: Site) -> None:
    lookup(tab, site, "pending")
    assert tab.page.get_attribute("#verdict", "data-verdict") == "partial"
    result = statuses(tab)
    assert result["inclusion"] == "pending"
    assert result["signature"] == "ok" and result["chain"] == "ok" and result["leaf"] == "ok"
    assert tab.page.is_disabled("#download-bundle")
    tab.shot("citizen-pending-desktop")


def test_unknown_case_says_so(tab: Tab, site: Site) -> None:
    case = site.cases["good"]
    wrong = "A" * 51 + "Q"
    tab.page.goto(f"{site.url}/#ref={case.ref}&code={wrong}")
    tab.page.wait_for_selector("#lookup-error:not([hidden])")
    assert "Perkara tidak ditemukan" in tab.page.inner_text("#lookup-error")
    assert tab.page.is_hidden("#result")
    tab.page.fill("#access-code", "not a code")
    tab.page.click("#lookup-submit")
    tab.page.locator("#lookup-error", has_text="Kode akses tidak valid").wait_for()
    assert tab.page.get_attribute("#access-code", "aria-invalid") == "true"
    tab.shot("citizen-error-desktop")


def test_a_mistyped_code_says_check_the_code(tab: Tab, site: Site) -> None:
    """The check character tells a typo from an unknown case, in both languages; old codes still open."""
    case = site.cases["good"]
    bare = case.code.replace("-", "")
    typo = bare[:7] + ("B" if bare[7] != "B" else "C") + bare[8:]
    tab.page.goto(f"{site.url}/#ref={case.ref}&code={typo}")
    tab.page.locator("#lookup-error", has_text="Periksa kode akses").wait_for()
    assert "salah ketik" in tab.page.inner_text("#lookup-error")
    assert tab.page.get_attribute("#access-code", "aria-invalid") == "true"
    assert not any("/v1/cases/" in r.url for r in tab.requests), "a typo is caught before asking the server"
    tab.page.click("#lang-switch")
    tab.page.locator("#lookup-error", has_text="Check the code").wait_for()
    tab.page.click("#lang-switch")
    # a receipt printed before the check character existed: 52 characters, still accepted
    tab.page.fill("#access-code", "-".join(bare[i : i + 4] for i in range(0, 52, 4)))
    tab.page.click("#lookup-submit")
    tab.page.wait_for_selector("#verdict")
    assert tab.page.get_attribute("#verdict", "data-verdict") == "ok"


def test_language_switch(tab: Tab, site: Site) -> None:
    lookup(tab, site, "good")
    assert tab.page.get_attribute("html", "lang") == "id"
    assert tab.page.inner_text("#lang-switch") == "English"
    tab.page.click("#lang-switch")
    assert tab.page.get_attribute("html", "lang") == "en"
    assert tab.page.inner_text("h1") == "Check the history of your application"
    assert tab.page.inner_text("#verdict h2") == "Verified"
    assert tab.page.inner_text("#lang-switch") == "Bahasa Indonesia"
    assert tab.page.get_attribute("#lang-switch", "lang") == "id"
    assert "Document issued" in tab.page.inner_text("ol.timeline")
    assert "Agency signatures" in tab.page.inner_text('[data-check="signature"]')
    tab.shot("citizen-verified-english")
    # the choice is remembered
    tab.page.reload()
    tab.page.wait_for_selector("#verdict")
    assert tab.page.get_attribute("html", "lang") == "en"
    tab.page.click("#lang-switch")
    assert tab.page.get_attribute("html", "lang") == "id"
    assert tab.page.inner_text("#verdict h2") == "Terverifikasi"


def test_download_proof_bundle(tab: Tab, site: Site) -> None:
    lookup(tab, site, "good")
    with tab.page.expect_download() as info:
        tab.page.click("#download-bundle")
    download = info.value
    assert download.suggested_filename == f"saksi-{site.cases['good'].ref}.json"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert '"format":"saksi.proof-bundle/v1"' in text.replace(" ", "")


def test_print_receipt_with_qr_code(tab: Tab, site: Site) -> None:
    case = site.cases["good"]
    tab.page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    lookup(tab, site, "good")
    tab.page.click("#print-receipt")
    tab.page.locator("#receipt .qr svg").wait_for(state="attached")
    assert tab.page.evaluate("window.__printed") == 1
    receipt = tab.page.inner_text("#receipt")
    assert case.ref in receipt and case.code in receipt
    assert f"/#ref={case.ref}&code={case.code}" in receipt
    tab.page.emulate_media(media="print")
    tab.shot("citizen-receipt-print")
    tab.page.emulate_media(media="screen")


def test_complaint_is_filed_and_its_receipt_shown(tab: Tab, site: Site) -> None:
    if not serves_complaints(site):
        pytest.skip("POST /v1/complaints is not served yet")
    lookup(tab, site, "good")
    tab.page.click("#open-complaint")
    assert tab.page.get_attribute("#open-complaint", "aria-expanded") == "true"
    assert tab.page.evaluate("document.activeElement.id") == "complaint-category"
    tab.page.click("#complaint-submit")
    tab.page.wait_for_selector("#complaint-error")
    assert "Tuliskan pesan" in tab.page.inner_text("#complaint-error")
    tab.page.select_option("#complaint-category", "delay")
    tab.page.fill("#complaint-message", "KTP-el saya baru diserahkan setelah enam hari, padahal dijanjikan satu hari.")
    tab.page.click("#complaint-submit")
    tab.page.wait_for_selector("#complaint-receipt .qr svg")
    ref = tab.page.inner_text("#complaint-ref")
    code = tab.page.inner_text("#complaint-code")
    assert re.fullmatch(r"ADU-[A-Z0-9]+", ref), ref
    assert re.fullmatch(r"([A-Z2-7]{4}-){13}[A-Z2-7]", code), code  # 52 key characters and the check character
    link = tab.page.get_attribute("#complaint-link", "href")
    assert link.endswith(f"/#ref={ref}&code={code}")
    assert "Pengaduan diterima" in tab.page.inner_text("#complaint-receipt")
    tab.shot("citizen-complaint-receipt")
    # following the link opens the complaint case itself, checked like any other case
    tab.page.click("#complaint-link")
    tab.page.locator("#case-title", has_text=ref).wait_for()
    assert "Pengaduan diajukan" in tab.page.inner_text("ol.timeline")
    assert tab.page.get_attribute('[data-check="signature"]', "data-status") == "ok"
    tab.shot("citizen-complaint-case")


def serves_complaints(site: Site) -> bool:
    spec = httpx.get(site.url + "/openapi.json").json()
    return "post" in spec["paths"].get("/v1/complaints", {})


# --- a phone ---------------------------------------------------------------------------------------------------


def test_phone_360_wide(phone: Tab, site: Site) -> None:
    phone.page.goto(site.url + "/")
    phone.page.wait_for_selector("body[data-ready]")
    no_horizontal_scroll(phone)
    phone.shot("phone-citizen-start", full_page=False)
    lookup(phone, site, "good")
    no_horizontal_scroll(phone)
    assert phone.page.get_attribute("#verdict", "data-verdict") == "ok"
    # touch targets are at least 44 px high
    for selector in ("#lookup-submit", "#download-bundle", "#print-receipt", "#open-complaint"):
        assert phone.page.locator(selector).bounding_box()["height"] >= 44, selector
    phone.page.evaluate("window.scrollTo(0, 0)")
    phone.shot("phone-citizen-verified-top", full_page=False)
    phone.shot("phone-citizen-verified-full")
    lookup(phone, site, "tampered")
    no_horizontal_scroll(phone)
    phone.shot("phone-citizen-tampered-full")


def test_phone_complaint_form(phone: Tab, site: Site) -> None:
    lookup(phone, site, "pending")
    phone.page.click("#open-complaint")
    phone.page.wait_for_selector("#complaint-form")
    no_horizontal_scroll(phone)
    phone.page.locator("#complaint-form").scroll_into_view_if_needed()
    phone.shot("phone-complaint-form", full_page=False)


# --- the auditor dashboard ----------------------------------------------------------------------------------------


def test_audit_dashboard(tab: Tab, site: Site) -> None:
    tab.page.goto(site.url + "/audit")
    tab.page.wait_for_selector("body[data-ready]")
    tab.page.wait_for_selector("#chart-volumes svg.plot")
    assert tab.page.locator(".tile").count() == 6
    for chart in ("volumes", "completion", "complaints", "anchoring", "lag"):
        assert tab.page.locator(f"#chart-{chart} svg.plot").count() == 1, chart
        assert tab.page.locator(f"#chart-{chart} table").count() == 1, f"{chart} has a data table"
    assert "Belum dijalankan" in tab.page.inner_text("#audit-result")
    assert "KTP-el" in tab.page.inner_text("#chart-volumes")
    assert "per ukuran log" in tab.page.inner_text("#tiles")  # the tree size the case figures count
    tab.shot("audit-desktop")
    tab.page.click("#by-office")
    assert tab.page.get_attribute("#by-office", "aria-pressed") == "true"
    assert "dukcapil.jaksel" in tab.page.inner_text("#chart-volumes")
    tab.page.click("#lang-switch")
    assert tab.page.get_attribute("html", "lang") == "en"
    assert tab.page.inner_text("h1") == "Auditor dashboard"
    assert "Not run yet" in tab.page.inner_text("#audit-result")
    assert "as of log size" in tab.page.inner_text("#tiles")
    tab.shot("audit-desktop-english-by-office")


def test_audit_dashboard_shows_what_the_audit_checked(tab: Tab, site: Site) -> None:
    """Issue 20.10: a `--no-chain` audit said "Tidak ada selisih." with no date, size or sign that the chain
    was skipped. The dashboard now shows the report's scope, in both languages."""
    from ledger.audit.run import Auditor

    report = Auditor(site.ledger.store, site.ledger.settings.domain, lambda: 1_765_000_000_000, workers=1).run()
    path = Path(site.ledger.settings.data_dir) / "audit-latest.json"
    path.write_text(json.dumps(report.to_json()))
    try:
        tab.page.goto(site.url + "/audit")
        tab.page.wait_for_selector("#audit-scope")
        assert "1 selisih ditemukan" in tab.page.inner_text("#audit-result")  # the site's edited SIM row
        assert "Blockchain TIDAK diperiksa" in tab.page.inner_text("#audit-chain-skipped")
        assert f"dari {report.tree_size}" in tab.page.inner_text("#audit-scope")
        assert "registri instansi" in tab.page.inner_text("#audit-scope")
        tab.page.click("#lang-switch")
        assert "The blockchain was NOT checked" in tab.page.inner_text("#audit-chain-skipped")
        assert f"of {report.tree_size}" in tab.page.inner_text("#audit-scope")
        # a clean verdict of a partial audit says it covers only what was checked
        clean = {**report.to_json(), "clean": True, "discrepancyCounts": {}, "discrepancies": []}
        path.write_text(json.dumps(clean))
        tab.page.click("#refresh")
        tab.page.wait_for_selector("#audit-result >> text=No discrepancies in what was checked.")
        assert "No discrepancies in what was checked." in tab.page.inner_text("#audit-result")
    finally:
        path.unlink()


def test_audit_dashboard_on_a_phone(browser, site: Site) -> None:
    phone = open_tab(browser, 360, 740)
    try:
        phone.page.goto(site.url + "/audit")
        phone.page.wait_for_selector("#chart-volumes svg.plot")
        no_horizontal_scroll(phone)
        phone.shot("phone-audit-full")
        assert not phone.errors, phone.errors
    finally:
        phone.page.context.close()
