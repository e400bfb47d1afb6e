"""A read-only JSON-RPC window on the embedded chain, for the citizen page's on-chain check.

In a real deployment the page reads the anchored root from a chain endpoint of its own
(`public_rpc_url`), not from Saksi. The embedded chain lives inside `saksi serve`, so there the page
can only ask the server: `POST /chain-rpc` answers `eth_chainId` and an `eth_call` of the ledger
contract's `rootAt(uint64)`, nothing else (no state changes, no other contract, no other method).
That check is as independent as the server is, and the page says so; it lets a demo run every
check a citizen would run against a public chain.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from api.body import json_request_body, read_json
from api.deps import in_thread
from api.routers.agencies import _json
from api.routers.citizens import citizen_rate_limit
from api.schemas import BODY_PROBLEM_RESPONSES, JsonRpcRequestIn, JsonRpcResponseOut
from ledger.core.encoding import UINT64_MAX, hex0x, keccak256
from ledger.errors import NotFound

router = APIRouter(tags=["citizens"])
ROOT_AT_SELECTOR = keccak256(b"rootAt(uint64)")[:4]
PATH = "/chain-rpc"


def _error(request_id: Any, code: int, message: str) -> Response:
    return _json({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})


def _root_at_size(params: Any, contract: bytes) -> int | str:
    """The tree size an `eth_call` of rootAt asks for, or why the call is not one."""
    if not isinstance(params, list) or not params or not isinstance(params[0], dict):
        return "eth_call takes [{to, data}, block]"
    call = params[0]
    to, data = call.get("to"), call.get("data", call.get("input"))
    if not isinstance(to, str) or to.lower() != hex0x(contract).lower():
        return "only the ledger contract can be called here"
    if not isinstance(data, str) or not data.startswith("0x") or len(data) != 2 + 2 * 36:
        return "only rootAt(uint64) can be called here"
    try:
        raw = bytes.fromhex(data[2:])
    except ValueError:
        return "data is not hex"
    if raw[:4] != ROOT_AT_SELECTOR:
        return "only rootAt(uint64) can be called here"
    size = int.from_bytes(raw[4:], "big")
    return size if size <= UINT64_MAX else "treeSize is not a uint64"


@router.post(
    PATH,
    dependencies=[Depends(citizen_rate_limit)],
    openapi_extra=json_request_body(JsonRpcRequestIn),
    response_model=JsonRpcResponseOut,
    responses=BODY_PROBLEM_RESPONSES,
    summary="Embedded chain only: eth_chainId and eth_call of the ledger contract's rootAt (JSON-RPC 2.0)",
)
async def chain_rpc(request: Request) -> Response:
    root_at = getattr(request.app.state, "chain_root_at", None)
    if root_at is None:
        raise NotFound("this server anchors on an external chain: ask it directly (GET /v1/info, publicRpcUrl)")
    body = await read_json(request, 4096)
    if not isinstance(body, dict) or body.get("jsonrpc") != "2.0" or not isinstance(body.get("method"), str):
        return _error(None, -32600, "a single JSON-RPC 2.0 request object is expected")
    request_id, method = body.get("id"), body["method"]
    ledger = request.app.state.ledger
    if method == "eth_chainId":
        return _json({"jsonrpc": "2.0", "id": request_id, "result": hex(ledger.domain.chain_id)})
    if method != "eth_call":
        return _error(request_id, -32601, f"{method} is not served here: only eth_chainId and eth_call of rootAt")
    size = _root_at_size(body.get("params"), ledger.domain.verifying_contract)
    if isinstance(size, str):
        return _error(request_id, -32602, size)
    root = await in_thread(root_at, size)
    if root is None:  # what the contract does: SaksiLedgerUnknownTreeSize
        return _error(request_id, 3, f"execution reverted: tree size {size} was never anchored")
    return _json({"jsonrpc": "2.0", "id": request_id, "result": hex0x(root)})
