"""Dependencies shared by the routers: the ledger, the thread pool, group commit, rate limits (bodies: api.body)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from ledger.services.ledger import Ledger

T = TypeVar("T")


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking work (the database, signature recovery) on the event loop's default executor,
    which the app's lifespan makes a pool of `limits.worker_threads` threads.

    Plain asyncio rather than Starlette's `run_in_threadpool`: AnyIO's thread calls look up the
    running async library, a capacity limiter and a cancel scope on every call, which under the
    mixed load was a fifth of the event loop's interpreter time.
    """
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


async def get_ledger(request: Request) -> Ledger:
    # async on purpose: FastAPI runs a plain `def` dependency on the worker thread pool (a thread
    # round trip, and a turn in the pool's queue behind database work, for reading an attribute)
    return request.app.state.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


class SubmitCoalescer:
    """Group commit for `POST /v1/events`: requests that arrive while an append runs are appended
    together in the next one (one transaction, one fsync, one turn at the writer lock), and each
    request gets back the outcomes of its own items. Requests come here parsed, their signatures
    recovered: that CPU work runs per request beforehand, overlapping the append in flight.

    Without it every request takes its own turn at the database's writer lock, and on SQLite the
    threads that wait poll that lock with sleeps of up to 100 ms (its busy handler): a few dozen
    concurrent single-event POSTs then collapse to tens of events per second, seconds each.
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
            return await in_thread(self.append_batch, items)
        future = self.loop.create_future()
        self._waiting.append((items, future))
        if self._drain_task is None:
            self._drain_task = self.loop.create_task(self._drain())
        return await future

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
            outcomes = await in_thread(self.append_batch, combined)
        except Exception as error:  # noqa: BLE001 - handed to the request(s) it belongs to
            if len(group) == 1:
                _settle(group[0][1], error=error)
                return
            for items, future in group:
                try:
                    _settle(future, await in_thread(self.append_batch, items))
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


def submit_coalescer(request: Request, ledger: Any) -> SubmitCoalescer:
    """The app's coalescer for the running event loop (test clients may run one loop per request)."""
    coalescer = getattr(request.app.state, "submit_coalescer", None)
    if (
        coalescer is None
        or coalescer.loop is not asyncio.get_running_loop()
        or coalescer.append_batch != ledger.append_parsed
    ):
        coalescer = SubmitCoalescer(ledger.append_parsed, ledger.settings.limits.max_batch)
        request.app.state.submit_coalescer = coalescer
    return coalescer


class RateLimiter:
    """Token buckets per client address; in-process (each API host limits its own clients)."""

    def __init__(self, per_minute: float, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst or max(1, int(per_minute // 4) or 1))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > 100_000:  # bound memory under address churn
                self._buckets.clear()
            return True


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"
