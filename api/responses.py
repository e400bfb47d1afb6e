"""The JSON responses every route answers with (problems: api.problems)."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import Response


def model_response(model: BaseModel, status: int = 200) -> Response:
    """A response model (api.schemas, built by api.render from the ledger's domain objects) as JSON:
    its fields in the model's order, by their public names (aliases such as `from`)."""
    body = type(model).__pydantic_serializer__.to_json(model, by_alias=True)  # bytes, as sent
    return Response(body, status_code=status, media_type="application/json")


def json_response(data: Any, status: int = 200) -> Response:
    """`data` as JSON, serialised once by orjson, for the routes whose services still build the
    formats of docs/FORMATS.md as plain dicts (receipts, bundles, complaints, agencies); FastAPI's
    response models only document those, so validating them again on the way out would cost time
    and say nothing new."""
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")
