"""Dependencies shared by the routers: the ledger, the thread pool, rate limits (bodies: api.body; group
commit: ledger.services.group_commit)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.responses import Response

from api.problems import problem_response
from api.state import get_state
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
    return (await get_state(request)).ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


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


class RateLimited(Exception):
    """A client over its rate; answered 429 (the handler `create_app` installs: `rate_limited_response`)."""


async def citizen_rate_limit(request: Request) -> None:  # async: see get_ledger
    if not (await get_state(request)).citizen_limiter.allow(client_key(request)):
        raise RateLimited()


async def complaint_rate_limit(request: Request) -> None:
    if not (await get_state(request)).complaint_limiter.allow(client_key(request)):
        raise RateLimited()


def rate_limited_response() -> Response:
    return problem_response(429, "rate-limited", "too many requests from this address; try again shortly")
