"""POST /chain-rpc: the embedded chain's read-only JSON-RPC window (api.chain_window) as a route.

What the window serves, and why it exists at all, is said in api.chain_window; this module reads the
request, asks the window and answers JSON-RPC 2.0 (errors with HTTP 200, as JSON-RPC over HTTP does).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from api.body import json_request_body, read_json
from api.chain_window import WindowRefused
from api.deps import citizen_rate_limit, in_thread
from api.responses import json_response
from api.schemas import BODY_PROBLEM_RESPONSES, JsonRpcRequestIn, JsonRpcResponseOut
from api.state import StateDep
from ledger.chain.rpc import NodeError
from ledger.errors import NotFound, SaksiError

router = APIRouter(tags=["citizens"])
PATH = "/chain-rpc"
MAX_BODY_BYTES = 8192


def _reply(request_id: Any, result: Any) -> Response:
    return json_response({"jsonrpc": "2.0", "id": request_id, "result": result})


def _error(request_id: Any, code: int, message: str, data: Any = None) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return json_response({"jsonrpc": "2.0", "id": request_id, "error": error})


@router.post(
    PATH,
    dependencies=[Depends(citizen_rate_limit)],
    openapi_extra=json_request_body(JsonRpcRequestIn),
    response_model=JsonRpcResponseOut,
    responses=BODY_PROBLEM_RESPONSES,
    summary="Embedded chain only: read-only JSON-RPC 2.0 reads of the ledger contract (the server's own chain)",
)
async def chain_rpc(request: Request, state: StateDep) -> Response:
    window = state.chain_window
    if window is None:
        raise NotFound("this server anchors on an external chain: ask it directly (GET /v1/info, publicRpcUrl)")
    body = await read_json(request, MAX_BODY_BYTES)
    if not isinstance(body, dict) or body.get("jsonrpc") != "2.0" or not isinstance(body.get("method"), str):
        return _error(None, -32600, "a single JSON-RPC 2.0 request object is expected")
    request_id = body.get("id")
    try:
        return _reply(request_id, await in_thread(window.answer, body["method"], body.get("params")))
    except WindowRefused as refused:
        return _error(request_id, refused.code, refused.message)
    except NodeError as error:  # the node's own answer, e.g. a revert (code 3, with its data)
        return _error(request_id, error.code if isinstance(error.code, int) else -32000, error.message, error.data)
    except SaksiError as error:  # the embedded node is not answering
        return _error(request_id, -32603, f"the embedded chain did not answer: {error.message}")
