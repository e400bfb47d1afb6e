"""The JSON response every route answers with (problems: api.problems)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


def json_response(data: Any, status: int = 200) -> Response:
    """`data` as JSON, serialised once by orjson: the routes build plain dicts (the formats of
    docs/FORMATS.md) and FastAPI's response models only document them, so validating them again
    on the way out would cost time and say nothing new."""
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")
