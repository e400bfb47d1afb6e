"""Group commit for POST /v1/events: concurrent requests share appends, each gets its own outcomes."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger.config import Settings
from ledger.core.encoding import hex0x
from ledger.services.append import Receipt
from ledger.services.group_commit import GroupCommit, SubmitCoalescer
from ledger.services.ledger import Ledger
from tests.factories import TEST_CHAIN_ID, TEST_CONTRACT, AgencyKey, CaseBuilder, FakeClock

DUKCAPIL = AgencyKey("dukcapil.jaksel", name="Dukcapil Jakarta Selatan")


class RecordingAppend:
    """Stands in for Ledger.append_parsed: answers item → ("ok", item), records each call's items;
    `fail_when` makes a call raise when it contains that item."""

    def __init__(self, fail_when: object = None, hold: threading.Event | None = None) -> None:
        self.calls: list[list[object]] = []
        self.fail_when = fail_when
        self.hold = hold

    def __call__(self, items):
        if self.hold is not None:
            self.hold.wait(5)
        self.calls.append(list(items))
        if self.fail_when is not None and self.fail_when in items:
            raise RuntimeError(f"storage refused {self.fail_when}")
        return [("ok", item) for item in items]


def run(coroutine):
    """The scenario on a fresh event loop in a thread of its own: the thread running the tests may
    already have a loop running (Playwright's sync API leaves one when a browser test ran first in
    the same process, e.g. under pytest-xdist), and asyncio.run refuses to nest."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def test_requests_waiting_behind_an_append_share_the_next_one():
    hold = threading.Event()
    append = RecordingAppend(hold=hold)

    async def scenario():
        coalescer = SubmitCoalescer(append, max_items=100)
        first = asyncio.create_task(coalescer.submit(["a1"]))
        await asyncio.sleep(0.05)  # "a1" is being appended (held)
        waiting = [asyncio.create_task(coalescer.submit([f"b{n}", f"c{n}"])) for n in range(5)]
        await asyncio.sleep(0.05)
        hold.set()
        return await first, await asyncio.gather(*waiting)

    first, waiting = run(scenario())
    assert first == [("ok", "a1")]
    assert waiting == [[("ok", f"b{n}"), ("ok", f"c{n}")] for n in range(5)]
    assert append.calls == [["a1"], [item for n in range(5) for item in (f"b{n}", f"c{n}")]]


def test_a_group_never_exceeds_the_batch_limit():
    hold = threading.Event()
    append = RecordingAppend(hold=hold)

    async def scenario():
        coalescer = SubmitCoalescer(append, max_items=4)
        first = asyncio.create_task(coalescer.submit(["x"]))
        await asyncio.sleep(0.05)
        waiting = [asyncio.create_task(coalescer.submit([n, n])) for n in range(5)]
        await asyncio.sleep(0.05)
        hold.set()
        await first
        return await asyncio.gather(*waiting)

    results = run(scenario())
    assert results == [[("ok", n), ("ok", n)] for n in range(5)]
    assert all(len(call) <= 4 for call in append.calls)
    assert [item for call in append.calls[1:] for item in call] == [n for n in range(5) for _ in (0, 1)]


def test_a_failing_group_is_retried_request_by_request():
    hold = threading.Event()
    append = RecordingAppend(fail_when="bad", hold=hold)

    async def scenario():
        coalescer = SubmitCoalescer(append, max_items=100)
        first = asyncio.create_task(coalescer.submit(["warm"]))
        await asyncio.sleep(0.05)
        good = asyncio.create_task(coalescer.submit(["g1", "g2"]))
        bad = asyncio.create_task(coalescer.submit(["bad"]))
        other = asyncio.create_task(coalescer.submit(["g3"]))
        await asyncio.sleep(0.05)
        hold.set()
        await first
        return await good, await asyncio.gather(bad, return_exceptions=True), await other

    good, (bad,), other = run(scenario())
    assert good == [("ok", "g1"), ("ok", "g2")]
    assert other == [("ok", "g3")]
    assert isinstance(bad, RuntimeError) and "bad" in str(bad)
    # the combined call failed, then each request alone: only the bad one failed
    assert append.calls[1] == ["g1", "g2", "bad", "g3"]
    assert append.calls[2:] == [["g1", "g2"], ["bad"], ["g3"]]


def test_a_lone_failure_reaches_its_request():
    append = RecordingAppend(fail_when="bad")

    async def scenario():
        return await SubmitCoalescer(append, max_items=10).submit(["bad"])

    with pytest.raises(RuntimeError, match="storage refused"):
        run(scenario())
    assert append.calls == [["bad"]]


def test_each_event_loop_gets_a_coalescer_of_its_own_and_keeps_it():
    group = GroupCommit(RecordingAppend(), max_items=10)

    async def twice():
        return group.coalescer(), group.coalescer()

    first, again = run(twice())
    assert first is again and first.max_items == 10
    (other, _) = run(twice())  # a new loop (a test client's next portal): its own queue and drain task
    assert other is not first
    assert run(group.submit(["z"])) == [("ok", "z")]


def test_the_ledger_groups_concurrent_submissions_into_shared_appends(store, tmp_path):
    """The event path's group commit is the Ledger's: submissions made while an append runs come
    back with their own receipts, in arrival order, from fewer appends than submissions."""
    clock = FakeClock()
    settings = Settings(data_dir=tmp_path, chain_id=TEST_CHAIN_ID, contract=hex0x(TEST_CONTRACT))
    with store.write() as tx:
        tx.register_agency(DUKCAPIL.code, DUKCAPIL.name, DUKCAPIL.address, at=0)
    ledger = Ledger(settings, store, clock)
    cases = [CaseBuilder(DUKCAPIL) for _ in range(6)]
    parsed = [ledger.parse([case.next_item()]) for case in cases]
    appends: list[int] = []
    append_parsed = ledger.group_commit.append

    def counting(items):
        appends.append(len(items))
        return append_parsed(items)

    ledger.group_commit.append = counting

    async def scenario():
        return await asyncio.gather(*(ledger.append_grouped(items) for items in parsed))

    results = run(scenario())
    assert [[r.leaf_index for r in outcomes] for outcomes in results] == [[n] for n in range(6)]
    assert all(isinstance(r, Receipt) and r.created for outcomes in results for r in outcomes)
    assert sum(appends) == 6 and len(appends) < 6
