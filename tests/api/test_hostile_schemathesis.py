"""Schemathesis over every route of /openapi.json (bounded): no 5xx, every error is problem+json."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app

pytestmark = pytest.mark.slow


def errors_are_problems(ctx, response, case) -> None:
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), (case.method, case.path, response.status_code)
        body = response.json()
        assert body["status"] == response.status_code and body["type"] and body["detail"]


def test_every_route_survives_generated_input(ledger, request):
    if request.node.callspec.params.get("store") == "postgres":
        pytest.skip("one database is enough for fuzzing the HTTP layer")
    app = create_app(ledger.settings, ledger=ledger)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case) -> None:
            response = case.call()
            case.validate_response(response, checks=[not_a_server_error, errors_are_problems])

        run()
