"""parse_submission fed arbitrary and mutated items: a Submission, or a SaksiError, never another exception."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import SaksiError
from ledger.services.append import MAX_PAYLOAD_DEPTH, AppendSettings, nesting_depth, parse_submission
from tests.core.test_parsers_fuzz import JSON_VALUES, PATHS, REPLACEMENTS, deep, mutate
from tests.factories import TEST_DOMAIN, AgencyKey, CaseBuilder

FUZZ = settings(
    max_examples=400, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
DUKCAPIL = AgencyKey("dukcapil.jaksel")
CASE = CaseBuilder(DUKCAPIL)
ITEMS = [CASE.next_item(), CASE.next_item("documents.verified", "Dokumen diverifikasi", payload={"nik": "3174"})]
NOW_MS = 10**13


def parse(item: Any) -> None:
    try:
        parse_submission(item, TEST_DOMAIN, AppendSettings(), NOW_MS)
    except SaksiError as exc:
        assert exc.message


@FUZZ
@given(item=st.sampled_from(ITEMS), path=PATHS, replacement=REPLACEMENTS)
def test_mutated_items(item, path, replacement):
    parse(mutate(item, path, replacement))


@FUZZ
@given(value=JSON_VALUES)
def test_arbitrary_items(value):
    parse(value)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(depth=st.integers(min_value=1, max_value=1500), as_object=st.booleans())
def test_deep_payloads_are_refused_by_depth_not_by_the_stack(depth, as_object):
    item = copy.deepcopy(ITEMS[1])
    payload: Any = 0
    for _ in range(depth):
        payload = {"a": payload} if as_object else [payload]
    item["payload"] = payload
    assert nesting_depth(payload) == depth
    try:
        parse_submission(item, TEST_DOMAIN, AppendSettings(), NOW_MS)
    except SaksiError as exc:
        assert (depth > MAX_PAYLOAD_DEPTH) == ("nested" in exc.message), exc.message


def test_nesting_depth():
    assert nesting_depth(1) == 0 and nesting_depth([]) == 1 and nesting_depth({"a": [1, {"b": []}]}) == 4
    assert nesting_depth(deep(5000)) == 5000
