"""`create_app(settings)`: the FastAPI shell around the ledger services."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from starlette.responses import Response

from api import problems
from api.chain_window import ChainWindow
from api.deps import RateLimited, RateLimiter, rate_limited_response
from api.live import CaseStreams, TooManyStreams
from api.metrics import Metrics
from api.problems import problem_response
from api.request_limits import RequestLimits
from api.routers import agencies, chain, citizens, ops, public, tlog, web
from api.schemas import EDGE_RESPONSES, REQUEST_MODELS
from api.state import AppState, set_app_state
from ledger.config import Settings
from ledger.services.ledger import VERSION, Ledger
from ledger.services.tiles import TlogReads


class ObserveRequests:
    """Request counts and latency per route template, as plain ASGI middleware (Starlette's
    BaseHTTPMiddleware runs every request through an extra task group and memory streams)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception reaches the server error handler

        async def observe_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe_send)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], path, str(status)).inc()
            self.metrics.latency.labels(path).observe(time.perf_counter() - started)


def create_app(
    settings: Settings,
    ledger: Ledger,
    chain_probe: Callable[[], int] | None = None,
    anchor_status: Callable[[], Any] | None = None,
    witness_status: Callable[[], Any] | None = None,
    chain_request: Callable[[str, list[Any]], Any] | None = None,
) -> FastAPI:
    """The app around a ledger built by the caller (`saksi serve` through ledger.runtime, which
    migrates the store and starts its WAL checkpoints; tests with their own store and clock)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        # Blocking work (api.deps.in_thread) runs on the loop's default executor: a small pool, since
        # CPU-bound threads share one interpreter lock and each extra one takes turns from the writer.
        threads = settings.limits.worker_threads
        pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="saksi-worker")
        asyncio.get_running_loop().set_default_executor(pool)
        # What Starlette itself sends to threads (static files) draws from AnyIO's limiter (40 otherwise).
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        try:
            yield
        finally:
            state.case_streams.end_all()
            pool.shutdown(wait=True)  # let a running append commit and answer before the process ends

    app = FastAPI(
        lifespan=lifespan,
        title="Saksi",
        version=VERSION,
        summary="Tamper-evident audit ledger for public services",
        description="Signed service events in an RFC 9162 Merkle log whose checkpoints are anchored on an EVM chain.",
        openapi_url="/openapi.json",
        responses=EDGE_RESPONSES,
        docs_url=None,  # served by api.routers.web from local assets (FastAPI's loads Swagger UI from a CDN)
        redoc_url=None,
    )
    state = AppState(
        ledger=ledger,
        metrics=Metrics(),
        citizen_limiter=RateLimiter(settings.limits.citizen_rate_per_minute),
        complaint_limiter=RateLimiter(settings.limits.complaint_rate_per_hour / 60.0, burst=3),
        # the embedded chain's read-only window, POST /chain-rpc (api.chain_window): forwards to its node
        chain_window=(
            None
            if chain_request is None
            else ChainWindow(chain_request, ledger.domain.chain_id, ledger.domain.verifying_contract)
        ),
        chain_probe=chain_probe,
        anchor_status=anchor_status,
        witness_status=witness_status,
        tlog=(
            None
            if ledger.log_vkey is None
            else TlogReads(ledger.store, ledger.domain.separator, ledger.log_vkey, policy_hash=ledger.policy_hash)
        ),
    )
    limits = settings.limits
    state.case_streams = CaseStreams(
        ledger,
        max_total=limits.max_streams_total,
        max_per_client=limits.max_streams_per_client,
        poll_interval_s=limits.stream_poll_s,
        heartbeat_s=limits.stream_heartbeat_s,
    )
    set_app_state(app, state)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    problems.install(app)

    @app.exception_handler(RateLimited)
    async def _rate_limited(request: Request, exc: RateLimited) -> Response:
        return rate_limited_response()

    @app.exception_handler(TooManyStreams)
    async def _too_many_streams(request: Request, exc: TooManyStreams) -> Response:
        return problem_response(429, "too-many-streams", str(exc))

    tile_routes = {
        name: next(r for r in tlog.router.routes if getattr(r, "name", None) == endpoint)
        for name, endpoint in (("tile", "tile"), ("entries", "entry_bundle"))
    }
    app.add_middleware(tlog.CachedTiles, reads=state.tlog, routes=tile_routes.__getitem__)  # inside the limits
    app.add_middleware(RequestLimits)  # 414/431 under any server; saksi serve refuses them while parsing
    app.add_middleware(ObserveRequests, metrics=state.metrics)

    for router in (agencies.router, citizens.router, public.router, ops.router, chain.router, tlog.router):
        app.include_router(router)
    app.include_router(web.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in REQUEST_MODELS:
                definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(definition.pop("$defs", {}))
                components[model.__name__] = definition
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
