"""The one place where domain errors become HTTP: RFC 9457 problem+json with a stable `type` per kind."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ledger import errors

PROBLEM_BASE = "https://saksi.id/problems/"
MEDIA_TYPE = "application/problem+json"

# Most specific first: the first class an error is an instance of decides.
STATUS_BY_ERROR: tuple[tuple[type[errors.SaksiError], int], ...] = (
    (errors.TooLarge, 413),
    (errors.UnsupportedMediaType, 415),
    (errors.InvalidInput, 422),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.AuthenticationFailed, 401),
    (errors.Forbidden, 403),
    (errors.RetryLater, 503),
    (errors.VerificationFailed, 422),
)

TITLES = {
    413: "Request too large",
    414: "URI too long",
    415: "Unsupported media type",
    431: "Request header fields too large",
    422: "Invalid input",
    404: "Not found",
    409: "Conflict",
    401: "Bad signature",
    403: "Signer not allowed",
    503: "Temporarily unavailable",
    429: "Too many requests",
    400: "Bad request",
    405: "Method not allowed",
    500: "Internal error",
}


def status_for(error: errors.SaksiError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def problem_body(error: errors.SaksiError, instance: str | None = None) -> dict[str, Any]:
    status = status_for(error)
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + error.kind,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": error.message,
    }
    if instance:
        body["instance"] = instance
    for key, value in error.to_dict().items():
        if key not in ("kind", "message"):
            body[key] = value
    return body


def problem_response(status: int, kind: str, detail: str, **extra: Any) -> Response:
    body = {"type": PROBLEM_BASE + kind, "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update(extra)
    headers = {"Retry-After": "5"} if status in (429, 503) else None
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def error_response(error: errors.SaksiError, instance: str | None = None) -> Response:
    body = problem_body(error, instance)
    headers = {"Retry-After": "5"} if body["status"] == 503 else None
    return Response(orjson.dumps(body), status_code=body["status"], media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.SaksiError)
    async def _saksi_error(request: Request, exc: errors.SaksiError) -> Response:
        return error_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return problem_response(
            422, "invalid-field", f"{where or 'request'}: {first.get('msg', 'invalid')}", field=where or None
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        kind = {404: "not-found", 405: "method-not-allowed", 413: "too-large", 429: "rate-limited"}.get(
            exc.status_code, "http-error"
        )
        return problem_response(exc.status_code, kind, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return problem_response(500, "internal-error", "an unexpected error occurred; it has been logged")
