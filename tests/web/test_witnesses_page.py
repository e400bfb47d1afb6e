"""The citizen page says who witnessed a case's checkpoint (FORMATS 10.3 step 2), in the browser.

The page and its code are the real app's; the case it looks up is the witnessed golden bundle of
tests/vectors/bundles.json (TEST log and witness keys, a 2-of-3 TEST policy), served in place of the
server's answers by Playwright's request routing: /v1/info publishes the TEST log key and policy.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.core.commitment import format_access_code
from ledger.core.encoding import keccak256
from ledger.core.events import ServiceEvent
from tests.web.conftest import Site, Tab

pytestmark = pytest.mark.browser

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "bundles.json").read_text(encoding="utf-8"))
REF = "KTP-JKS-2026-000123"
CODE = format_access_code(keccak256(b"saksi test case key 10"))  # the TEST case key of the vectors' KTP case


def vector(start: str) -> dict[str, Any]:
    return next(v for v in VECTORS["vectors"] if v["description"].startswith(start))


def answers(v: dict[str, Any], note: str | None) -> dict[str, Any]:
    """What the server would answer for the vector's case: info, timeline, bundle and agencies."""
    bundle = copy.deepcopy(v["bundle"])
    if note is not None:
        bundle["checkpoint"]["note"] = note
    last = max(bundle["events"], key=lambda e: e["event"]["caseSeq"])
    timeline = {
        "caseCommitment": bundle["caseCommitment"],
        "events": [
            {**e["event"], **{k: e[k] for k in ("signature", "signer", "leafIndex", "leafHash", "receivedAt")}}
            | {"anchored": True}
            for e in bundle["events"]
        ],
        "head": {
            "caseSeq": last["event"]["caseSeq"],
            "headHash": "0x" + ServiceEvent.from_json(last["event"]).hash_struct().hex(),
        },
        "checkpoint": {**bundle["checkpoint"], "anchor": {**bundle["anchor"], "status": "confirmed"}},
    }
    info = {
        "origin": bundle["checkpoint"]["checkpoint"].split("\n")[0],
        "chainId": bundle["eip712Domain"]["chainId"],
        "contract": bundle["eip712Domain"]["verifyingContract"],
        "eip712Domain": bundle["eip712Domain"],
        "publicRpcUrl": None,
        "version": "test",
        "logVkey": v["logVkey"],
        "witnessPolicy": v["policy"],
    }
    signers = v["authorisedSigners"]
    agencies = [
        {"code": code, "name": f"Agency {code}", "status": "active", "signer": keys[-1], "since": 0}
        for code, keys in signers.items()
    ]
    return {"info": info, "timeline": timeline, "bundle": bundle, "agencies": {"agencies": agencies}}


def serve_case(tab: Tab, served: dict[str, Any]) -> None:
    def fulfil(route: Any) -> None:
        path = route.request.url.split("/v1/", 1)[1].split("?")[0]
        if path == "info":
            body = served["info"]
        elif path == "agencies":
            body = served["agencies"]
        elif path.startswith("cases/") and path.endswith("/stream"):  # a live stream with nothing new yet
            route.fulfill(status=200, content_type="text/event-stream", body="retry: 3000\n\n")
            return
        elif path.startswith("cases/") and path.endswith("/bundle"):
            body = served["bundle"]
        elif path.startswith("cases/"):
            body = served["timeline"]
        else:
            route.fulfill(status=404, content_type="application/problem+json", body="{}")
            return
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    tab.page.route("**/v1/**", fulfil)


def open_case(tab: Tab, site: Site) -> str:
    tab.page.goto(f"{site.url}/#ref={REF}&code={CODE}")
    tab.page.locator("#case-title", has_text=REF).wait_for()
    return tab.page.inner_text('[data-check="witnesses"]')


def test_a_case_witnessed_by_two_of_three_names_them_in_both_languages(tab: Tab, site: Site) -> None:
    v = vector("witnessed, and checked against the chain")
    serve_case(tab, answers(v, None))
    text = open_case(tab, site)
    assert tab.page.get_attribute('[data-check="witnesses"]', "data-status") == "ok"
    assert "Saksi independen" in text
    assert "Disaksikan oleh Ombudsman RI, BPK (2 dari 3 saksi yang disebut kebijakan; 2 disyaratkan)." in text
    assert "Ombudsman RI: " in text and "BPK: " in text and "2026" in text
    tab.page.locator("#lang-switch").click()
    tab.page.locator('[data-check="witnesses"]', has_text="Independent witnesses").wait_for()
    text = tab.page.inner_text('[data-check="witnesses"]')
    assert "Witnessed by Ombudsman RI, BPK (2 of the 3 witnesses the policy names; 2 required)." in text
    tab.shot("citizen-witnessed-2-of-3")


def test_a_tampered_cosignature_fails_and_names_the_witness(tab: Tab, site: Site) -> None:
    v = vector("witnessed, and checked against the chain")
    tampered = vector("a witness's cosignature with one bit flipped")["bundle"]["checkpoint"]["note"]
    serve_case(tab, answers(v, tampered))
    text = open_case(tab, site)
    assert tab.page.get_attribute('[data-check="witnesses"]', "data-status") == "fail"
    assert tab.page.get_attribute("#verdict", "data-verdict") == "fail"
    # that vector flips a bit of the second cosignature, BPK's
    assert "Tanda tangan saksi BPK tidak sah: checkpoint ini tidak boleh dipercaya." in text


def test_not_yet_witnessed_is_a_warning_in_words(tab: Tab, site: Site) -> None:
    v = vector("witnessed, and checked against the chain")
    only = vector("signed by the log, no cosignature yet")["bundle"]["checkpoint"]["note"]
    serve_case(tab, answers(v, only))
    text = open_case(tab, site)
    assert tab.page.get_attribute('[data-check="witnesses"]', "data-status") == "warn"
    assert "Belum ada saksi independen yang memeriksa catatan ini (0 dari 3; 2 disyaratkan)." in text
