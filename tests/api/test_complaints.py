"""Complaints: filed by proving knowledge of a case, read by the agency from a signed inbox, answered on chain."""

from __future__ import annotations

from ledger.checker.client import CaseState
from ledger.core.commitment import case_commitment, format_access_code, parse_access_code
from ledger.core.encoding import hex0x, parse_hex
from ledger.services.complaints import sign_inbox_request
from tests.api.conftest import DUKCAPIL, POLRI
from tests.factories import CaseBuilder


def _file(client, case, message="Sudah tiga minggu belum ada kabar", **extra):
    return client.post(
        "/v1/complaints",
        json={
            "caseRef": case.ref,
            "accessCode": format_access_code(case.key),
            "category": "delay",
            "message": message,
            **extra,
        },
    )


def _inbox(client, clock, agency, key=None, **headers):
    ts = clock.now_ms // 1000
    sig = sign_inbox_request(agency.code, ts, (key or agency).key)
    return client.get(
        f"/v1/agencies/{agency.code}/complaints",
        headers={"X-Saksi-Timestamp": str(headers.get("ts", ts)), "X-Saksi-Signature": headers.get("sig", sig)},
    )


def test_file_complaint_then_agency_answers(client, clock):
    case = CaseBuilder(DUKCAPIL)
    client.post("/v1/events", json=case.next_item())
    response = _file(client, case)
    assert response.status_code == 201, response.text
    receipt = response.json()
    key = parse_access_code(receipt["accessCode"])
    assert hex0x(case_commitment(key, receipt["caseRef"])) == receipt["caseCommitment"]
    timeline = client.get(f"/v1/cases/{receipt['caseCommitment']}").json()
    (filed,) = timeline["events"]
    assert filed["eventType"] == "complaint.filed" and filed["agency"] == "pemkot.kupang"
    # the complaint case's reference does not open its event: the eventId is derived from the key
    assert filed["eventId"].startswith("ev-") and receipt["caseRef"] not in filed["eventId"]
    assert "tiga minggu" not in filed["summary"]  # the message stays off chain, in the payload

    inbox = _inbox(client, clock, DUKCAPIL)
    assert inbox.status_code == 200, inbox.text
    (item,) = inbox.json()["complaints"]
    assert item["message"] == "Sudah tiga minggu belum ada kabar" and item["status"] == "open"
    assert item["concernsCase"] == hex0x(case.commitment)

    # the agency answers on the complaint case, extending its head
    complaint = CaseState(
        receipt["caseRef"], key, item["head"]["caseSeq"], parse_hex("h", item["head"]["headHash"], 32)
    )
    answer = CaseBuilder(DUKCAPIL, ref=complaint.ref, key=complaint.key, seq=complaint.seq, head=complaint.head)
    response = client.post(
        "/v1/events", json=answer.next_item("complaint.resolved", "KTP-el sudah dicetak, silakan ambil")
    )
    assert response.status_code == 201, response.text
    (item,) = _inbox(client, clock, DUKCAPIL).json()["complaints"]
    assert item["status"] == "resolved"
    assert client.get("/v1/stats").json()["complaints"] == {"open": 0, "resolved": 1}


def test_complaint_needs_the_right_access_code(client):
    case = CaseBuilder(DUKCAPIL)
    client.post("/v1/events", json=case.next_item())
    wrong = client.post(
        "/v1/complaints",
        json={"caseRef": case.ref, "accessCode": format_access_code(b"\x01" * 32), "category": "delay", "message": "x"},
    )
    assert wrong.status_code == 404
    assert (
        client.post("/v1/complaints", json={"caseRef": case.ref, "accessCode": "short", "message": "x"}).status_code
        == 422
    )
    bad_category = _file(client, case, category="Nope")
    assert bad_category.status_code == 422


def test_inbox_refuses_other_signers_and_old_requests(client, clock):
    assert _inbox(client, clock, DUKCAPIL, key=POLRI).status_code == 403
    assert _inbox(client, clock, DUKCAPIL, ts=clock.now_ms // 1000 - 3600).status_code == 401
    assert _inbox(client, clock, DUKCAPIL, sig="0x" + "00" * 65).status_code == 422


def test_complaints_are_rate_limited(client):
    case = CaseBuilder(DUKCAPIL)
    client.post("/v1/events", json=case.next_item())
    statuses = [_file(client, case, message=f"pesan {i}").status_code for i in range(6)]
    assert statuses[:3] == [201, 201, 201] and 429 in statuses


def test_a_new_complaint_names_its_category_and_agency_in_words(client):
    """The summary citizens read: "Pengaduan diterima (fee) tentang layanan dukcapil.jaksel" had a category
    code and an agency code in Indonesian text; it names both as people do (the registry's agency name)."""
    case = CaseBuilder(DUKCAPIL)
    client.post("/v1/events", json=case.next_item())
    receipt = _file(client, case, category="fee").json()
    (filed,) = client.get(f"/v1/cases/{receipt['caseCommitment']}").json()["events"]
    assert filed["summary"] == "Pengaduan diterima (biaya atau pungutan) tentang layanan Dukcapil Jakarta Selatan"
