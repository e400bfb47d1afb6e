"""Routes for auditors and anyone: the log's checkpoints, proofs, leaves, agencies and statistics."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from api import render
from api.deps import LedgerDep, in_thread
from api.responses import json_response, model_response
from api.schemas import (
    PROBLEM_RESPONSES,
    AgenciesOut,
    CheckpointOut,
    CheckpointsOut,
    ConsistencyOut,
    InclusionOut,
    InfoOut,
    LeavesOut,
    StatsOut,
)
from api.state import StateDep

router = APIRouter(prefix="/v1", tags=["log"])
Size = Annotated[int, Query(ge=0, le=2**63 - 1)]


@router.get("/info", response_model=InfoOut, summary="Origin, chain, contract and EIP-712 domain")
async def info(request: Request, ledger: LedgerDep, state: StateDep) -> Response:
    info = ledger.info()
    rpc = info.public_rpc_url
    if rpc is None and state.chain_window is not None:
        rpc = str(request.url_for("chain_rpc"))  # the embedded chain, through this server
    return model_response(render.info(info, rpc))


@router.get(
    "/checkpoints",
    response_model=CheckpointsOut,
    responses=PROBLEM_RESPONSES,
    summary="Recent checkpoints, newest first, with their anchors and creation times",
)
async def checkpoints(
    ledger: LedgerDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="only sizes below this")] = None,
) -> Response:
    return model_response(render.checkpoints(await in_thread(ledger.checkpoints, limit, before)))


@router.get(
    "/checkpoints/latest",
    response_model=CheckpointOut,
    responses=PROBLEM_RESPONSES,
    summary="The newest checkpoint and its anchor (null while pending)",
)
async def latest_checkpoint(ledger: LedgerDep) -> Response:
    return model_response(render.checkpoint(await in_thread(ledger.checkpoint)))


@router.get("/checkpoints/{treeSize}", response_model=CheckpointOut, responses=PROBLEM_RESPONSES)
async def checkpoint_at(ledger: LedgerDep, treeSize: int = Path(ge=0, le=2**63 - 1)) -> Response:  # noqa: N803
    return model_response(render.checkpoint(await in_thread(ledger.checkpoint, treeSize)))


@router.get(
    "/proofs/inclusion",
    response_model=InclusionOut,
    responses=PROBLEM_RESPONSES,
    summary="RFC 9162 inclusion proof of a leaf in the tree of a given size",
)
async def inclusion(ledger: LedgerDep, leafIndex: Size, treeSize: Size) -> Response:  # noqa: N803
    return model_response(render.inclusion(await in_thread(ledger.inclusion, leafIndex, treeSize)))


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyOut,
    responses=PROBLEM_RESPONSES,
    summary="RFC 9162 consistency proof between two tree sizes",
)
async def consistency(
    ledger: LedgerDep, from_: Annotated[int, Query(alias="from", ge=0, le=2**63 - 1)], to: Size
) -> Response:
    return model_response(render.consistency(await in_thread(ledger.consistency, from_, to)))


@router.get(
    "/log/leaves",
    response_model=LeavesOut,
    responses=PROBLEM_RESPONSES,
    summary="Leaf hashes by range (end exclusive; one bounded page) to rebuild the tree independently",
)
async def leaves(ledger: LedgerDep, start: Size, end: Size) -> Response:
    return model_response(render.leaves(await in_thread(ledger.leaves, start, end)))


@router.get(
    "/tlog-proofs/{leafIndex}",
    response_class=Response,
    responses={**PROBLEM_RESPONSES, 200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="An event's offline proof, a c2sp.org/tlog-proof@v1 file, by leaf index",
    description="Against the checkpoint citizens verify against (signed by the log, cosigned by its witnesses); "
    "the `extra` line carries the event's 106 leaf bytes (FORMATS §5). Leaves hold no personal data.",
)
async def tlog_proof(ledger: LedgerDep, leafIndex: int = Path(ge=0, lt=1 << 63)) -> Response:  # noqa: N803
    proof = await in_thread(ledger.tlog_proof, leafIndex)
    return Response(
        proof.proof.serialize(),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="saksi-leaf-{leafIndex}.tlog-proof"'},
    )


@router.get("/agencies", response_model=AgenciesOut, summary="The agency registry as mirrored from the chain")
async def agencies(ledger: LedgerDep) -> Response:
    return json_response({"agencies": await in_thread(ledger.agencies)})


@router.get(
    "/audit/latest",
    response_model=dict[str, Any],
    summary="The latest `saksi audit` report of this data directory (204 before the first audit)",
    responses={**PROBLEM_RESPONSES, 204: {"description": "no audit has been run yet"}},
)
async def audit_latest(ledger: LedgerDep) -> Response:
    path = FilePath(ledger.settings.data_dir) / "audit-latest.json"
    if not path.exists():
        # "no audit yet" is a state of the ledger, not a missing resource (a 404 is an error to a browser)
        return Response(status_code=204)
    return Response(path.read_bytes(), media_type="application/json")


@router.get("/stats", response_model=StatsOut, summary="Volumes, time to completion, complaints and anchoring lag")
async def stats(ledger: LedgerDep) -> Response:
    return model_response(render.stats(await in_thread(ledger.stats)))
