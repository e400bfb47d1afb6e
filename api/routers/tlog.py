"""The tlog-tiles read API (c2sp.org/tlog-tiles@v0.1.0) under /tlog/: the signed checkpoint, tiles, entry bundles.

Any tlog-tiles client (tlog-scales, the Go checksum database's tlog package, witnesses) reads the log
here, and `saksi tiles export` writes the same files for a static host. Every answer, errors included,
carries ``Access-Control-Allow-Origin: *``: the resources are public and any page may read them. A tile
found in the cache is answered on the event loop; only a miss goes to the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import in_thread
from api.problems import error_response, problem_response
from api.schemas import tlog_responses
from api.state import AppState, StateDep
from ledger.core.tiles import Tile, parse_tile_path
from ledger.errors import NotFound, SaksiError, VerificationFailed
from ledger.services.tiles import TlogReads

router = APIRouter(prefix="/tlog", tags=["tlog-tiles"])

OPEN_CORS = {"Access-Control-Allow-Origin": "*"}
# a full tile never changes; a partial one neither, but the log may drop it once the full tile exists
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=300"
CHECKPOINT_CACHE = "no-cache"
OCTETS = "application/octet-stream"


def _reads(state: AppState) -> TlogReads:
    if state.tlog is None:
        raise NotFound("this log has no signing key yet, so no signed checkpoint: tlog-tiles is not served")
    return state.tlog


def _problem(error: SaksiError, request: Request) -> Response:
    if isinstance(error, VerificationFailed):  # the log's own data disagrees with itself: not the caller's fault
        response = problem_response(500, error.kind, error.message)
    else:
        response = error_response(error, request.url.path)
    response.headers.update(OPEN_CORS)
    return response


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header accepts gzip (RFC 9110 §12.5.3: listed, or `*`, with q > 0)."""
    quality: dict[str, float] = {}
    for item in header.lower().split(","):
        coding, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding:
            quality[coding.strip()] = q
    return quality.get("gzip", quality.get("x-gzip", quality.get("*", 0.0))) > 0


@router.get(
    "/checkpoint",
    response_class=Response,
    summary="The newest signed checkpoint as a C2SP signed note (c2sp.org/tlog-checkpoint)",
    responses=tlog_responses("text/plain", "the checkpoint text, a blank line, the signature lines"),
)
async def checkpoint(request: Request, state: StateDep) -> Response:
    try:
        reads = _reads(state)
        note = reads.fresh_checkpoint() or await in_thread(reads.checkpoint)
    except SaksiError as exc:
        return _problem(exc, request)
    return Response(
        note.serialize().encode(),
        media_type="text/plain; charset=utf-8",
        headers={**OPEN_CORS, "Cache-Control": CHECKPOINT_CACHE},
    )


async def _tile(request: Request, state: StateDep, path: str) -> Response:
    try:
        tile = parse_tile_path(path)
        reads = _reads(state)
        gzipped = tile.entries and accepts_gzip(request.headers.get("accept-encoding", ""))
        data = reads.cached(tile, gzipped)
        if data is None:
            data = await in_thread(reads.gzipped if gzipped else reads.tile, tile)
    except SaksiError as exc:
        return _problem(exc, request)
    return Response(data, media_type=OCTETS, headers=tile_headers(tile, gzipped))


def tile_headers(tile: Tile, gzipped: bool) -> dict[str, str]:
    headers = {**OPEN_CORS, "Cache-Control": PARTIAL_TILE_CACHE if tile.partial else FULL_TILE_CACHE}
    if tile.entries:
        headers["Vary"] = "Accept-Encoding"
        if gzipped:
            headers["Content-Encoding"] = "gzip"
    return headers


ENTRIES_DOC = "uint16-length-prefixed leaf bytes (FORMATS 5) of up to 256 consecutive leaves; gzip when accepted"
TILE_DOC = "up to 256 consecutive Merkle tree hashes of 32 bytes at tree level 8·L"
_INDEX = "N in 3-digit groups, all but the last with an x (x001/x234/067), then .p/W for a partial tile of W"


@router.get(
    "/tile/entries/{index:path}",
    response_class=Response,
    summary="An entry bundle: tile/entries/<N>[.p/<W>] (c2sp.org/tlog-tiles)",
    description=f"Path: {_INDEX}.",
    responses=tlog_responses(OCTETS, ENTRIES_DOC),
)
async def entry_bundle(request: Request, state: StateDep, index: str) -> Response:
    return await _tile(request, state, "entries/" + index)


@router.get(
    "/tile/{level}/{index:path}",
    response_class=Response,
    summary="A Merkle tree tile: tile/<L>/<N>[.p/<W>] (c2sp.org/tlog-tiles)",
    description=f"L is 0-63 without leading zeros; {_INDEX}.",
    responses=tlog_responses(OCTETS, TILE_DOC),
)
async def tile(request: Request, state: StateDep, level: str, index: str) -> Response:
    return await _tile(request, state, f"{level}/{index}")


TILE_PREFIX = "/tlog/tile/"


class CachedTiles:
    """ASGI middleware: a GET of a tile already in the cache is answered before routing.

    Tiles are what a tlog-tiles client asks for most, many at a time, and a cached one needs nothing of
    FastAPI: matching it against every route and solving the route's dependencies took two thirds of
    the time such a request spent in the app. Anything else, a miss included, goes on to the route
    above, which answers it the same way (same bytes, same headers). Sits inside the request limits
    and the metrics, which count it under the route's path (``routes``: the two tile routes' objects).
    """

    def __init__(self, app: Any, reads: TlogReads | None, routes: Callable[[str], Any]) -> None:
        self.app = app
        self.reads = reads
        self.routes = routes

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        path = scope.get("path", "")
        if (
            self.reads is None
            or scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.startswith(TILE_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        try:
            tile = parse_tile_path(path[len(TILE_PREFIX) :])
        except SaksiError:
            tile = None
        gzipped = False
        if tile is not None and tile.entries:
            accept = next((v for k, v in scope["headers"] if k == b"accept-encoding"), b"")
            gzipped = accepts_gzip(accept.decode("latin-1"))
        data = None if tile is None else self.reads.cached(tile, gzipped)
        if data is None or tile is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.routes("entries" if tile.entries else "tile")
        headers = [(b"content-type", OCTETS.encode()), (b"content-length", str(len(data)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in tile_headers(tile, gzipped).items()]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": data})
