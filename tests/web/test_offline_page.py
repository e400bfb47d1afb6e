"""The citizen page as an offline-first web app, in headless Chromium against the real app: once a case
was opened, the page (its service worker) and the case (kept encrypted with the case key in IndexedDB)
open again and verify with the network off, saying how old the copy is; it comes back live once online.
The manifest makes it installable."""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import Site, Tab

pytestmark = pytest.mark.browser


def test_an_opened_case_reopens_and_verifies_with_the_network_off(tab: Tab, site: Site) -> None:
    case = site.cases["good"]
    page = tab.page
    page.goto(f"{site.url}/{case.fragment}")
    page.locator("#case-title", has_text=case.ref).wait_for()
    assert page.get_attribute("#verdict", "data-verdict") == "ok"
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    kept = page.evaluate(
        """() => new Promise((resolve) => { const r = indexedDB.open('saksi', 1);
             r.onsuccess = () => { const q = r.result.transaction('cases').objectStore('cases').getAllKeys();
               q.onsuccess = () => resolve(q.result); }; })"""
    )
    assert kept == [case.commitment]
    # the copy is sealed with the case key: neither the reference nor a summary is readable in storage
    sealed = page.evaluate(
        """() => new Promise((resolve) => { const r = indexedDB.open('saksi', 1);
             r.onsuccess = () => { const q = r.result.transaction('cases').objectStore('cases').getAll();
               q.onsuccess = () => resolve(Array.from(q.result[0].sealed)); }; })"""
    )
    assert b"KTP-el" not in bytes(sealed) and case.ref.encode() not in bytes(sealed)

    page.context.set_offline(True)
    page.reload()
    page.locator("#case-title", has_text=case.ref).wait_for()
    assert page.get_attribute("#verdict", "data-verdict") == "ok"
    assert page.get_attribute("#live-status", "data-mode") == "offline"
    assert "Tanpa sambungan" in page.inner_text("#live-status")
    assert page.locator("ol.timeline > li").count() == 4
    tab.shot("citizen-offline-kept-copy")

    page.context.set_offline(False)  # back online: looked up again, live
    page.locator('#live-status[data-mode="live"]').wait_for(timeout=20_000)
    tab.errors[:] = [e for e in tab.errors if "ERR_INTERNET_DISCONNECTED" not in e]


def test_the_page_is_an_installable_web_app(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.url}/")
    page.locator("body[data-ready=true]").wait_for()
    href = page.get_attribute('link[rel="manifest"]', "href")
    answer = page.request.get(f"{site.url}{href}")
    assert answer.ok and answer.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(answer.text())
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone" and manifest["icons"]
    worker = page.request.get(f"{site.url}/sw.js")
    assert worker.ok and worker.headers["content-type"].startswith("text/javascript")
    assert "/static/citizen.js" in worker.text() and "__PRECACHE__" not in worker.text()
