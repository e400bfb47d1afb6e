"""Group commit for the event path: concurrent submissions share appends (one transaction, one
fsync, one turn at the writer lock), and each gets back the outcomes of its own items.

It sits in the service layer, under the route, so that the event path runs straight down: the route
parses and hands the parsed items to `Ledger.append_grouped`, which queues them here. (Tessera, the
Go log, keeps its batching queue in storage; here the queue is asyncio's, so it belongs to the
service the async edge calls, and the storage below stays synchronous.)
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any


class SubmitCoalescer:
    """Group commit for `POST /v1/events`: requests that arrive while an append runs are appended
    together in the next one (one transaction, one fsync, one turn at the writer lock), and each
    request gets back the outcomes of its own items. Requests come here parsed, their signatures
    recovered: that CPU work runs per request beforehand, overlapping the append in flight.

    Without it every request takes its own turn at the database's writer lock, and on SQLite the
    threads that wait poll that lock with sleeps of up to 100 ms (its busy handler): a few dozen
    concurrent single-event POSTs then collapse to a small fraction of the ingest rate, each
    waiting seconds (benchmarks/results.json, `latency` and `load`, are measured with it).
    Appending requests together is the same as appending them one after another in arrival order,
    since the append path checks idempotency and case heads item by item within a batch. If a
    combined append raises, each request of the group is retried alone, so that a failure is only
    its own. One coalescer per event loop; one append in flight at a time from this process.
    """

    def __init__(self, append: Callable[[Sequence[Any]], list[Any]], max_items: int) -> None:
        self.append_batch = append
        self.max_items = max_items
        self.loop = asyncio.get_running_loop()
        self._waiting: deque[tuple[Sequence[Any], asyncio.Future]] = deque()
        self._drain_task: asyncio.Task | None = None

    async def submit(self, items: Sequence[Any]) -> list[Any]:
        if len(items) > self.max_items:
            return await self._in_thread(items)
        future = self.loop.create_future()
        self._waiting.append((items, future))
        if self._drain_task is None:
            self._drain_task = self.loop.create_task(self._drain())
        return await future

    def _in_thread(self, items: Sequence[Any]) -> asyncio.Future:
        # the loop's default executor: the app's lifespan makes it its worker pool (api.deps.in_thread)
        return self.loop.run_in_executor(None, self.append_batch, items)

    async def _drain(self) -> None:
        group: list[tuple[Sequence[Any], asyncio.Future]] = []
        try:
            while self._waiting:
                group = [self._waiting.popleft()]
                count = len(group[0][0])
                while self._waiting and count + len(self._waiting[0][0]) <= self.max_items:
                    group.append(self._waiting.popleft())
                    count += len(group[-1][0])
                await self._append(group)
                group = []
        except BaseException:
            for _, future in [*group, *self._waiting]:
                if not future.done():
                    future.cancel()
            self._waiting.clear()
            raise
        finally:
            self._drain_task = None

    async def _append(self, group: list[tuple[Sequence[Any], asyncio.Future]]) -> None:
        combined = [item for items, _ in group for item in items]
        try:
            outcomes = await self._in_thread(combined)
        except Exception as error:  # noqa: BLE001 - handed to the request(s) it belongs to
            if len(group) == 1:
                _settle(group[0][1], error=error)
                return
            for items, future in group:
                try:
                    _settle(future, await self._in_thread(items))
                except Exception as alone:  # noqa: BLE001
                    _settle(future, error=alone)
            return
        start = 0
        for items, future in group:
            _settle(future, outcomes[start : start + len(items)])
            start += len(items)


def _settle(future: asyncio.Future, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():  # the request went away; its items are appended all the same (resubmission is idempotent)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class GroupCommit:
    """The coalescer of the running event loop, made on first use in each loop.

    A coalescer's queue and drain task belong to one loop; a server runs one, but test clients may
    run one loop per request (and one per thread), so a submission from another loop than the last
    one's gets a coalescer of its own loop. A loop that finished has no submission left waiting.
    """

    def __init__(self, append: Callable[[Sequence[Any]], list[Any]], max_items: int) -> None:
        self.append = append
        self.max_items = max_items
        self._current: SubmitCoalescer | None = None

    def coalescer(self) -> SubmitCoalescer:
        """The running loop's coalescer (call from a coroutine)."""
        current = self._current
        if current is None or current.loop is not asyncio.get_running_loop():
            current = self._current = SubmitCoalescer(self.append, self.max_items)
        return current

    async def submit(self, items: Sequence[Any]) -> list[Any]:
        return await self.coalescer().submit(items)
