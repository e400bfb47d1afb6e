"""The witness's HTTP interface (c2sp.org/tlog-witness@v1), a Starlette app with three routes.

- `POST /add-checkpoint`: 200 with the cosignature line, `text/plain; charset=utf-8`; 400 malformed
  body (or old size above the checkpoint size); 403 no valid log signature; 404 unknown origin;
  409 `<latest cosigned size>\\n` as `text/x.tlog.size`; 422 inconsistent with the cosigned state.
- `GET /<sha256(origin) hex>/checkpoint`: the latest cosigned checkpoint (log signature and
  cosignature), or 404.
- `GET /healthz`.

Error bodies are one short plain-text line (the spec fixes none); never a stack trace.
"""

from __future__ import annotations

import logging
import re
import time

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ledger.errors import Forbidden, InvalidInput, NotFound, SaksiError, VerificationFailed
from ledger.witness.request import MAX_BODY_BYTES
from ledger.witness.witness import OldSizeMismatch, Witness, log_event

TEXT = "text/plain; charset=utf-8"
SIZE_MEDIA_TYPE = "text/x.tlog.size"
_ORIGIN_HASH = re.compile(r"[0-9a-f]{64}")
_DECIMAL = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() takes "²"


class BodyTooLarge(InvalidInput):
    kind = "too-large"


def status_of(exc: SaksiError) -> int:
    if isinstance(exc, OldSizeMismatch):
        return 409
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, InvalidInput):
        return 400
    if isinstance(exc, VerificationFailed):
        return 422
    return 500


def _text(status: int, message: str) -> Response:
    return PlainTextResponse(" ".join(message.split()) + "\n", status_code=status, media_type=TEXT)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not _DECIMAL.fullmatch(declared) or int(declared) > limit):
        raise BodyTooLarge(f"body: over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"body: over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(witness: Witness) -> Starlette:
    async def add_checkpoint(request: Request) -> Response:
        started = time.monotonic()
        detail: str | None = None
        try:
            body = await read_body(request)
            answer = await run_in_threadpool(witness.add_checkpoint, body)
            response: Response = PlainTextResponse(answer, media_type=TEXT)
        except OldSizeMismatch as exc:
            # exactly this media type: Starlette's media_type would append "; charset=utf-8"
            response = Response(f"{exc.latest_size}\n", status_code=409, headers={"content-type": SIZE_MEDIA_TYPE})
            detail = exc.message
        except SaksiError as exc:
            response, detail = _text(status_of(exc), exc.message), exc.message
        except Exception as exc:  # a bug or an unreadable state file: logged, answered without detail
            detail = f"{type(exc).__name__}: {exc}"
            log_event(logging.ERROR, "internal-error", error=detail)
            response = _text(500, "internal error")
        log_event(
            logging.INFO if response.status_code < 500 else logging.ERROR,
            "add-checkpoint",
            status=response.status_code,
            detail=detail,
            ms=round((time.monotonic() - started) * 1000, 1),
            client=request.client.host if request.client else None,
        )
        return response

    async def monitoring(request: Request) -> Response:
        origin_hash = request.path_params["origin_hash"]
        if not _ORIGIN_HASH.fullmatch(origin_hash):
            return _text(404, "not found")
        data = await run_in_threadpool(witness.monitoring_checkpoint, origin_hash)
        if data is None:
            return _text(404, "no checkpoint cosigned for this origin")
        return Response(data, media_type=TEXT, headers={"Cache-Control": "no-cache"})

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok\n", media_type=TEXT)

    async def not_found(_request: Request, _exc: Exception) -> Response:
        return _text(404, "not found")

    async def not_allowed(_request: Request, _exc: Exception) -> Response:
        return _text(405, "method not allowed")

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/{origin_hash}/checkpoint", monitoring, methods=["GET"]),
        ],
        exception_handlers={404: not_found, 405: not_allowed},
    )
