"""`saksi submit`: JSONL/CSV in, batched signed submissions out, resumable without duplicates."""

from __future__ import annotations

import time

import orjson
import pytest

from api.app import create_app
from ledger.client import AgencyClient, CaseState
from ledger.errors import InvalidInput, RetryLater
from ledger.services.submit import submit_file
from tests.api.conftest import DUKCAPIL
from tests.live import serve


@pytest.fixture
def api_url(ledger):
    with serve(create_app(ledger.settings, ledger=ledger)) as url:
        yield url


def _write_events(path, cases=5, steps=4):
    lines = []
    states = [CaseState.new(f"KTP-JKS-2026-{i:06d}") for i in range(cases)]
    for step in range(steps):
        for case in states:
            lines.append(
                {
                    "caseRef": case.ref,
                    "accessCode": case.access_code,
                    "eventType": [
                        "application.submitted",
                        "documents.verified",
                        "biometrics.recorded",
                        "document.issued",
                    ][step],
                    "summary": f"Langkah {step + 1}",
                    "occurredAt": 1_763_000_000 + step * 86_400,
                    "payload": {"kantor": "Kecamatan Kebayoran Baru"} if step == 0 else None,
                }
            )
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return states


def test_submit_jsonl_then_rerun_is_idempotent(tmp_path, api_url, ledger):
    source = tmp_path / "events.jsonl"
    _write_events(source)
    client = AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key)
    report = submit_file(client, source, batch_size=7)
    assert (report.total, report.created, report.failed) == (20, 20, [])
    again = submit_file(client, source, batch_size=7)
    assert (again.created, again.already) == (0, 20)
    with ledger.store.read() as reader:
        assert reader.tree_size() == 20


def test_interrupted_run_resumes_without_duplicates(tmp_path, api_url, ledger, monkeypatch):
    source = tmp_path / "events.jsonl"
    _write_events(source, cases=6, steps=3)
    client = AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key, retries=0)
    real_submit = client.submit
    calls = {"n": 0}

    def flaky(items):
        calls["n"] += 1
        if calls["n"] == 2:
            real_submit(items)  # the server commits, but the answer is lost
            raise RetryLater("connection reset")
        return real_submit(items)

    monkeypatch.setattr(client, "submit", flaky)
    with pytest.raises(RetryLater):
        submit_file(client, source, batch_size=5, max_wait_s=0)
    monkeypatch.setattr(client, "submit", real_submit)
    report = submit_file(client, source, batch_size=5)
    assert report.failed == [] and report.created + report.already == 18
    with ledger.store.read() as reader:
        assert reader.tree_size() == 18


def test_csv_input(tmp_path, api_url, ledger):
    case = CaseState.new("SIM-BDG-2026-000001")
    source = tmp_path / "events.csv"
    source.write_text(
        "caseRef,accessCode,eventType,summary,occurredAt,payload\n"
        f'{case.ref},{case.access_code},application.submitted,Permohonan SIM A diterima,1764000000,"{{""golongan"": ""A""}}"\n'
        f"{case.ref},{case.access_code},exam.passed,Ujian praktik lulus,1764086400,\n"
    )
    report = submit_file(AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key), source)
    assert report.created == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"caseRef": "A-1", "eventType": "x.y", "summary": "s"}', "accessCode"),
        ("not json", "line 1"),
        ('{"caseRef": "A-1", "accessCode": "AAAA", "eventType": "x.y", "summary": "s"}', "accessCode"),
        (
            '{"caseRef": "A-1", "caseKey": "0x' + "11" * 32 + '", "eventType": "x.y", "summary": "s", "extra": 1}',
            "extra",
        ),
    ],
)
def test_bad_lines_stop_before_sending(tmp_path, line, message):
    source = tmp_path / "bad.jsonl"
    source.write_text(line + "\n")
    client = AgencyClient("http://127.0.0.1:9", DUKCAPIL.code, DUKCAPIL.key)
    with pytest.raises(InvalidInput, match=message):
        submit_file(client, source)


def test_lawful_erasure_through_the_client(tmp_path, api_url, ledger):
    from ledger.services.auditor import Auditor

    source = tmp_path / "events.jsonl"
    (case, *_) = _write_events(source, cases=1, steps=2)
    client = AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key)
    assert submit_file(client, source).created == 2
    state = client.open_case(case.ref, case.key)
    answer = client.erase(state, [0], "UU 27/2022 Pasal 8", occurred_at=1_763_500_000)
    assert answer["erased"] == [0] and answer["receipt"]["leafIndex"] == 2
    with ledger.store.read() as reader:
        assert reader.payload(0) is None
    report = Auditor(ledger.store, ledger.domain, ledger.clock_ms, workers=1, max_unanchored_lag_s=1e9).run()
    assert report.clean and report.lawful_erasures == 1


def test_event_ids_do_not_name_the_case(tmp_path, api_url, ledger, clock):
    """16.4: an eventId built by the client is an HMAC under the case key, never `<caseRef>-<seq>`, and the
    agency reads its event back with a signed request (the route is not public)."""
    from sqlalchemy import select

    from ledger.core.commitment import derive_event_id
    from ledger.storage.schema import events

    source = tmp_path / "events.jsonl"
    states = _write_events(source, cases=3, steps=2)
    client = AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key)
    assert submit_file(client, source).created == 6
    with ledger.store.read() as reader:
        ids = [r.event_id for r in reader.conn.execute(select(events.c.event_id).order_by(events.c.leaf_index))]
    assert all(event_id.startswith("ev-") and len(event_id) == 29 for event_id in ids)
    for case in states:
        digits = case.ref.rsplit("-", 1)[-1]
        assert not any(case.ref in event_id or digits in event_id for event_id in ids)
    first = states[0]
    assert ids[0] == derive_event_id(
        first.key, first.ref, 1, bytes(32), "application.submitted", "Langkah 1", 1_763_000_000
    )
    clock.now_ms = int(time.time() * 1000)  # the signed request carries the client's wall clock
    got = client.receipt(ids[0])
    assert got["eventId"] == ids[0] and got["caseCommitment"] == "0x" + first.commitment.hex()
