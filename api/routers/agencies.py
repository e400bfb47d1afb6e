"""Routes for agencies' back offices: submit signed events, read them back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Path, Request
from starlette.responses import Response

from api import render
from api.body import json_request_body, read_json
from api.deps import LedgerDep, in_thread
from api.problems import error_response, problem_body
from api.responses import json_response, model_response
from api.schemas import (
    AGENCY,
    BODY_PROBLEM_RESPONSES,
    EVENT_ID,
    PROBLEM_RESPONSES,
    ErasureOut,
    ReceiptOut,
    ReceiptsOut,
    SubmissionBatch,
    SubmissionItem,
)
from api.state import StateDep
from ledger.errors import InvalidInput, SaksiError
from ledger.services.append import Receipt

router = APIRouter(prefix="/v1", tags=["agencies"])

_SUBMIT_DOC = """Submit one signed event (a bare item) or a batch `{"events": [item, …]}`.

One item: 201 with its receipt when new, 200 with the original receipt for an identical
resubmission, else a problem (409 conflicting duplicate or stale case head, 401 bad
signature, 403 unknown or revoked signer, 413/415/422 oversized, not JSON by its Content-Type, or invalid).

A batch is committed in one transaction with **per-item results**: every valid item is
appended, every refused item writes nothing and gets `{"index", "problem"}` in its place.
Status: 201 if all items succeeded and one at least is new, 200 if all were resubmissions,
207 if any item was refused. Receipts exist only after the commit."""


@router.post(
    "/events",
    summary="Submit signed service events",
    description=_SUBMIT_DOC,
    response_model=None,
    responses={
        200: {"model": ReceiptOut | ReceiptsOut, "description": "identical resubmission (a batch: all were)"},
        201: {"model": ReceiptOut | ReceiptsOut, "description": "appended (a batch: all items, one at least new)"},
        207: {"model": ReceiptsOut, "description": "batch with refused items"},
        **BODY_PROBLEM_RESPONSES,
    },
    openapi_extra=json_request_body(SubmissionItem, SubmissionBatch),
)
async def submit_events(request: Request, ledger: LedgerDep, state: StateDep) -> Response:
    metrics = state.metrics
    body = await read_json(request, ledger.settings.limits.max_body_bytes)
    batch = isinstance(body, dict) and "events" in body and "event" not in body
    if batch:
        if set(body) != {"events"} or not isinstance(body["events"], list):
            raise InvalidInput('a batch is {"events": [item, …]} and nothing else')
        items: list[Any] = body["events"]
        if not items:
            raise InvalidInput("events: the batch is empty")
    else:
        items = [body]
    parsed = await in_thread(ledger.parse, items)  # signatures recovered while another append runs
    outcomes = await ledger.append_grouped(parsed)  # group commit (ledger.services.group_commit)
    for outcome in outcomes:
        if isinstance(outcome, Receipt):
            (metrics.events_accepted if outcome.created else metrics.events_duplicate).inc()
        else:
            metrics.events_refused.labels(outcome.kind).inc()
    if not batch:
        (outcome,) = outcomes
        if isinstance(outcome, SaksiError):
            outcome.evidence.pop("index", None)
            return error_response(outcome, request.url.path)
        return json_response(outcome.to_json(), 201 if outcome.created else 200)
    rendered: list[dict[str, Any]] = []
    failed = created = False
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, SaksiError):
            failed = True
            outcome.evidence.pop("index", None)
            rendered.append({"index": index, "problem": problem_body(outcome)})
        else:
            created |= outcome.created
            rendered.append(outcome.to_json())
    return json_response({"receipts": rendered}, 207 if failed else 201 if created else 200)


@router.post(
    "/erasures",
    status_code=201,
    response_model=ErasureOut,
    responses=BODY_PROBLEM_RESPONSES,
    openapi_extra=json_request_body(SubmissionItem),
    summary="Lawful erasure: the owning agency's signed erasure.* event; the payloads it names are shredded",
    description='A submission item whose event is `erasure.*` on the case and whose payload is `{"erases": '
    '[leafIndex, …], "legalBasis": "…"}`. The event is appended and the payloads and salts deleted in one '
    "transaction; the leaves stay, so every proof still verifies.",
)
async def erase(request: Request, ledger: LedgerDep) -> Response:
    body = await read_json(request, ledger.settings.limits.max_body_bytes)
    return json_response(await in_thread(ledger.erase, body), 201)


@router.get(
    "/events/{agency}/{eventId}",
    summary="An agency reads back one of its accepted events (signed request)",
    description="Headers: `X-Saksi-Timestamp` (unix seconds) and `X-Saksi-Signature`: an EIP-191 personal_sign "
    "by the agency's active signer over `saksi-events:v1:<agency>:<timestamp>`, at most 5 minutes old. Not "
    "public: the answer names the case commitment, which opens the case's whole timeline.",
    responses=PROBLEM_RESPONSES,
)
async def get_event(
    ledger: LedgerDep,
    agency: str = Path(pattern=AGENCY),
    eventId: str = Path(pattern=EVENT_ID),  # noqa: N803 - the public name
    x_saksi_timestamp: int = Header(ge=0),
    x_saksi_signature: str = Header(),
) -> Response:
    record = await in_thread(ledger.event, agency, eventId, x_saksi_timestamp, x_saksi_signature)
    return model_response(render.event_record(record))
