"""Dependencies shared by the routers: the ledger, bounded JSON bodies, rate limits."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request

from ledger.errors import InvalidInput, TooLarge
from ledger.services.ledger import Ledger


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


async def read_json(request: Request, limit: int) -> Any:
    """Read at most `limit` bytes, refusing larger bodies before reading them whole."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InvalidInput("Content-Length must be a decimal number")
        if int(declared) > limit:
            raise TooLarge(f"body of {declared} bytes exceeds the limit of {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"body exceeds the limit of {limit} bytes")
    if not body:
        raise InvalidInput("request body is empty; expected JSON")
    try:
        return orjson.loads(bytes(body))
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(
            f"body is not valid JSON (UTF-8, nesting at most 1024, integers within 64 bits): {exc}"
        ) from None


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
