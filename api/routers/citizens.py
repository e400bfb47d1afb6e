"""Routes for citizens: a case's timeline and proof bundle, by its commitment."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from starlette.responses import Response

from api import render
from api.body import json_request_body, read_model
from api.deps import LedgerDep, citizen_rate_limit, complaint_rate_limit, in_thread
from api.responses import json_response, model_response
from api.schemas import (
    AGENCY,
    BODY_PROBLEM_RESPONSES,
    PROBLEM_RESPONSES,
    ComplaintIn,
    ComplaintReceiptOut,
    InboxOut,
    ProofBundleOut,
    TimelineOut,
)
from ledger.core.encoding import parse_hex

router = APIRouter(prefix="/v1", tags=["citizens"])
Commitment = Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="HMAC-SHA256 case commitment, computed by the citizen")


@router.get(
    "/cases/{caseCommitment}",
    response_model=TimelineOut,
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(citizen_rate_limit)],
    summary="A case's timeline with everything needed to check it",
)
async def case_timeline(ledger: LedgerDep, caseCommitment: str = Commitment) -> Response:  # noqa: N803
    commitment = parse_hex("caseCommitment", caseCommitment, 32)
    return model_response(render.timeline(await in_thread(ledger.case_timeline, commitment)))


@router.get(
    "/cases/{caseCommitment}/bundle",
    response_model=ProofBundleOut,
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(citizen_rate_limit)],
    summary="The case's proof bundle (saksi.proof-bundle/v1), checkable offline with `saksi verify`",
)
async def case_bundle(ledger: LedgerDep, caseCommitment: str = Commitment) -> Response:  # noqa: N803
    commitment = parse_hex("caseCommitment", caseCommitment, 32)
    bundle = await in_thread(ledger.case_bundle, commitment)
    response = json_response(bundle.to_json())
    response.headers["Content-Disposition"] = f'attachment; filename="saksi-case-{caseCommitment[2:14]}.json"'
    return response


@router.get(
    "/cases/{caseCommitment}/tlog-proofs",
    response_class=Response,
    responses={
        **PROBLEM_RESPONSES,
        200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
    },
    dependencies=[Depends(citizen_rate_limit)],
    summary="The case's offline proofs: one c2sp.org/tlog-proof@v1 file per event, its JSON bundle and the policy",
    description="A zip: `NNNN-<eventId>.tlog-proof` per event (against the checkpoint citizens verify against, "
    "signed by the log and cosigned by its witnesses), `bundle.json` (saksi.proof-bundle/v1) and `policy.txt` "
    "(the witness policy, c2sp.org/tlog-policy). `saksi verify` accepts the archive and each file.",
)
async def case_tlog_proofs(ledger: LedgerDep, caseCommitment: str = Commitment) -> Response:  # noqa: N803
    commitment = parse_hex("caseCommitment", caseCommitment, 32)
    data = await in_thread(ledger.case_archive, commitment)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="saksi-case-{caseCommitment[2:14]}-proofs.zip"'},
    )


@router.post(
    "/complaints",
    status_code=201,
    response_model=ComplaintReceiptOut,
    responses=BODY_PROBLEM_RESPONSES,
    dependencies=[Depends(complaint_rate_limit)],
    openapi_extra=json_request_body(ComplaintIn),
    summary="File a complaint about a case (proving knowledge of its reference and access code)",
    description="The reference and access code travel in the body, never in a URL. The answer is the complaint's "
    "own receipt: a new case reference and access code to follow the complaint with.",
)
async def file_complaint(request: Request, ledger: LedgerDep) -> Response:
    complaint = await read_model(request, ComplaintIn, ledger.settings.limits.max_body_bytes)
    result = await in_thread(
        ledger.file_complaint, complaint.caseRef, complaint.accessCode, complaint.category, complaint.message
    )
    return json_response(result, 201)


@router.get(
    "/agencies/{agency}/complaints",
    response_model=InboxOut,
    responses=PROBLEM_RESPONSES,
    tags=["agencies"],
    summary="An agency's complaints inbox (signed request)",
    description="Headers: `X-Saksi-Timestamp` (unix seconds) and `X-Saksi-Signature`: an EIP-191 personal_sign "
    "by the agency's active signer over `saksi-inbox:v1:<agency>:<timestamp>`, at most 5 minutes old.",
)
async def complaints_inbox(
    ledger: LedgerDep,
    agency: str = Path(pattern=AGENCY),
    x_saksi_timestamp: int = Header(ge=0),
    x_saksi_signature: str = Header(),
    after: int = Query(0, ge=0),
) -> Response:
    return json_response(await in_thread(ledger.complaints_inbox, agency, x_saksi_timestamp, x_saksi_signature, after))
