"""The one way request bodies are read: JSON by Content-Type, bounded while read, parsed without recursion.

Every route that takes a body reads it here (a test walks the app's routes to hold that): none lets
FastAPI parse a body model, because FastAPI reads such a body whole, with no limit, whatever its
Content-Type, and parses it with the standard library's recursive parser (a body nested 100,000
deep overflowed the C stack of a process whose recursion limit a dependency had raised).

- Content-Type must be `application/json` or `application/<something>+json`, UTF-8 if a charset
  is named; anything else (none included) is 415 before a byte of the body is read.
- A declared Content-Length over the limit is 413 at once; a chunked body is counted as it
  arrives and refused (413) as soon as it passes the limit, so no more than the limit is held.
- orjson parses: nesting at most 1024 (its own limit, kept without the interpreter's stack),
  integers within 64 bits, UTF-8 only; anything else is 422.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError

from ledger.errors import InvalidField, InvalidInput, TooLarge, UnsupportedMediaType

M = TypeVar("M", bound=BaseModel)

JSON_NESTING_LIMIT = 1024  # orjson's, documented in docs/FORMATS.md §11


def require_json(content_type: str | None) -> None:
    """Refuse a Content-Type that is not JSON (RFC 8259 §11, RFC 6839 `+json`)."""
    if not content_type:
        raise UnsupportedMediaType("Content-Type is missing: send application/json")
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    kind, _, subtype = media_type.partition("/")
    if kind != "application" or not (subtype == "json" or (subtype.endswith("+json") and len(subtype) > 5)):
        raise UnsupportedMediaType(f"Content-Type {media_type or content_type!r} is not JSON: send application/json")
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"charset {value.strip()!r}: JSON bodies are UTF-8")


async def read_body(request: Request, limit: int) -> bytes:
    """At most `limit` bytes of the body; 413 before reading more than that."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InvalidInput("Content-Length must be a decimal number")
        if int(declared) > limit:
            raise TooLarge(f"body of {declared} bytes exceeds the limit of {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"body exceeds the limit of {limit} bytes")
    return bytes(body)


async def read_json(request: Request, limit: int) -> Any:
    """The request's JSON body: Content-Type checked first, then bounded while read, then parsed."""
    require_json(request.headers.get("content-type"))
    body = await read_body(request, limit)
    if not body:
        raise InvalidInput("request body is empty; expected JSON")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(
            f"body is not valid JSON (UTF-8, nesting at most {JSON_NESTING_LIMIT}, integers within 64 bits): {exc}"
        ) from None


async def read_model(request: Request, model: type[M], limit: int) -> M:
    """The JSON body validated as `model`; the first broken rule names its field (422)."""
    body = await read_json(request, limit)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        raise InvalidField(where, first.get("msg", "invalid")) from None


def json_request_body(*models: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI requestBody of a route that reads its body here (the models are registered as
    components by api.app); FastAPI cannot see a body it does not parse itself."""
    refs = [{"$ref": f"#/components/schemas/{model.__name__}"} for model in models]
    schema = refs[0] if len(refs) == 1 else {"oneOf": refs}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
