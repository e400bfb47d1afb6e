"""The event rules are stated once, in ledger.core.events: the OpenAPI document's path and body
patterns are those rules anchored, and the API and the core agree on what they accept."""

from __future__ import annotations

import re

import pytest

from ledger.core.encoding import UINT32_MAX
from ledger.core.events import AGENCY_PATTERN, AGENCY_RE, EVENT_ID_PATTERN, EVENT_ID_RE, SUMMARY_MAX


def _parameter_patterns(spec: dict) -> dict[tuple[str, str], str]:
    return {
        (path, parameter["name"]): parameter["schema"]["pattern"]
        for path, operations in spec["paths"].items()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if "pattern" in parameter.get("schema", {})
    }


def test_the_openapi_patterns_are_the_core_rules_anchored(client):
    spec = client.get("/openapi.json").json()
    patterns = _parameter_patterns(spec)
    assert patterns[("/v1/events/{agency}/{eventId}", "agency")] == f"^{AGENCY_PATTERN}$"
    assert patterns[("/v1/events/{agency}/{eventId}", "eventId")] == f"^{EVENT_ID_PATTERN}$"
    assert patterns[("/v1/agencies/{agency}/complaints", "agency")] == f"^{AGENCY_PATTERN}$"
    event = spec["components"]["schemas"]["ServiceEventIn"]["properties"]
    assert event["eventId"]["pattern"] == f"^{EVENT_ID_PATTERN}$"
    assert event["agency"]["pattern"] == f"^{AGENCY_PATTERN}$"
    assert (event["caseSeq"]["minimum"], event["caseSeq"]["maximum"]) == (1, UINT32_MAX)
    assert event["summary"]["maxLength"] == SUMMARY_MAX
    # the compiled rules parse_event uses are the same text
    assert (EVENT_ID_RE.pattern, AGENCY_RE.pattern) == (EVENT_ID_PATTERN, AGENCY_PATTERN)


@pytest.mark.parametrize(
    ("agency", "event_id"),
    [("dukcapil.jaksel", "ev-1"), ("Dukcapil", "ev-1"), ("a" * 33, "ev-1"), ("dukcapil.jaksel", "x" * 65)],
)
def test_a_read_route_refuses_exactly_what_the_core_refuses(client, agency, event_id):
    """A path the core's rules refuse is a 422 before the route runs; one they accept reaches it
    (here the signed read's 401 for a timestamp from 1970)."""
    response = client.get(
        f"/v1/events/{agency}/{event_id}", headers={"X-Saksi-Timestamp": "0", "X-Saksi-Signature": "0x00"}
    )
    core_accepts = bool(re.fullmatch(AGENCY_PATTERN, agency) and re.fullmatch(EVENT_ID_PATTERN, event_id))
    assert response.headers["content-type"].startswith("application/problem+json")
    if core_accepts:  # the route ran: the stale timestamp is refused by the signed-read check
        assert response.status_code == 401, response.text
    else:
        assert response.status_code == 422, response.text
        assert response.json()["field"] in ("agency", "eventId")
