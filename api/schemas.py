"""API schemas for OpenAPI: separate from domain types. The response models are also what the routes
send: api.render builds them from the ledger's domain objects (ledger.services.views)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.problems import TITLES
from ledger.core.encoding import UINT32_MAX
from ledger.core.events import AGENCY_PATTERN, EVENT_ID_PATTERN, SUMMARY_MAX

Hex = str
# ledger.core.events' rules as whole-string patterns, for bodies and path parameters alike
EVENT_ID = f"^{EVENT_ID_PATTERN}$"
AGENCY = f"^{AGENCY_PATTERN}$"


class ServiceEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    eventId: str = Field(pattern=EVENT_ID)
    agency: str = Field(pattern=AGENCY)
    caseCommitment: Hex
    caseSeq: int = Field(ge=1, le=UINT32_MAX)
    prevEventHash: Hex
    eventType: str
    summary: str = Field(max_length=SUMMARY_MAX)
    occurredAt: int
    payloadDigest: Hex


class SubmissionItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event: ServiceEventIn
    signature: Hex = Field(description="65 bytes r ‖ s ‖ v, low-s, v 27/28")
    payload: Any | None = None
    payloadSalt: Hex | None = None
    version: int | None = 1


class SubmissionBatch(BaseModel):
    events: list[SubmissionItem] = Field(max_length=1000)


class CaseHeadOut(BaseModel):
    caseSeq: int
    headHash: Hex


class ReceiptOut(BaseModel):
    agency: str
    eventId: str
    leafIndex: int
    leafHash: Hex
    receivedAt: int = Field(description="unix milliseconds")
    status: str = Field(description="pending or anchored")
    created: bool
    caseHead: CaseHeadOut


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str


class RefusedItemOut(BaseModel):
    index: int
    problem: Problem


class ReceiptsOut(BaseModel):
    receipts: list[ReceiptOut | RefusedItemOut] = Field(
        description="one receipt per item, or {index, problem} for a refused item"
    )


class ErasureOut(BaseModel):
    receipt: ReceiptOut
    erased: list[int] = Field(description="the leaves whose payloads were shredded (empty on a resubmission)")
    legalBasis: str


class AnchorOut(BaseModel):
    chainId: int
    contract: Hex
    txHash: Hex
    blockNumber: int
    status: str | None = None


class CosignedOut(BaseModel):
    name: str = Field(description="the witness's name in the policy")
    displayName: str = Field(description="its name for people (the policy's `# name:` comment), else the key name")
    keyName: str
    timestamp: int = Field(description="the cosignature's own time (unix seconds, signed by the witness)")


class WitnessingOut(BaseModel):
    quorumMet: bool
    cosignedBy: list[CosignedOut]
    witnessCount: int = Field(description="how many witnesses the policy names")


class CheckpointOut(BaseModel):
    treeSize: int
    rootHash: Hex
    checkpoint: str
    anchor: AnchorOut | None
    note: str | None = Field(
        None,
        description="the checkpoint as a C2SP signed note (c2sp.org/signed-note@v1.0.0): the log's Ed25519 "
        "signature and every cosignature/v1 line stored for it (c2sp.org/tlog-cosignature); null when unsigned",
    )
    witnessing: WitnessingOut | None = Field(
        None, description="who of the witness policy cosigned it (null without a policy); verifiers recompute it"
    )


class CheckpointItemOut(CheckpointOut):
    createdAt: int = Field(description="unix milliseconds")


class CheckpointsOut(BaseModel):
    checkpoints: list[CheckpointItemOut]


class InclusionOut(BaseModel):
    leafIndex: int
    treeSize: int
    leafHash: Hex
    proof: list[Hex]


class ConsistencyOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: int = Field(alias="from")
    to: int
    proof: list[Hex]


class LeavesOut(BaseModel):
    start: int
    end: int
    leafHashes: list[Hex]


class InfoOut(BaseModel):
    origin: str
    chainId: int
    contract: Hex
    eip712Domain: dict[str, Any]
    publicRpcUrl: str | None
    logVkey: str | None = Field(
        description="the log's C2SP signed-note verifier key (c2sp.org/signed-note@v1.0.0, Ed25519, named by "
        "the origin): it signs every checkpoint of /tlog/checkpoint"
    )
    witnessPolicy: str | None = Field(
        None, description="the witness policy (c2sp.org/tlog-policy) the log collects cosignatures for, or null"
    )
    checkpointCountsWhen: list[str] = Field(
        default_factory=list,
        description='what a checkpoint needs before citizens verify against it: "anchored", "witnessed"',
    )
    version: str


class TimelineEvent(ServiceEventIn):
    model_config = ConfigDict(extra="allow")
    signature: Hex
    signer: Hex
    leafIndex: int
    leafHash: Hex
    receivedAt: int
    anchored: bool


class EventRecordOut(TimelineEvent):
    """GET /v1/events/{agency}/{eventId}: the event as on the timeline, with its case's head.

    Renders the route (api.render.event_record) but is not yet its documented response model:
    declaring it would change /openapi.json, which this refactor keeps byte for byte."""

    caseHead: CaseHeadOut


class TimelineOut(BaseModel):
    caseCommitment: Hex
    events: list[TimelineEvent]
    head: CaseHeadOut
    checkpoint: CheckpointOut | None


class ProofBundleOut(BaseModel):
    """saksi.proof-bundle/v1 (docs/FORMATS.md §10, docs/schemas/proof-bundle.schema.json)."""

    format: str
    eip712Domain: dict[str, Any]
    checkpoint: dict[str, Any]
    anchor: dict[str, Any]
    caseCommitment: Hex
    events: list[dict[str, Any]]


class SignerOut(BaseModel):
    signer: Hex
    validFrom: int
    validUntil: int | None


class AgencyOut(BaseModel):
    code: str
    name: str
    status: str
    signer: Hex | None
    since: int
    signers: list[SignerOut]


class AgenciesOut(BaseModel):
    agencies: list[AgencyOut]


class VolumeOut(BaseModel):
    agency: str
    service: str
    day: str
    events: int


class CompletionOut(BaseModel):
    cases: int
    medianDays: float | None
    p90Days: float | None


class AnchoringOut(BaseModel):
    treeSize: int
    anchoredSize: int
    unanchoredLeaves: int
    anchorLagSeconds: float


class StatsOut(BaseModel):
    volumes: list[VolumeOut]
    timeToCompletion: dict[str, CompletionOut]
    complaints: dict[str, int] = Field(description="open, resolved")
    cases: int
    asOf: dict[str, int] = Field(description="treeSize, computedAt")
    anchoring: AnchoringOut


class ComplaintReceiptOut(BaseModel):
    caseRef: str
    accessCode: str
    caseCommitment: Hex
    receipt: ReceiptOut


class InboxComplaintOut(BaseModel):
    complaintCase: Hex
    concernsCase: Hex
    category: str
    message: str
    filedAt: int
    filedLeafIndex: int
    status: str = Field(description="open or resolved")
    head: CaseHeadOut


class InboxOut(BaseModel):
    agency: str
    complaints: list[InboxComplaintOut]


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: str = Field(description="ready or not-ready")
    checks: dict[str, dict[str, Any]] = Field(
        description="database, anchoring, chain, anchorWorker, witnessing (reported, never a reason for not-ready): each with ok"
    )


class JsonRpcErrorOut(BaseModel):
    code: int
    message: str
    data: Any | None = None


class JsonRpcResponseOut(BaseModel):
    """A JSON-RPC 2.0 answer: its result, or its error (with HTTP 200, as JSON-RPC over HTTP does)."""

    jsonrpc: str
    id: int | str | None
    result: Any | None = Field(None, description="a hex string, a list of logs, a block header or a receipt")
    error: JsonRpcErrorOut | None = None


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    caseRef: str = Field(min_length=1, max_length=64)
    accessCode: str = Field(min_length=52, max_length=80)
    category: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", default="general")
    message: str = Field(min_length=1, max_length=2000)


class JsonRpcRequestIn(BaseModel):
    """One JSON-RPC 2.0 request (POST /chain-rpc); what it may ask is checked by the route."""

    jsonrpc: str = Field(description='"2.0"')
    method: str
    params: list[Any] | None = None
    id: int | str | None = None


# Request bodies are read by api.body, not by FastAPI, and problems are referenced by hand (below):
# these schemas are registered as components by api.app.
REQUEST_MODELS = (SubmissionItem, SubmissionBatch, ComplaintIn, JsonRpcRequestIn, Problem)


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    # Not {"model": Problem}: FastAPI would document it as application/json, which no error is.
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {status: {"description": TITLES.get(status, "Error"), "content": problem} for status in statuses}


PROBLEM_RESPONSES = _problems(401, 403, 404, 409, 413, 422, 429, 503)
# Any route can answer these: a URL or header block over the limits (api.request_limits), an error.
EDGE_RESPONSES = _problems(414, 431, 500)


def tlog_responses(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A tlog-tiles route's answers: its bytes, or a problem (404 for no such resource; 500 when the log's
    data disagrees with itself; 503 when the database is down)."""
    body = {"type": "string", "format": "binary"} if media_type == "application/octet-stream" else {"type": "string"}
    return {200: {"description": description, "content": {media_type: {"schema": body}}}, **_problems(404, 500, 503)}


# A route that reads a body can also answer 415 (not JSON by its Content-Type).
BODY_PROBLEM_RESPONSES = _problems(401, 403, 404, 409, 413, 415, 422, 429, 503)
