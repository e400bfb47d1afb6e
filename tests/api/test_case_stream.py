"""GET /v1/cases/{c}/stream (api.live) on a live uvicorn server with Saksi's HTTP protocol: steps and
covering checkpoints as they come, resumption with Last-Event-ID, other cases kept apart, keep-alives,
the stream limits (429 problem+json), and a server shutdown that does not wait on open streams."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from api.app import create_app
from ledger.config import Limits
from ledger.core.encoding import hex0x
from ledger.services.ledger import Ledger
from tests.api.conftest import DESK, DUKCAPIL, anchor_now
from tests.factories import CaseBuilder, log_signer_for_tests
from tests.live import serve


@pytest.fixture
def live(settings, store, clock):
    limits = Limits(
        **{
            **settings.limits.__dict__,
            "max_streams_per_client": 3,
            "max_streams_total": 5,
            "stream_poll_s": 0.2,
            "stream_heartbeat_s": 0.5,
        }
    )
    settings = settings.with_(database_url=str(store.engine.url), limits=limits)
    with store.write() as tx:
        for agency in (DUKCAPIL, DESK):
            tx.register_agency(agency.code, agency.name, agency.address, at=0)
    ledger = Ledger(
        settings, store, clock, complaints_key=DESK.key, log_vkey=log_signer_for_tests(settings.origin).vkey
    )
    with serve(create_app(settings, ledger=ledger)) as url:
        yield ledger, url


class Stream:
    """An SSE client over one httpx streaming response: messages as (id, event, data)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.iter_lines()
        self.comments: list[str] = []
        self.retry: int | None = None

    def next(self) -> tuple[str | None, str, dict]:
        fields: dict[str, str] = {}
        for line in self.lines:
            if line == "":
                if "data" in fields:
                    return fields.get("id"), fields.get("event", "message"), json.loads(fields["data"])
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            name, _, value = line.partition(": ")
            if name == "retry":
                self.retry = int(value)
            else:
                fields[name] = value
        raise EOFError("the stream ended")


@contextmanager
def stream(url: str, commitment: bytes, headers=None, **params) -> Iterator[Stream]:
    path = f"{url}/v1/cases/{hex0x(commitment)}/stream"
    with (
        httpx.Client(timeout=httpx.Timeout(10.0)) as client,
        client.stream("GET", path, headers=headers, params=params) as r,
    ):
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["cache-control"] == "no-store"
        yield Stream(r)


def post(url: str, case: CaseBuilder, summary: str) -> dict:
    answer = httpx.post(f"{url}/v1/events", json=case.next_item(summary=summary), timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_steps_and_covering_checkpoints_arrive_as_they_happen(live):
    ledger, url = live
    case = CaseBuilder(DUKCAPIL)
    post(url, case, "Permohonan diterima")
    post(url, case, "Dokumen diverifikasi")
    size = anchor_now(ledger)
    with stream(url, case.commitment) as s:
        assert [s.next()[1] for _ in range(3)] == ["step", "step", "checkpoint"]
        assert s.retry == 3000
        started = time.monotonic()
        receipt = post(url, case, "Foto dan sidik jari")  # this process's append wakes the watcher
        id_, kind, data = s.next()
        assert (id_, kind) == (f"3.{size}", "step")
        assert data["summary"] == "Foto dan sidik jari" and data["leafIndex"] == receipt["leafIndex"]
        assert data["caseSeq"] == 3 and data["anchored"] is False
        assert time.monotonic() - started < 5  # not a timing test: only that it is not the 15 s keep-alive
        newer = anchor_now(ledger)  # the poll finds the checkpoint that now covers it
        id_, kind, data = s.next()
        assert (id_, kind, data["treeSize"]) == (f"3.{newer}", "checkpoint", newer)
        assert data["note"] and data["anchor"]["status"] == "confirmed"


def test_a_reconnect_with_last_event_id_gets_only_what_it_missed(live):
    ledger, url = live
    case = CaseBuilder(DUKCAPIL)
    for summary in ("satu", "dua"):
        post(url, case, summary)
    size = anchor_now(ledger)
    post(url, case, "tiga")
    with stream(url, case.commitment, headers={"Last-Event-ID": f"2.{size}"}) as s:
        id_, kind, data = s.next()
        assert (kind, data["summary"], id_) == ("step", "tiga", f"3.{size}")
        newer = anchor_now(ledger)
        assert s.next()[:2] == (f"3.{newer}", "checkpoint")
    # the same position as query parameters (a first connection, which cannot send headers)
    with stream(url, case.commitment, after=3, treeSize=newer) as s:
        post(url, case, "empat")
        assert s.next()[2]["summary"] == "empat"


def test_a_checkpoint_that_covers_none_of_the_case_is_not_sent(live):
    ledger, url = live
    mine, other = CaseBuilder(DUKCAPIL), CaseBuilder(DUKCAPIL)
    post(url, mine, "mine")
    first = anchor_now(ledger)
    with stream(url, mine.commitment, after=1, treeSize=first) as s:
        post(url, other, "someone else's")
        anchor_now(ledger)  # covers only the other case's step
        post(url, mine, "mine again")  # the first thing this stream hears of
        id_, kind, data = s.next()
        assert (kind, data["summary"]) == ("step", "mine again")
        assert data["caseCommitment"] == hex0x(mine.commitment)


def test_an_idle_stream_gets_keep_alives(live):
    _, url = live
    case = CaseBuilder(DUKCAPIL)
    post(url, case, "satu")
    with stream(url, case.commitment) as s:
        s.next()  # the step
        deadline = time.monotonic() + 10
        for line in s.lines:
            if line.startswith(":") or time.monotonic() > deadline:
                break
        assert line == ": keep-alive"


def test_an_unknown_case_is_a_404_problem(live):
    _, url = live
    answer = httpx.get(f"{url}/v1/cases/0x{'11' * 32}/stream", timeout=10)
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
    assert httpx.get(f"{url}/v1/cases/0x1234/stream", timeout=10).status_code == 422


def test_streams_are_bounded_per_client_and_freed_when_closed(live):
    _, url = live
    case = CaseBuilder(DUKCAPIL)
    post(url, case, "satu")
    with stream(url, case.commitment), stream(url, case.commitment), stream(url, case.commitment):
        refused = httpx.get(f"{url}/v1/cases/{hex0x(case.commitment)}/stream", timeout=10)
        assert refused.status_code == 429 and refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("too-many-streams") and "3 open case streams" in refused.json()["detail"]
    deadline = time.monotonic() + 10
    while True:  # the server sees the disconnects a moment later
        with (
            httpx.Client(timeout=10) as client,
            client.stream("GET", f"{url}/v1/cases/{hex0x(case.commitment)}/stream") as r,
        ):
            if r.status_code == 200:
                break
        assert time.monotonic() < deadline, "the closed streams were never freed"
        time.sleep(0.1)


def test_a_server_shutdown_ends_open_streams_instead_of_waiting_on_them(settings, store, clock):
    settings = settings.with_(database_url=str(store.engine.url))
    with store.write() as tx:
        tx.register_agency(DUKCAPIL.code, DUKCAPIL.name, DUKCAPIL.address, at=0)
    ledger = Ledger(settings, store, clock, log_vkey=log_signer_for_tests(settings.origin).vkey)
    case = CaseBuilder(DUKCAPIL)
    ledger.submit([case.next_item()])
    ended = threading.Event()
    with serve(create_app(settings, ledger=ledger)) as url:
        opened = threading.Event()

        def listen():
            with stream(url, case.commitment) as s:
                s.next()
                opened.set()
                try:
                    s.next()
                except (EOFError, httpx.HTTPError):
                    ended.set()

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert opened.wait(10)
        started = time.monotonic()
    assert time.monotonic() - started < 8  # uvicorn's graceful shutdown did not wait on the stream
    listener.join(10)
    assert ended.is_set()
