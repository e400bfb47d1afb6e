"""Routes for citizens: a case's timeline and proof bundle, by its commitment."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.deps import LedgerDep, client_key
from api.problems import problem_response
from api.routers.agencies import _json
from api.schemas import PROBLEM_RESPONSES, TimelineOut
from ledger.core.encoding import parse_hex

router = APIRouter(prefix="/v1", tags=["citizens"])
Commitment = Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="HMAC-SHA256 case commitment, computed by the citizen")


class RateLimited(Exception):
    pass


def citizen_rate_limit(request: Request) -> None:
    if not request.app.state.citizen_limiter.allow(client_key(request)):
        raise RateLimited()


@router.get(
    "/cases/{caseCommitment}",
    response_model=TimelineOut,
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(citizen_rate_limit)],
    summary="A case's timeline with everything needed to check it",
)
async def case_timeline(ledger: LedgerDep, caseCommitment: str = Commitment) -> Response:  # noqa: N803
    commitment = parse_hex("caseCommitment", caseCommitment, 32)
    return _json(await run_in_threadpool(ledger.case_timeline, commitment))


@router.get(
    "/cases/{caseCommitment}/bundle",
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(citizen_rate_limit)],
    summary="The case's proof bundle (saksi.proof-bundle/v1), checkable offline with `saksi verify`",
)
async def case_bundle(ledger: LedgerDep, caseCommitment: str = Commitment) -> Response:  # noqa: N803
    commitment = parse_hex("caseCommitment", caseCommitment, 32)
    bundle = await run_in_threadpool(ledger.case_bundle, commitment)
    response = _json(bundle.to_json())
    response.headers["Content-Disposition"] = f'attachment; filename="saksi-case-{caseCommitment[2:14]}.json"'
    return response


def rate_limited_response() -> Response:
    return problem_response(429, "rate-limited", "too many requests from this address; try again shortly")
