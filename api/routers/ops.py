"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import PlainTextResponse, Response

from api import render
from api.deps import LedgerDep, in_thread
from api.responses import json_response
from api.schemas import HealthOut, ReadyOut
from api.state import StateDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthOut, summary="The process is alive")
async def healthz() -> Response:
    return json_response({"status": "ok"})


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "not ready: the checks say which"}},
    summary="Database and chain reachable, anchoring lag under its threshold",
)
async def readyz(ledger: LedgerDep, state: StateDep) -> Response:
    checks: dict[str, dict] = {}
    try:
        status = await in_thread(ledger.status)
        checks["database"] = {"ok": True}
        lag_ok = status.anchor_lag_s <= ledger.settings.max_anchor_lag_s
        checks["anchoring"] = {"ok": lag_ok, **render.log_status(status).model_dump()}
    except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
        checks["database"] = {"ok": False, "error": str(exc).splitlines()[0]}
    probe = state.chain_probe
    if probe is not None:
        try:
            checks["chain"] = {"ok": True, "blockNumber": await in_thread(probe)}
        except Exception as exc:  # noqa: BLE001
            checks["chain"] = {"ok": False, "error": str(exc).splitlines()[0]}
    worker = state.anchor_status
    if worker is not None:
        status = worker()
        checks["anchorWorker"] = {
            "ok": status.chain_available,
            "consecutiveFailures": status.consecutive_failures,
            "lastError": status.last_error,
            "pendingSize": status.pending_size,
        }
    ready = all(c["ok"] for c in checks.values())
    witnessing = state.witness_status
    if witnessing is not None:
        # Reported, never a reason to take the server out of rotation: events are accepted and anchored
        # while witnesses are down, and citizens' pages say that witnessing lags (FORMATS §11).
        ws = witnessing()
        checks["witnessing"] = {
            "ok": ws.lag_leaves == 0 or ws.seconds_unwitnessed <= ledger.settings.max_witness_lag_s,
            "affectsReadiness": False,
            **ws.to_json(),
        }
    return json_response({"status": "ready" if ready else "not-ready", "checks": checks}, 200 if ready else 503)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="Prometheus metrics",
)
async def metrics(ledger: LedgerDep, state: StateDep) -> Response:
    m = state.metrics
    try:
        status = await in_thread(ledger.status)
        m.tree_size.set(status.tree_size)
        m.anchored_size.set(status.anchored_size)
        m.anchor_lag_leaves.set(status.unanchored_leaves)
        m.anchor_lag_seconds.set(status.anchor_lag_s)
    except Exception:  # noqa: BLE001 - metrics still serve the counters
        pass
    worker = state.anchor_status
    if worker is not None:
        status = worker()
        m.chain_available.set(1 if status.chain_available else 0)
        m.anchor_failures.set(status.consecutive_failures)
    witnessing = state.witness_status
    if witnessing is not None:
        ws = witnessing()
        m.witnessed_size.set(ws.witnessed_size)
        m.witness_lag_leaves.set(ws.lag_leaves)
        m.witness_lag_seconds.set(ws.seconds_unwitnessed)
        for w in ws.witnesses:
            m.witness_cosigned_size.labels(w.name).set(w.cosigned_size)
            m.witness_failures.labels(w.name).set(w.consecutive_failures)
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
