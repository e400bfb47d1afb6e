"""The pages speak words, not codes: every event type the code can emit has a label in both languages,
an unknown one reads as words, and the citizen page says plainly what it checked and what it sends."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ledger import demo
from ledger.core.events import EVENT_TYPE_RE
from tests.web.conftest import Site, Tab
from tests.web.test_pages import CHECKS, statuses

ROOT = Path(__file__).resolve().parents[2]
# the event labels sit with the strings both pages share (web/src/i18n.js gathers one module per concern)
I18N = (ROOT / "web" / "src" / "i18n" / "common.js").read_text()


def emitted_event_types() -> set[str]:
    """Every event type written in the code that builds events: the demo's journeys, and each literal
    passed as an event type (`build(case, TYPE, …)`, `event_type=TYPE`, `"eventType": TYPE`) or
    compared with one (`event_type == TYPE`) anywhere in ledger/ and api/."""
    found = {t for journey in demo.JOURNEYS.values() for t, _, _ in journey}
    found |= {t for t, _ in demo.REJECTIONS.values()}
    for path in [*ROOT.glob("ledger/**/*.py"), *ROOT.glob("api/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            candidates: list[ast.AST] = []
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute) and node.func.attr == "build" and len(node.args) >= 2:
                    candidates.append(node.args[1])
                candidates += [k.value for k in node.keywords if k.arg == "event_type"]
            elif isinstance(node, ast.Dict):
                candidates += [v for k, v in zip(node.keys, node.values, strict=True) if _is(k, "eventType")]
            elif isinstance(node, ast.Compare) and _names_event_type(node.left):
                candidates += node.comparators
            for candidate in candidates:
                if isinstance(candidate, ast.Constant) and isinstance(candidate.value, str):
                    found.add(candidate.value)
    return {t for t in found if EVENT_TYPE_RE.fullmatch(t)}


def _is(node: ast.AST | None, text: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == text


def _names_event_type(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "event_type") or (
        isinstance(node, ast.Name) and node.id == "event_type"
    )


def labels(language: str) -> set[str]:
    """The `event.*` keys of one language's dictionary in web/src/i18n/common.js."""
    body = re.search(rf"^export const {language} = \{{\n(.*?)^\}};", I18N, re.S | re.M)
    assert body, language
    return set(re.findall(r"^  'event\.([a-z0-9_.]+)':", body.group(1), re.M))


def test_every_event_type_the_code_emits_has_a_label_in_both_languages() -> None:
    emitted = emitted_event_types()
    # the enumeration sees the demo, the complaints desk and the erasure path
    assert {"document.issued", "complaint.filed", "complaint.answered", "erasure.personal_data"} <= emitted
    for language in ("id", "en"):
        missing = sorted(emitted - labels(language))
        assert not missing, f"no {language} label in web/src/i18n.js for {missing}"


def _say(program: str) -> Any:
    """Run `program` (which ends by printing JSON) in Node against web/src/i18n.js with every page's strings."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = f"const i = await import('./web/src/i18n/all.js'); const out = {{}}; {program}; console.log(JSON.stringify(out));"
    result = subprocess.run(
        [node, "--input-type=module", "-e", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


WITNESS_KEYS = [
    "check.witnesses.title",
    "check.witnesses.ok",
    "check.witnesses.how",
    "check.witnesses.pending",
    "witness.no-note",
    "witness.no-policy",
    "witness.quorum-not-met",
    "witness.none-yet",
    "witness.no-witness-required",
    "witness.at",
    "witness.fail.cosignature",
    "witness.fail.log-signature",
    "witness.fail.log-key",
    "witness.fail.text-mismatch",
    "witness.fail.malformed",
    "detail.logKey",
    "auditResult.part.witnesses",
    "auditResult.witnessesChecked",
]


def test_who_witnessed_is_said_in_words_in_both_languages() -> None:
    """Step 2 on the citizen page: "Disaksikan oleh …" / "Witnessed by …", the count against the policy,
    "no independent witness yet", and a failure named plainly; every key in both languages."""
    found = _say(
        "for (const l of ['id', 'en']) { i.setLang(l); out[l] = {"
        "keys: Object.fromEntries(" + json.dumps(WITNESS_KEYS) + ".map((k) => [k, k in i.DICTIONARY[l]])),"
        "ok: i.t('check.witnesses.ok', {names: 'Ombudsman RI, BPK', count: 2, total: 3, required: 2}),"
        "few: i.t('witness.quorum-not-met', {names: 'BPK', count: 1, total: 3, required: 2}),"
        "none: i.t('witness.none-yet', {count: 0, total: 3, required: 2}),"
        "noNote: i.t('witness.no-note'),"
        "bad: i.t('witness.fail.cosignature', {witness: 'BPK'}) }; }"
    )
    for language in ("id", "en"):
        assert found[language]["keys"] == dict.fromkeys(WITNESS_KEYS, True), language
    assert (
        found["id"]["ok"] == "Disaksikan oleh Ombudsman RI, BPK (2 dari 3 saksi yang disebut kebijakan; 2 disyaratkan)."
    )
    assert found["en"]["ok"] == "Witnessed by Ombudsman RI, BPK (2 of the 3 witnesses the policy names; 2 required)."
    assert found["id"]["few"] == "Belum cukup saksi: baru BPK (1 dari 3 saksi yang disebut kebijakan; 2 disyaratkan)."
    assert (
        found["en"]["few"] == "Not enough witnesses yet: only BPK (1 of the 3 witnesses the policy names; 2 required)."
    )
    assert found["id"]["none"].startswith(
        "Belum ada saksi independen yang memeriksa catatan ini (0 dari 3; 2 disyaratkan)"
    )
    assert found["en"]["none"].startswith("No independent witness has checked this yet (0 of 3; 2 required)")
    assert found["id"]["noNote"].startswith("Belum ada saksi independen")
    assert found["en"]["noNote"].startswith("No independent witness has checked this yet")
    assert found["id"]["bad"] == "Tanda tangan saksi BPK tidak sah: checkpoint ini tidak boleh dipercaya."
    assert found["en"]["bad"] == "The signature of witness BPK is not valid: this checkpoint must not be trusted."


def test_both_languages_have_the_same_keys() -> None:
    found = _say("out.id = Object.keys(i.DICTIONARY.id).sort(); out.en = Object.keys(i.DICTIONARY.en).sort()")
    assert found["id"] == found["en"]


@pytest.mark.browser
def test_erasure_and_unknown_event_types_read_as_words(tab: Tab, site: Site) -> None:
    from tests.api.conftest import DUKCAPIL
    from tests.factories import BASE_TIME_S, CaseBuilder
    from tests.web.conftest import _case, _submit

    case = CaseBuilder(DUKCAPIL, ref="KTP-JKS-2026-000901")
    for event_type, summary in [
        ("application.submitted", "Permohonan KTP-el diterima"),
        ("permit.stamp_renewed", "Cap izin diperbarui"),
    ]:
        _submit(site.ledger, [case.next_item(event_type, summary, occurredAt=BASE_TIME_S, payload={"nik": "0"})])
    first = site.ledger.case_timeline(case.commitment).events[0].stored.leaf_index
    erasure = case.next_item(  # the one door for erasure events: POST /v1/erasures (Ledger.erase)
        "erasure.personal_data",
        "Data pribadi dihapus (UU 27/2022)",
        occurredAt=BASE_TIME_S,
        payload={"erases": [first], "legalBasis": "UU 27/2022 Pasal 8"},
    )
    site.ledger.erase(erasure)
    tab.page.goto(f"{site.url}/{_case(case).fragment}")
    tab.page.locator("#case-title", has_text=case.ref).wait_for()
    page = tab.page.inner_text("#result")
    assert "erasure.personal_data" not in page and "permit.stamp_renewed" not in page
    assert tab.page.inner_text(".facts dd.strong") == "Data pribadi dihapus (UU PDP)"
    assert "Langkah lain: permit, stamp renewed" in tab.page.inner_text('ol.timeline > li[data-seq="2"]')


@pytest.mark.browser
def test_the_checks_panel_leads_with_words_and_keeps_the_detail(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.url}/{site.cases['good'].fragment}")
    tab.page.locator("#case-title", has_text=site.cases["good"].ref).wait_for()
    assert statuses(tab) == dict.fromkeys(CHECKS, "ok")
    shown = tab.page.inner_text(".checks")
    for jargon in ("HMAC", "rootAt(", "Merkle", "leaf", "EIP-712"):
        assert jargon not in shown, jargon
    tab.page.locator('[data-check="anchor"] details summary').click()
    assert "rootAt(" in tab.page.inner_text('[data-check="anchor"] details')
    tab.page.locator('[data-check="commitment"] details summary').click()
    assert "HMAC-SHA256" in tab.page.inner_text('[data-check="commitment"] details')
    # the privacy note no longer claims the code never reaches the server: a complaint sends it
    privacy = tab.page.inner_text("body")
    assert "tidak pernah dikirim ke server" not in privacy and "pengaduan" in privacy


@pytest.mark.browser
def test_a_link_without_its_access_code_keeps_the_reference_and_says_what_is_missing(tab: Tab, site: Site) -> None:
    tab.page.goto(f"{site.url}/#ref=KTP-JKS-2026-000123&code=")
    tab.page.locator("#lookup-error", has_text="tanpa kode akses").wait_for()
    assert tab.page.input_value("#case-ref") == "KTP-JKS-2026-000123"
    assert tab.page.get_attribute("#access-code", "aria-invalid") == "true"
    assert tab.page.evaluate("document.activeElement.id") == "access-code"


@pytest.mark.browser
def test_a_case_waiting_for_its_checkpoint_turns_verified_without_a_reload(tab: Tab, site: Site) -> None:
    from tests.api.conftest import DUKCAPIL, anchor_now
    from tests.factories import BASE_TIME_S, CaseBuilder
    from tests.web.conftest import _case, _submit

    case = CaseBuilder(DUKCAPIL, ref="KTP-JKS-2026-000902")
    _submit(site.ledger, [case.next_item("application.submitted", "Permohonan diterima", occurredAt=BASE_TIME_S)])
    tab.page.goto(f"{site.url}/{_case(case).fragment}")
    tab.page.locator("#verdict[data-verdict='partial']").wait_for()
    navigations = tab.page.evaluate("performance.getEntriesByType('navigation').length")
    anchor_now(site.ledger)
    tab.page.locator("#verdict[data-verdict='ok']").wait_for(timeout=30_000)
    assert tab.page.evaluate("performance.getEntriesByType('navigation').length") == navigations


@pytest.mark.browser
def test_the_dashboard_says_anchor_states_and_short_times_in_words(tab: Tab, site: Site) -> None:
    """The checkpoint's "Status: confirmed" was the raw state, and complaints resolved within hours read "0 / 0" days."""
    from tests.api.conftest import DESK, anchor_now
    from tests.factories import BASE_TIME_S, CaseBuilder
    from tests.web.conftest import _submit

    desk = CaseBuilder(DESK, ref="ADU-KPG-2026-000903")
    _submit(site.ledger, [desk.next_item("complaint.filed", "Pengaduan diterima", occurredAt=BASE_TIME_S)])
    _submit(site.ledger, [desk.next_item("complaint.resolved", "Pengaduan selesai", occurredAt=BASE_TIME_S + 7200)])
    anchor_now(site.ledger)
    site.ledger.clock_ms.advance(61_000)  # past the statistics' refresh interval
    tab.page.goto(site.url + "/audit")
    tab.page.wait_for_selector("#chart-completion svg.plot")
    checkpoint = tab.page.inner_text("#checkpoint")
    assert "terkunci di blockchain" in checkpoint and "confirmed" not in checkpoint
    completion = tab.page.inner_text("#chart-completion")
    # two hours, in buckets of 0.01 day (ledger.services.stats): "1 jam 55 menit", not "0"
    assert re.search(r"Pengaduan · 1 perkara\n1 jam 5\d menit\n", completion), completion
