"""`saksi submit`: JSONL/CSV in, batched signed submissions out, resumable without duplicates."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest
from starlette.responses import JSONResponse

from api.app import create_app
from ledger.checker.client import AgencyClient, CaseState
from ledger.checker.submit import submit_file
from ledger.errors import InvalidInput, RetryLater
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
    from ledger.audit.run import Auditor

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


# --- 20.1: a journal belongs to one submission; "already accepted" only from the server ------------


@pytest.fixture
def production(settings, clock, tmp_path):
    """A second server on another database, with the same agencies (and the same EIP-712 domain)."""
    from ledger.services.ledger import Ledger
    from tests.api.conftest import DESK, POLRI
    from tests.conftest import _sqlite_store

    (tmp_path / "prod").mkdir()
    stores = _sqlite_store(tmp_path / "prod")
    store = next(stores)
    with store.write() as tx:
        for agency in (DUKCAPIL, POLRI, DESK):
            tx.register_agency(agency.code, agency.name, agency.address, at=0)
    other = Ledger(settings.with_(database_url=str(store.engine.url)), store, clock, complaints_key=DESK.key)
    with serve(create_app(other.settings, ledger=other)) as url:
        yield other, url
    next(stores, None)


def _size(ledger):
    with ledger.store.read() as reader:
        return reader.tree_size()


def test_a_rehearsal_on_staging_does_not_make_production_believe_it(tmp_path, api_url, ledger, production):
    prod, prod_url = production
    source = tmp_path / "events.jsonl"
    _write_events(source, cases=3, steps=2)
    staging = submit_file(AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key), source, batch_size=4)
    assert (staging.created, staging.already) == (6, 0)
    # the same file to a server that never saw it: every event is sent, and the server says they are new
    first = submit_file(AgencyClient(prod_url, DUKCAPIL.code, DUKCAPIL.key), source, batch_size=4)
    assert (first.created, first.already, first.failed) == (6, 0, [])
    assert _size(prod) == 6
    again = submit_file(AgencyClient(prod_url, DUKCAPIL.code, DUKCAPIL.key), source, batch_size=4)
    assert (again.created, again.already) == (0, 6)  # now said by production itself
    assert _size(prod) == 6 and _size(ledger) == 6


def test_another_agency_is_another_submission(tmp_path, api_url, ledger):
    from tests.api.conftest import POLRI

    source = tmp_path / "events.jsonl"
    states = _write_events(source, cases=2, steps=2)
    dukcapil = submit_file(AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key), source)
    # batches of 3: the second batch is built (on the heads this run knew) while the first is in flight
    polri = submit_file(AgencyClient(api_url, POLRI.code, POLRI.key), source, batch_size=3)
    assert dukcapil.journal != polri.journal
    assert (polri.created, polri.already, polri.failed) == (4, 0, [])  # extends the cases on their heads
    assert polri.rebuilt == 4
    assert _size(ledger) == 8
    with ledger.store.read() as reader:
        heads = reader.case_heads([s.commitment for s in states])
    assert [heads[s.commitment].case_seq for s in states] == [4, 4]


def test_a_journal_of_another_submission_is_refused(tmp_path, api_url, ledger):
    from tests.api.conftest import POLRI

    source = tmp_path / "events.jsonl"
    _write_events(source, cases=1, steps=2)
    report = submit_file(AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key), source)
    with pytest.raises(InvalidInput, match="journal of another submission"):
        submit_file(AgencyClient(api_url, POLRI.code, POLRI.key), source, journal_path=report.journal)
    source.write_text(source.read_text().replace("Langkah 2", "Langkah dua"))  # the file changed
    with pytest.raises(InvalidInput, match="journal of another submission"):
        submit_file(AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key), source, journal_path=report.journal)
    assert _size(ledger) == 2


# --- 20.2b: no lookups through the citizens' routes; back off as the server says -------------------


def test_bulk_submission_never_asks_the_citizen_routes(tmp_path, ledger):
    """Onboarding new cases and extending known ones needs no GET /v1/cases: with a citizen limit of
    one request a minute, every event still goes in, and the server saw no 429."""
    limited = ledger.settings.with_(limits=ledger.settings.limits.__class__(citizen_rate_per_minute=1))
    ledger.settings = limited
    paths: list[str] = []
    with serve(create_app(limited, ledger=ledger)) as url:
        client = AgencyClient(url, DUKCAPIL.code, DUKCAPIL.key)
        client._http = httpx.Client(base_url=url, event_hooks={"request": [lambda r: paths.append(r.url.path)]})
        first = tmp_path / "first.jsonl"
        states = _write_events(first, cases=30, steps=2)
        report = submit_file(client, first, batch_size=25)
        assert (report.created, report.failed) == (60, [])
        # a second file with later events of cases the server already holds: extended on the named heads
        later = tmp_path / "later.jsonl"
        later.write_bytes(
            b"".join(
                orjson.dumps(
                    {
                        "caseRef": case.ref,
                        "accessCode": case.access_code,
                        "eventType": "document.issued",
                        "summary": "KTP-el diserahkan",
                        "occurredAt": 1_763_500_000,
                    }
                )
                + b"\n"
                for case in states[:5]
            )
        )
        extended = submit_file(client, later)
        assert (extended.created, extended.rebuilt, extended.failed) == (5, 5, [])
        metrics = httpx.get(url + "/metrics").text
    assert not [p for p in paths if p.startswith("/v1/cases")]
    assert 'status="429"' not in metrics
    with ledger.store.read() as reader:
        heads = reader.case_heads([s.commitment for s in states[:5]])
    assert {h.case_seq for h in heads.values()} == {3}


def busy_once(ledger, retry_after_s: int):
    """The app, but its first POST is answered 429 with Retry-After, as an overloaded server would."""
    app = create_app(ledger.settings, ledger=ledger)
    busy = {"left": 1}

    @app.middleware("http")
    async def overloaded(request, call_next):
        if request.method == "POST" and busy["left"]:
            busy["left"] -= 1
            return JSONResponse(
                {"status": 429, "title": "busy"}, status_code=429, headers={"Retry-After": str(retry_after_s)}
            )
        return await call_next(request)

    return app


def test_the_client_waits_as_long_as_retry_after_says(tmp_path, ledger):
    app = busy_once(ledger, retry_after_s=1)

    source = tmp_path / "events.jsonl"
    _write_events(source, cases=2, steps=1)
    waits: list[float] = []
    with serve(app) as url:
        client = AgencyClient(url, DUKCAPIL.code, DUKCAPIL.key, on_wait=lambda s, e: waits.append(s))
        started = time.monotonic()
        report = submit_file(client, source)
    assert report.created == 2
    assert waits == [1.0] and time.monotonic() - started >= 1.0


# --- 20.11, 20.11b: the total is known; a bad field names its line and its whole rule --------------


def test_the_total_is_told_before_the_first_batch(tmp_path, api_url):
    source = tmp_path / "events.jsonl"
    _write_events(source, cases=3, steps=1)
    told: list[tuple[str, int]] = []
    submit_file(
        AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key),
        source,
        on_total=lambda n: told.append(("total", n)),
        progress=lambda n: told.append(("done", n)),
    )
    assert told == [("total", 3), ("done", 3)]


def test_a_bad_field_names_its_line_and_its_whole_rule(tmp_path):
    case = CaseState.new("KTP-JKS-2026-000001")
    rows = [
        {"caseRef": case.ref, "accessCode": case.access_code, "eventType": "application.submitted", "summary": "a"},
        {"caseRef": case.ref, "accessCode": case.access_code, "eventType": "documents.verified", "summary": "b"},
        {"caseRef": case.ref, "accessCode": case.access_code, "eventType": "Documents Verified", "summary": "c"},
    ]
    source = tmp_path / "bad.jsonl"
    source.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    client = AgencyClient("http://127.0.0.1:9", DUKCAPIL.code, DUKCAPIL.key)  # nothing is sent
    with pytest.raises(InvalidInput) as raised:
        submit_file(client, source)
    message = raised.value.message
    assert message.startswith("line 3: eventType: must be dotted lower case like application.submitted")
    assert message.endswith("at most 64 characters in all")


def test_an_event_written_as_in_formats_is_told_what_submit_takes(tmp_path):
    source = tmp_path / "signed.jsonl"
    source.write_bytes(
        orjson.dumps({"eventId": "x", "agency": "dukcapil.jaksel", "caseCommitment": "0x" + "11" * 32}) + b"\n"
    )
    client = AgencyClient("http://127.0.0.1:9", DUKCAPIL.code, DUKCAPIL.key)
    with pytest.raises(InvalidInput, match="line 1: agency is not an input column: saksi submit signs") as raised:
        submit_file(client, source)
    assert "caseRef, accessCode (or caseKey), eventType, summary" in raised.value.message


# --- 20.5: the example file of the README's tour ----------------------------------------------------


def test_the_example_file_submits(tmp_path, api_url, ledger):
    import shutil
    from pathlib import Path

    from ledger.checker.submit import read_input

    examples = Path(__file__).resolve().parents[2] / "examples"
    as_csv = [
        (e.case_ref, e.case_key, e.event_type, e.summary, e.occurred_at, e.payload)
        for e in read_input(examples / "events.csv")
    ]
    shutil.copy(examples / "events.jsonl", tmp_path / "events.jsonl")
    events = read_input(tmp_path / "events.jsonl")
    assert [(e.case_ref, e.case_key, e.event_type, e.summary, e.occurred_at, e.payload) for e in events] == as_csv
    client = AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key)
    assert submit_file(client, tmp_path / "events.jsonl").created == 3


def test_a_refused_event_stops_its_case_not_the_others(tmp_path, api_url, ledger):
    """The same steps in a new file (a fresh payload salt): the first is refused as a conflicting duplicate,
    the case's next one is not sent (it would be appended on top, a second copy); other cases go on."""
    import shutil
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples"
    shutil.copy(examples / "events.jsonl", tmp_path / "events.jsonl")
    shutil.copy(examples / "events.csv", tmp_path / "events.csv")
    client = AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key)
    assert submit_file(client, tmp_path / "events.jsonl").created == 3
    report = submit_file(client, tmp_path / "events.csv")
    assert (report.created, report.already) == (0, 1)  # the SIM event has no payload: the same event
    (first, second) = report.failed
    assert first[0] == 2 and "duplicate" in first[1].lower() or "another event" in first[1]
    assert second == (3, "not sent: an earlier event of this case (line 2) was refused, and this one builds on it")
    with ledger.store.read() as reader:
        assert reader.tree_size() == 3


def _saksi(*args, env=None):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args],
        env={**os.environ, "SAKSI_PASSWORD": "test-only", "COLUMNS": "60", **(env or {})},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_command_documents_its_input_and_says_what_the_server_said(tmp_path, api_url, ledger):
    import shutil
    from pathlib import Path

    from ledger.keys import write_keystore

    help_text = _saksi("submit", "--help").stdout
    for column in ("caseRef", "accessCode", "eventType", "summary", "occurredAt", "eventId", "payload"):
        assert column in help_text
    assert "examples/events.jsonl" in help_text
    keystore = tmp_path / "dukcapil.json"
    write_keystore(keystore, DUKCAPIL.key, "test-only", demo=True)
    shutil.copy(Path(__file__).resolve().parents[2] / "examples" / "events.jsonl", tmp_path / "events.jsonl")
    args = ("submit", str(tmp_path / "events.jsonl"), "--agency", DUKCAPIL.code, "--keystore", str(keystore))
    first = _saksi(*args, "--api", api_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "3 events: 3 new, 0 already accepted (said by the server), 0 refused"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"caseRef": "A-1", "caseKey": "0x' + "11" * 32 + '", "eventType": "x", "summary": "s"}\n')
    refused = _saksi("submit", str(bad), "--agency", DUKCAPIL.code, "--keystore", str(keystore), "--api", api_url)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("saksi: line 1: eventType: must be dotted")


def test_a_journal_of_an_earlier_saksi_submit_is_resumed_only_when_named(tmp_path, api_url, ledger):
    """The journal an earlier version left (FILE.progress.jsonl, no header) does not say which server it
    was for: it is not picked up silently, and when named its events are sent again, the server deciding."""
    source = tmp_path / "events.jsonl"
    _write_events(source, cases=2, steps=2)
    client = AgencyClient(api_url, DUKCAPIL.code, DUKCAPIL.key)
    first = submit_file(client, source)
    assert first.created == 4
    records = first.journal.read_bytes().splitlines()[1:]  # as an earlier version wrote it: no header
    legacy = tmp_path / "events.jsonl.progress.jsonl"
    legacy.write_bytes(b"\n".join(records) + b"\n")
    first.journal.unlink()
    with pytest.raises(InvalidInput, match="journal of an earlier saksi submit"):
        submit_file(client, source)
    resumed = submit_file(client, source, journal_path=legacy)
    assert (resumed.created, resumed.already, resumed.failed) == (0, 4, [])
    with ledger.store.read() as reader:
        assert reader.tree_size() == 4


def test_in_a_terminal_the_bar_knows_the_total_and_says_when_the_server_is_busy(tmp_path, ledger):
    """20.11 and 20.2b: the bar reads n/3 from the start (not 3/?), and a 429 with Retry-After is shown."""
    import os
    import pty
    import select
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from ledger.keys import write_keystore

    app = busy_once(ledger, retry_after_s=2)

    keystore = tmp_path / "dukcapil.json"
    write_keystore(keystore, DUKCAPIL.key, "test-only", demo=True)
    shutil.copy(Path(__file__).resolve().parents[2] / "examples" / "events.jsonl", tmp_path / "events.jsonl")
    with serve(app) as url:
        controller, terminal = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "submit", str(tmp_path / "events.jsonl"), "--agency", DUKCAPIL.code,
             "--keystore", str(keystore), "--api", url],
            stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True,
            env={**os.environ, "SAKSI_PASSWORD": "test-only", "COLUMNS": "160", "TERM": "xterm"},
        )  # fmt: skip
        os.close(terminal)
        output = b""
        while True:
            ready, _, _ = select.select([controller], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the process closed the terminal
                break
            if not chunk:
                break
            output += chunk
        process.wait(timeout=30)
        os.close(controller)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert "server busy, waiting 2 s" in text
    assert "0/3" in text and "/?" not in text
    assert "3 events: 3 new, 0 already accepted" in text
