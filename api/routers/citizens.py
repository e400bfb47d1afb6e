"""Routes for citizens: a case's timeline and proof bundle, by its commitment."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from api import render
from api.body import json_request_body, read_model
from api.deps import LedgerDep, citizen_rate_limit, client_key, complaint_rate_limit, in_thread
from api.live import parse_position
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
from api.state import StateDep
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
    "/cases/{caseCommitment}/stream",
    response_class=StreamingResponse,
    responses={
        **PROBLEM_RESPONSES,
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        429: {"description": "over the rate limit, or too many open streams (per address or in all)"},
    },
    dependencies=[Depends(citizen_rate_limit)],
    summary="The case live: Server-Sent Events announcing each new step and each checkpoint that covers it",
    description="`event: step` (an entry of the timeline's `events`) and `event: checkpoint` (as "
    "`/v1/checkpoints/latest`, once a checkpoint that counts covers a step not yet covered), each with `id: "
    "<caseSeq>.<treeSize>`; a reconnecting client sends it back as `Last-Event-ID` and gets only what it has "
    "not seen. A first connection may say where it stands with `after` (the caseSeq it has) and `treeSize` "
    "(the checkpoint it verified). A `: keep-alive` comment comes on an idle stream. FORMATS 11.5.1.",
)
async def case_stream(
    request: Request,
    state: StateDep,
    caseCommitment: str = Commitment,  # noqa: N803
    after: int | None = Query(None, ge=-1, le=2**63 - 1, description="the newest caseSeq the client has"),
    treeSize: int | None = Query(None, ge=0, le=2**63 - 1, description="the checkpoint the client verified"),  # noqa: N803
    last_event_id: str | None = Header(None, max_length=64),
) -> Response:
    commitment = parse_hex("caseCommitment", caseCommitment, 32)
    hub = state.case_streams
    assert hub is not None
    seq, size = parse_position(last_event_id, after, treeSize)
    sub = await hub.open(commitment, client_key(request), seq, size)
    return StreamingResponse(
        hub.messages(sub),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


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
    "/cases/{caseCommitment}/receipt",
    response_class=PlainTextResponse,
    responses={**PROBLEM_RESPONSES, 200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    dependencies=[Depends(citizen_rate_limit)],
    summary="A self-proving receipt of one step of the case, for a printed receipt's QR code",
    description="The step's fields, signature and tlog-proof (against the checkpoint citizens verify against, "
    "with its cosignatures) in one base64url text of at most a few KB (FORMATS 16.6): checkable with no network "
    "against the witness policy. Default: the newest covered step.",
)
async def case_receipt(
    ledger: LedgerDep,
    caseCommitment: str = Commitment,  # noqa: N803
    caseSeq: int | None = Query(None, ge=1, le=2**63 - 1, description="the step (default: the newest covered)"),  # noqa: N803
) -> Response:
    commitment = parse_hex("caseCommitment", caseCommitment, 32)
    receipt = await in_thread(ledger.case_receipt, commitment, caseSeq)
    return PlainTextResponse(receipt.encode() + "\n", headers={"Cache-Control": "no-store"})


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
